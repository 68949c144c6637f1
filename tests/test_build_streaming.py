"""The streaming build (docs/decisions/0121): N-Quads written graph by graph, the generation bulk-loaded in
pieces of whole graphs, validation and the search index on the on-disk store, give what one load gives."""

from __future__ import annotations

import sqlite3

import pyoxigraph as ox
import pytest

from benchmarks.generate import generate
from msckg.graph.build import streaming
from msckg.graph.build.dataset import ONTOLOGY_GRAPH, Released, serialise
from msckg.graph.build.run import assemble, build
from msckg.loader.sink import fast_graphs

from .test_build_kill import content
from .test_search_index_build import _compare


@pytest.mark.parametrize("offsets,size,piece", [
    ([0, 10, 50, 60, 95], 100, 30), ([0, 80], 100, 30), ([0, 10, 20, 30, 40], 100, 25), ([0], 7, 1), ([], 0, 5),
    (list(range(0, 1000, 7)), 1000, 64),
])
def test_pieces_cover_the_file_and_cut_only_where_a_graph_starts(offsets, size, piece):
    got = streaming.pieces(size, offsets, piece)
    if size == 0:
        assert got == []
        return
    assert (got[0][0], got[-1][1]) == (0, size)
    assert all(b == c for (_, b), (c, _) in zip(got, got[1:]))  # contiguous, no gap or overlap
    assert all(a in offsets or a == 0 for a, _ in got)  # a piece starts where a graph starts
    for a, b in got:  # no larger than asked, unless it is one graph that is larger on its own
        inner = [o for o in offsets if a < o < b]
        assert b - a <= piece or not inner


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    generate(40, out, violations=3)
    return out


def test_writing_graph_by_graph_gives_the_same_bytes_and_lets_go_of_each_graph(corpus, tmp_path):
    with fast_graphs():
        b = assemble(data=corpus / "data", extra_sources=[corpus / "ctgov"])
    sizes = [len(g) for g in b.graphs.values()]
    whole = serialise(b.graphs)  # the whole dataset's text at once, as the build did before
    with open(tmp_path / "d.nq", "wb") as fh:
        streamed = b.write_nquads(fh)
    assert (tmp_path / "d.nq").read_bytes() == whole.nquads and len(whole.nquads) > 100_000
    assert (streamed.canonical_hash, streamed.triples, streamed.graph_hashes) == \
        (whole.canonical_hash, whole.triples, whole.graph_hashes)
    assert all(isinstance(g, Released) for g in b.graphs.values())
    assert all(isinstance(r.graph, Released) for r in b.reports)
    assert len(streamed.offsets) == len([n for n in sizes if n]) > 40


def test_a_build_loaded_in_small_pieces_holds_the_same_dataset_and_index(corpus, tmp_path, monkeypatch):
    one = build(tmp_path / "one", data=corpus / "data", extra_sources=[corpus / "ctgov"], full=True)
    loads = []
    real = streaming.pieces
    monkeypatch.setattr(streaming, "PIECE_BYTES", 20_000)  # hundreds of pieces, graphs with blank nodes among them
    monkeypatch.setattr(streaming, "pieces", lambda *a: loads.extend(real(*a)) or real(*a))
    many = build(tmp_path / "many", data=corpus / "data", extra_sources=[corpus / "ctgov"], full=True)
    assert len(loads) > 50
    assert many.canonical_hash == one.canonical_hash
    assert content(tmp_path / "many") == content(tmp_path / "one")  # blank nodes relabelled: the ontology's lists whole
    assert [(v.rule, v.focus) for v in many.report.shacl] == [(v.rule, v.focus) for v in one.report.shacl]
    assert many.report.qc == one.report.qc
    assert not list((tmp_path / "many").glob(".nquads-*"))  # the N-Quads file is gone once loaded
    for name in ("entity", "posting", "typeidx", "lname", "lpost", "ltask"):
        rows = [sqlite3.connect(r.generation / "search" / "index.sqlite").execute(f"SELECT * FROM {name}").fetchall()
                for r in (one, many)]
        assert rows[0] == rows[1] and rows[0], name
    assert (one.generation / "search" / "postings.npy").read_bytes() == (many.generation / "search" / "postings.npy").read_bytes()


def test_the_index_read_from_the_on_disk_generation_equals_the_reference_algorithm(corpus, tmp_path):
    res = build(tmp_path / "s", data=corpus / "data", extra_sources=[corpus / "ctgov"], full=True)
    store = ox.Store.read_only(str(res.generation))
    assert any(True for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(str(ONTOLOGY_GRAPH))))
    _compare(store, tmp_path / "index")
