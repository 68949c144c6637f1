"""QC checks rewritten for speed find exactly the violations of the text they replaced.

tests/fixtures/queries-before/qc/NAME.rq keeps each QC query as it was before a rewrite; both run on the
seed dataset and on a generated corpus with injected source conflicts (benchmarks/generate.py), on the whole
store and restricted to some entities (as an incremental build runs them), and must give the same violations.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from msckg.graph.paths import QC
from msckg.graph.query.files import read_query_file
from msckg.graph.validate.run import run_qc_query

BEFORE = Path(__file__).parent / "fixtures" / "queries-before" / "qc"
REWRITTEN = sorted(p.name for p in BEFORE.glob("*.rq"))


def _memory_store(**kw) -> ox.Store:
    from msckg.graph.build.run import assemble, memory_store

    return memory_store(assemble(**kw))[0]


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict:
    from benchmarks.generate import generate

    out = tmp_path_factory.mktemp("corpus")
    generate(60, out, curated_every=2)
    return {"seed": _memory_store(), "corpus": _memory_store(data=out / "data", extra_sources=[out / "ctgov"])}


def _found(store, q, entities=None, values=True):
    return sorted((v.rule, v.severity, v.focus, v.path, v.value, v.message) for v in run_qc_query(store, q, entities, values))


@pytest.mark.parametrize("name", REWRITTEN)
@pytest.mark.parametrize("which", ["seed", "corpus"])
def test_a_rewritten_check_finds_what_the_old_text_found(name, which, stores):
    store = stores[which]
    old, new = read_query_file(BEFORE / name), read_query_file(QC / name)
    assert new.header.get("rule") == old.header.get("rule") and new.header.get("radius") == old.header.get("radius")
    found = _found(store, old)
    assert _found(store, new) == found
    if which == "corpus":
        assert found, f"{name}: the corpus must hold what the check finds (the generator injects source conflicts)"
        some = {f[2] for f in found[::2]} | {str(s.value) for s in list(store.query(
            "SELECT DISTINCT ?s WHERE { ?s <https://w3id.org/msckg/outcome> ?o } LIMIT 40", use_default_graph_as_union=True))
            for s in [s["s"]]}
        for values in (True, False):
            assert _found(store, new, some, values) == _found(store, old, some, values) == [f for f in found if f[2] in some]
