"""Search scores only the entities that can reach the first results, and answers exactly as when it scores all.

The ranker bounds each entity's score from its postings (rank.py: BOUND) and fully scores only
those whose bound reaches the limit-th best score of the most promising ones. Here the same
index is searched with pruning forced on every query and with it turned off: the hits, their
scores and reasons, and the number of matches must be the same.
"""

from __future__ import annotations

import pytest

from benchmarks.generate import generate
from msckg.graph.search import rank
from msckg.graph.search.index import write_index

QUERIES = ["adverse event", "trial", "fever", "infection", "bleeding", "haemorrhage", "serious adverse events",
           "synthetic trial 7", "event 3", "phase 2", "randomized", "proportion result", "MSC", "GVHD",
           "umbilical cord mesenchymal stem cells", "cytopaenia", "infektion", "grade 3 neutropenia", "placebo arm",
           "aplastic anaemia", "haematological malignancy", "liver"]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    from msckg.graph.build.run import assemble, memory_store

    out = tmp_path_factory.mktemp("corpus")
    generate(80, out, violations=3)
    store = memory_store(assemble(data=out / "data", extra_sources=[out / "ctgov"]))[0]
    write_index(store, out / "search", embedder=None, link_vocabulary=False)
    return rank.Searcher(out / "search", embedder=None)


def _answers(searcher, monkeypatch, prune_below, **kw):
    monkeypatch.setattr(rank, "PRUNE_BELOW", prune_below)
    out = []
    for q in QUERIES:
        r = searcher.search(q, **kw)
        out.append((q, r.total, [(h.iri, h.score, h.lexical, [str(w) for w in h.why]) for h in r.hits]))
    return out


@pytest.mark.parametrize("kw", [{"limit": 10}, {"limit": 1}, {"limit": 50}, {"limit": 10, "types": ["msckg:AdverseEventCount"]}])
def test_pruned_search_answers_as_the_full_one(searcher, monkeypatch, kw):
    pruned = _answers(searcher, monkeypatch, 0, **kw)
    full = _answers(searcher, monkeypatch, 10**12, **kw)
    assert sum(1 for _, _, hits in full if hits) >= len(QUERIES) // 2
    for p, f in zip(pruned, full):
        assert p == f


def test_pruning_leaves_entities_unscored(searcher, monkeypatch):
    """The bound does prune: for a common query most matching entities are never scored."""
    monkeypatch.setattr(rank, "PRUNE_BELOW", 0)
    variants, _, _ = searcher.parse("adverse event")
    gathered = [searcher.gather(v.tokens) for v in variants]
    keep, total = searcher._candidates(gathered, variants, None, 10)
    assert keep is not None and total == searcher.search("adverse event").total
    assert 10 <= int(keep.sum()) < total / 2
