"""Hypothesis profiles for the property tests: a few examples in `make test`, 10,000 per target in `make fuzz`.

HYPOTHESIS_PROFILE=fuzz selects the long profile; the default ("quick") keeps `make test` fast.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                     HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile("quick", max_examples=40, **_COMMON)
settings.register_profile("fuzz", max_examples=10_000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

EXAMPLES = settings().max_examples
