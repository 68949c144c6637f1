"""The build's fast paths give the same dataset as rdflib graphs: triple sinks, one N-Quads pass, worker processes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset

from benchmarks.generate import generate
from msckg.graph.build import parallel
from msckg.graph.build.dataset import ONTOLOGY_GRAPH, canonical_hash
from msckg.graph.build.provenance import BUILD_GRAPH
from msckg.graph.build.registry import organisation_labels
from msckg.graph.build.run import assemble, build
from msckg.graph.build.sources import load_extra_sources
from msckg.graph.safety import UnsafeInput, check_query
from msckg.graph.store.embedded import EmbeddedStore
from msckg.loader.sink import NTriplesGraph, TripleSink, fast_graphs

from .conftest import ROOT, SHARED

NOW = "2025-01-01T00:00:00+00:00"


def old_nquads(graphs) -> set[str]:
    """The N-Quads the build wrote before the fast path: an rdflib Dataset serialised."""
    ds = Dataset()
    for iri, g in graphs.items():
        target = ds.graph(iri)
        for t in g:
            target.add(t)
    return set(ds.serialize(format="nquads").splitlines())


def quads(nquads: bytes | str) -> set[str]:
    s = ox.Store()
    s.load(nquads.encode() if isinstance(nquads, str) else nquads, format=ox.RdfFormat.N_QUADS)
    return {str(q) for q in s if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}


def sources() -> list[Path]:
    real = SHARED / "ctgov" / "v2"
    return sorted(real.glob("NCT*.json")) if real.is_dir() else []


def test_sinks_give_the_rdflib_dataset():
    """Seeds (and the real registry records when ../shared is present): same hash, same quads."""
    slow = assemble(extra_sources=sources(), load_time=NOW)
    with fast_graphs():
        fast = assemble(extra_sources=sources(), load_time=NOW)
    # loaders fill sinks; the ontology and the build record are made by the build itself
    assert all(isinstance(g, TripleSink) for iri, g in fast.graphs.items() if iri not in (ONTOLOGY_GRAPH, BUILD_GRAPH))
    assert canonical_hash(slow.graphs) == fast.serialise().canonical_hash == canonical_hash(fast.graphs)
    assert quads(fast.nquads()) == quads("\n".join(old_nquads(slow.graphs)))
    assert fast.serialise().triples == slow.triple_count()


def test_real_registry_records_were_compared():
    if not sources():
        pytest.skip(f"{SHARED / 'ctgov' / 'v2'} is absent: the sink was compared on the seeds only")
    assert len(sources()) >= 8


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    generate(40, out, violations=5)
    return out


def _in_workers(files, monkeypatch, labels=None):
    """Load registry files the way a large build does: worker processes, small chunks."""
    monkeypatch.setattr(parallel, "MIN_FILES", 1)
    monkeypatch.setattr(parallel, "CHUNK", 5)  # several chunks: organisations named in more than one
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    with fast_graphs():
        return load_extra_sources(files, None, None, None, labels)


def test_worker_processes_give_the_same_dataset(corpus, monkeypatch):
    files = [corpus / "ctgov"]
    with fast_graphs():
        one = assemble(corpus / "data", extra_sources=files, load_time=NOW)
    registry = {r.graph_iri for r in one.reports if r.path.endswith(".json")}
    labels = organisation_labels(g for iri, g in one.graphs.items() if iri not in registry)
    recs = _in_workers(files, monkeypatch, labels)
    assert recs and all(isinstance(r.graph, NTriplesGraph) for r in recs), "the worker path was not taken"
    two = {r.graph_iri: r.graph for r in recs}
    seq = {iri: g for iri, g in one.graphs.items() if iri in two}
    assert len(seq) == len(two) == len(list((corpus / "ctgov").glob("*.json")))
    # the first source to name an organisation gives its label, whichever worker loaded it
    assert canonical_hash(seq) == canonical_hash(two)
    assert [r.path for r in recs] == sorted(r.path for r in recs)  # same order as given


def test_curated_records_load_while_the_workers_load_the_registry_and_give_the_same_dataset(corpus, monkeypatch):
    """assemble() hands the registry files to the workers first and loads the curated records meanwhile; the
    organisations still take the label the curated sources give them (the same graphs, in the same order)."""
    import multiprocessing

    from msckg.graph.build import run

    files = [corpus / "ctgov"]
    with fast_graphs():
        one = assemble(corpus / "data", extra_sources=files, load_time=NOW)
    workers_then = []
    real = run.load_records

    def recording(*a, **k):
        workers_then.append(len(multiprocessing.active_children()))
        return real(*a, **k)

    monkeypatch.setattr(run, "load_records", recording)
    monkeypatch.setattr(parallel, "MIN_FILES", 1)
    monkeypatch.setattr(parallel, "CHUNK", 5)
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    with fast_graphs():
        two = assemble(corpus / "data", extra_sources=files, load_time=NOW)
    assert workers_then and workers_then[0] >= 1  # the curated records were loaded while the workers ran
    assert any(isinstance(r.graph, NTriplesGraph) for r in two.reports), "the worker path was not taken"
    assert list(two.graphs) == list(one.graphs) and [r.path for r in two.reports] == [r.path for r in one.reports]
    assert canonical_hash(two.graphs) == canonical_hash(one.graphs)


def test_worker_processes_report_every_bad_file(tmp_path, monkeypatch):
    for i in range(3):
        (tmp_path / f"NCT0000000{i}.json").write_text('{"protocolSection": {"identificationModule": {"nctId": "NCT1"}}}')
    from msckg.loader.errors import SourceError

    with pytest.raises(SourceError) as exc:
        _in_workers([tmp_path], monkeypatch)
    assert len({p.file for p in exc.value.problems}) == 3


def test_generated_corpus_builds_with_its_flagged_violations(corpus, tmp_path):
    """The generator's corpus builds; validation reports exactly the injected violations, acknowledged."""
    import json

    man = json.loads((corpus / "manifest.json").read_text())
    res = build(tmp_path / "store", data=corpus / "data", extra_sources=[corpus / "ctgov"])
    acknowledged = sorted((v.rule, v.focus) for v in res.report.violations if v.acknowledged)
    assert acknowledged == sorted((v["rule"], v["focus"]) for v in man["injected"])
    assert len(man["injected"]) == 4  # 40 trials: 4 curated, one violation injected in each
    assert res.report.ok
    assert {p.name for p in res.phases} >= {"assemble", "serialise", "load", "validate", "index"}
    s = EmbeddedStore(tmp_path / "store")
    n = s.select("PREFIX msckg: <https://w3id.org/msckg/> SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a msckg:Trial }").rows[0][0]
    assert int(n) == 40  # 4 curated, 36 registry records


def test_generator_is_deterministic(tmp_path):
    def digest(folder: Path) -> str:
        h = hashlib.sha256()
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                h.update(f.relative_to(folder).as_posix().encode() + f.read_bytes())
        return h.hexdigest()

    generate(25, tmp_path / "a")
    generate(25, tmp_path / "b")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p ?o .SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } }",
    "select * where { service <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "# header\nSELECT * WHERE {\n  # note\n  SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?a ?b ?c } }",
    "LOAD <http://127.0.0.1:9/x>",
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
])
def test_safety_fast_path_still_refuses(query):
    with pytest.raises(UnsafeInput):
        check_query(query)


def test_safety_fast_path_accepts_plain_queries_without_parsing(monkeypatch):
    import rdflib.plugins.sparql.parser as parser

    def boom(*a, **k):
        raise AssertionError("parsed")

    monkeypatch.setattr(parser, "parseQuery", boom)
    check_query("# summary: adds nothing\nSELECT ?s WHERE { ?s ?p ?o } LIMIT 1")


def test_worker_processes_give_one_label_per_organisation(tmp_path, monkeypatch):
    """An organisation named in records that different workers load gets the label of the first file
    that names it and altLabels for the other spellings, as one process loading them in order gives."""
    import json

    from rdflib import RDFS, SKOS

    base = json.loads((ROOT / "tests" / "fixtures" / "ctgov" / "NCT90000001-placebo-to-open-label.json").read_text())
    spellings = ["Acme Cell Therapy Inc", "ACME Cell Therapy, Inc.", "Acme Cell Therapy Inc", "Acme cell therapy inc."]
    folder = tmp_path / "registry"
    folder.mkdir()
    for i, name in enumerate(spellings * 3):
        rec = json.loads(json.dumps(base))
        rec["protocolSection"]["identificationModule"]["nctId"] = f"NCT8{i:07d}"
        rec["protocolSection"]["sponsorCollaboratorsModule"] = {"leadSponsor": {"name": name, "class": "INDUSTRY"}}
        (folder / f"NCT8{i:07d}.json").write_text(json.dumps(rec))
    with fast_graphs():
        one = load_extra_sources([folder], None, None, None, {})
    monkeypatch.setattr(parallel, "CHUNK", 2)
    two = _in_workers([folder], monkeypatch, {})
    assert all(isinstance(r.graph, NTriplesGraph) for r in two)
    assert canonical_hash({r.graph_iri: r.graph for r in one}) == canonical_hash({r.graph_iri: r.graph for r in two})
    labels = {str(o) for r in one for s, p, o in r.graph if p == RDFS.label and "/org/" in str(s)}
    alts = {str(o) for r in one for s, p, o in r.graph if p == SKOS.altLabel and "/org/" in str(s)}
    assert labels == {spellings[0]} and alts == set(spellings[1:]) - {spellings[0]}
