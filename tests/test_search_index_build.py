"""The search index built in one pass with a shared field table equals the first version's, table by table.

The reference (tests/search_index_reference.py) is the first version's algorithm (its posting
blobs are compared with the rows of postings.npy). Both are run on
the seed graph and on a generated corpus (benchmarks/generate.py); every entity row, posting list,
class member list, static rank, learnt abbreviation and embedder text must be the same, and so
must the answers to a few searches.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from benchmarks.generate import generate
from msckg.graph.search.index import write_index
from msckg.graph.search.indexfile import POSTING
from msckg.graph.search.rank import Searcher
from tests.search_index_reference import old_index

QUERIES = ["bleeding", "haemorrhage", "infection", "fever", "umbilical cord", "aplastic anaemia", "phase 2",
           "adverse event", "synthetic trial 7", "graft-versus-host disease", "MSC", "cytopaenia"]


class RecordingEmbedder:
    """Records the texts it is given (the embedder's inputs are part of the index)."""

    name = "test/recording-embedder"

    def __init__(self):
        self.texts: list[str] = []

    def embed(self, texts):
        self.texts.extend(texts)
        return np.zeros((len(texts), 4), dtype=np.float32)


@pytest.fixture(scope="module")
def seed_store():
    from msckg.graph.build.run import assemble, memory_store

    return memory_store(assemble())[0]


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory):
    from msckg.graph.build.run import assemble, memory_store

    out = tmp_path_factory.mktemp("corpus")
    generate(60, out, violations=3)
    return memory_store(assemble(data=out / "data", extra_sources=[out / "ctgov"]))[0]


def _compare(store, folder):
    emb = RecordingEmbedder()
    write_index(store, folder, embedder=emb, link_vocabulary=False)
    old = old_index(store)
    con = sqlite3.connect(folder / "index.sqlite")
    try:
        entity = con.execute("SELECT id, iri, label, type, fields FROM entity ORDER BY id").fetchall()
        rows = np.load(folder / "postings.npy")
        posting = {t: (df, rows[a:b].tobytes()) for t, df, a, b in con.execute("SELECT token, df, start, stop FROM posting")}
        typeidx = {c: (cu, lab, bytes(d)) for c, cu, lab, d in con.execute("SELECT class, curie, label, data FROM typeidx")}
        prior = bytes(con.execute("SELECT data FROM arrays WHERE name = 'prior'").fetchone()[0])
        meta = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM meta")}
    finally:
        con.close()
    assert len(entity) == len(old["entity"]) > 100
    for new_row, old_row in zip(entity, old["entity"]):
        assert new_row == old_row
    assert posting.keys() == old["posting"].keys()
    assert [t for t in posting if posting[t] != old["posting"][t]] == []
    assert typeidx == old["typeidx"]
    assert prior == old["prior"]
    assert meta["abbreviations_learnt"] == old["abbreviations_learnt"]
    assert (meta["tokens"], meta["postings"]) == (old["tokens"], old["postings"])
    assert emb.texts == old["sem_texts"]
    return old


def _answers(folder):
    s = Searcher(folder, embedder=None)
    return [[(h.iri, round(h.score, 6), [str(w) for w in h.why]) for h in s.search(q, limit=10).hits] for q in QUERIES]


def _reference_folder(store, folder, old):
    """An index folder with the reference's tables (and the new build's metadata), to search it."""
    write_index(store, folder, embedder=None, link_vocabulary=False)
    con = sqlite3.connect(folder / "index.sqlite")
    try:
        con.execute("DELETE FROM entity")
        con.executemany("INSERT INTO entity VALUES (?,?,?,?,?)", old["entity"])
        con.execute("DELETE FROM posting")
        chunks, table, at = [], [], 0
        for t, (df, d) in old["posting"].items():
            chunks.append(np.frombuffer(d, dtype=POSTING))
            table.append((t, df, at, at + len(chunks[-1])))
            at += len(chunks[-1])
        np.save(folder / "postings.npy", np.concatenate(chunks))
        con.executemany("INSERT INTO posting VALUES (?,?,?,?)", table)
        con.execute("DELETE FROM typeidx")
        con.executemany("INSERT INTO typeidx VALUES (?,?,?,?)", [(c, *v) for c, v in old["typeidx"].items()])
        con.execute("UPDATE arrays SET data = ? WHERE name = 'prior'", (old["prior"],))
        con.commit()
    finally:
        con.close()


@pytest.mark.parametrize("which", ["seed", "generated"])
def test_index_equals_the_first_versions(which, seed_store, generated_store, tmp_path):
    store = seed_store if which == "seed" else generated_store
    old = _compare(store, tmp_path / "new")
    _reference_folder(store, tmp_path / "old", old)
    new_answers, old_answers = _answers(tmp_path / "new"), _answers(tmp_path / "old")
    assert any(new_answers)
    assert new_answers == old_answers


def test_a_triple_restated_in_several_graphs_is_read_once_and_other_literal_forms_are_kept():
    import pyoxigraph as ox

    from msckg.graph.search.dataset import read_dataset

    s = ox.Store()
    subj = ox.NamedNode("https://w3id.org/msckg/id/x")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    val = ox.NamedNode("https://w3id.org/msckg/value")
    for g in ("a", "b", "c"):
        graph = ox.NamedNode(f"https://example.org/{g}")
        s.add(ox.Quad(subj, label, ox.Literal("Fever"), graph))
        s.add(ox.Quad(subj, val, ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), graph))
        for i in range(40):  # a long list: the set beside it
            s.add(ox.Quad(subj, label, ox.Literal(f"name {i}"), graph))
    s.add(ox.Quad(subj, label, ox.Literal("Fever", language="en"), ox.NamedNode("https://example.org/a")))
    s.add(ox.Quad(subj, label, ox.Literal("Fever", language="fr"), ox.NamedNode("https://example.org/b")))
    s.add(ox.Quad(subj, val, ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
                  ox.NamedNode("https://example.org/a")))
    nodes, _ = read_dataset(s)
    node = nodes[subj.value]
    assert sorted(node.text[label.value]) == sorted(["Fever"] * 3 + [f"name {i}" for i in range(40)])
    assert node.values[val.value] == ["5", "5"]


def _tables(folder):
    con = sqlite3.connect(folder / "index.sqlite")
    try:
        out = [con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("entity", "posting", "typeidx", "arrays")]
        out.append(con.execute("SELECT value FROM meta WHERE key = 'abbreviations_learnt'").fetchall())
    finally:
        con.close()
    return out, (folder / "postings.npy").read_bytes()


def test_external_terms_come_from_the_memo_once_kept(seed_store, tmp_path, monkeypatch):
    """MONDO/CL/UBERON terms looked up once are kept in the cache folder; a later index reads them from there,
    never loading the package's ontology files, and is the same index."""
    from msckg.graph.search.expand import ExternalOntologies

    if not ExternalOntologies.available():
        pytest.skip("cellxgene-ontology-guide is not installed")
    cache = tmp_path / "cache"
    write_index(seed_store, tmp_path / "plain", embedder=None, link_vocabulary=False)
    write_index(seed_store, tmp_path / "cold", embedder=None, link_vocabulary=False, cache_dir=cache)
    kept = json.loads(next(cache.glob("external-terms-*.json")).read_text(encoding="utf-8"))
    assert any(k.startswith("MONDO:") and v for k, v in kept.items())

    def refuse(cls, name):
        raise AssertionError(f"loaded {name} although every term is in the memo")

    monkeypatch.setattr(ExternalOntologies, "_ontology", classmethod(refuse))
    write_index(seed_store, tmp_path / "warm", embedder=None, link_vocabulary=False, cache_dir=cache)
    assert _tables(tmp_path / "plain") == _tables(tmp_path / "cold") == _tables(tmp_path / "warm")


def test_a_new_store_takes_the_external_terms_another_store_looked_up(seed_store, tmp_path, monkeypatch):
    """The memo is also kept in the user's cache: a second store's first index loads no ontology file."""
    from msckg.graph.search.expand import ExternalOntologies

    if not ExternalOntologies.available():
        pytest.skip("cellxgene-ontology-guide is not installed")
    monkeypatch.setenv("MSCKG_CACHE_DIR", str(tmp_path / "user"))
    write_index(seed_store, tmp_path / "a" / "gen-1" / "search", embedder=None, link_vocabulary=False)
    assert list((tmp_path / "user").glob("external-terms-*.json")) and list((tmp_path / "a" / ".search-cache").glob("external-terms-*.json"))

    def refuse(cls, name):
        raise AssertionError(f"loaded {name} although the user's memo holds every term")

    monkeypatch.setattr(ExternalOntologies, "_ontology", classmethod(refuse))
    write_index(seed_store, tmp_path / "b" / "gen-1" / "search", embedder=None, link_vocabulary=False)
    assert list((tmp_path / "b" / ".search-cache").glob("external-terms-*.json"))
    assert _tables(tmp_path / "a" / "gen-1" / "search") == _tables(tmp_path / "b" / "gen-1" / "search")


@pytest.mark.parametrize("which", ["seed", "generated"])
def test_the_index_read_from_n_quads_in_any_order_equals_the_one_read_from_the_store(which, seed_store, generated_store, tmp_path):
    """The build hands the index the N-Quads file its store was loaded from (decision 0162): the same triples
    in another order, with every N-Quads line shuffled, give the same index, table by table, and the same
    embedder inputs."""
    import random

    import pyoxigraph as ox

    store = seed_store if which == "seed" else generated_store
    lines = store.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines()
    random.Random(7).shuffle(lines)
    nq = tmp_path / "shuffled.nq"
    nq.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from_store, from_file = RecordingEmbedder(), RecordingEmbedder()
    write_index(store, tmp_path / "store", embedder=from_store, link_vocabulary=False)
    write_index(store, tmp_path / "file", embedder=from_file, link_vocabulary=False,
                quads=ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS))
    assert _tables(tmp_path / "store") == _tables(tmp_path / "file")
    assert from_store.texts == from_file.texts and len(from_store.texts) > 100


def test_a_builds_index_read_from_its_n_quads_equals_one_read_from_its_store(tmp_path):
    """A full build and an incremental one (whose load file holds only the changes: the index reads a second
    file with the whole dataset) leave the index that reading the live store itself gives."""
    import pyoxigraph as ox

    from msckg.graph.build.run import build

    out = tmp_path / "corpus"
    generate(40, out, violations=0)
    store = tmp_path / "store"
    for step in ("full", "incremental"):
        res = build(store, data=out / "data", extra_sources=[out / "ctgov"])
        assert (res.replaced_graphs is not None) == (step == "incremental"), step
        live = (store / "current").resolve()
        assert not list(store.glob(".nquads-*")), step
        ro = ox.Store.read_only(str(live))
        write_index(ro, tmp_path / step / "gen-x" / "search", embedder=None, cache_dir=store / ".search-cache")
        del ro
        assert _tables(live / "search") == _tables(tmp_path / step / "gen-x" / "search"), step
        rec = sorted((out / "data" / "records").glob("synthetic-*[0-9].yaml"))[0]
        rec.write_text(rec.read_text(encoding="utf-8").replace("Table 2, row", "Table 2 (revised), row", 1), encoding="utf-8")


INDEX_IN_A_NEW_PROCESS = """
import sys
from pathlib import Path
import pyoxigraph as ox
from msckg.graph.search.index import write_index
write_index(None, Path(sys.argv[2]), embedder=None, link_vocabulary=False,
            quads=ox.parse(path=sys.argv[1], format=ox.RdfFormat.N_QUADS))
"""


def test_the_index_does_not_depend_on_the_hash_seed(generated_store, tmp_path):
    """Two processes with different PYTHONHASHSEEDs write the same tables and the same postings.npy bytes
    (token ids once followed a set's order), so an index built in another process equals the build's own."""
    import os
    import subprocess
    import sys

    import pyoxigraph as ox

    nq = tmp_path / "d.nq"
    nq.write_bytes(generated_store.dump(format=ox.RdfFormat.N_QUADS))
    for seed in ("1", "2"):
        subprocess.run([sys.executable, "-c", INDEX_IN_A_NEW_PROCESS, str(nq), str(tmp_path / seed)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}, timeout=600)
    assert _tables(tmp_path / "1") == _tables(tmp_path / "2")
    assert len(_tables(tmp_path / "1")[0][1]) > 1000  # postings of many tokens
