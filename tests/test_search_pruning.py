"""Search scores only the entities that can reach the first results, and answers exactly as when it scores all.

The ranker bounds each entity's score from its postings (scoring.py: the bound) and fully scores only
those whose bound reaches the limit-th best score of the most promising ones. Here the same
index is searched with pruning forced on every query and with it turned off: the hits, their
scores and reasons, and the number of matches must be the same.
"""

from __future__ import annotations

import pytest

from benchmarks.generate import generate
from msckg.graph.search import rank, scoring
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
    monkeypatch.setattr(scoring, "PRUNE_BELOW", prune_below)
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
    monkeypatch.setattr(scoring, "PRUNE_BELOW", 0)
    variants, _, _ = searcher.parse("adverse event")
    gathered = [searcher.gather(v.tokens) for v in variants]
    keep, total = searcher._candidates(gathered, variants, None, 10)
    assert keep is not None and total == searcher.search("adverse event").total
    assert 10 <= int(keep.sum()) < total / 2


@pytest.mark.parametrize("limit", [1, 10])
def test_bounds_over_the_matching_entities_equal_those_over_all(searcher, monkeypatch, limit):
    """_candidates bounds a variant over only the entities its postings hold, or (many postings) over arrays of all
    entities: both give the same candidates and the same count, query by query."""
    import numpy as np

    monkeypatch.setattr(scoring, "PRUNE_BELOW", 0)
    compared = 0
    for q in QUERIES:
        variants, _, _ = searcher.parse(q)
        gathered = [searcher.gather(v.tokens) for v in variants]
        got = []
        for share in (float("inf"), 0.0):  # always over the matching entities; always over all of them
            monkeypatch.setattr(scoring, "DENSE_SHARE", share)
            got.append(searcher._candidates(gathered, variants, None, limit))
        (keep_s, total_s), (keep_d, total_d) = got
        assert total_s == total_d, q
        assert (keep_s is None) == (keep_d is None), q
        if keep_s is not None:
            assert np.array_equal(keep_s, keep_d), q
            compared += 1
    assert compared >= len(QUERIES) // 2
