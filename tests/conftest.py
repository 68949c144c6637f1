"""Shared fixtures: paths, the mini data set, a built store, and the optional ../shared folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .egress_canary import egress_canary  # noqa: F401  (session-wide: no request may leave the machine)

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
SHARED = ROOT.parent / "shared"


def shared_or_skip(*parts: str) -> Path:
    """A path under ../shared, or skip the test saying why."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} is absent: the reference material in ../shared is not beside this checkout")
    return p


@pytest.fixture
def mini_data(tmp_path) -> Path:
    """A writable copy of the mini data set (entities/ and records/)."""
    dst = tmp_path / "data"
    shutil.copytree(MINI, dst)
    return dst


@pytest.fixture
def built_mini(tmp_path, mini_data):
    """A store built from the mini data set: (store folder, data folder, build result)."""
    from msckg.graph.build.run import build

    store = tmp_path / "store"
    res = build(store, data=mini_data)
    return store, mini_data, res
