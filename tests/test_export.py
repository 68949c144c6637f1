"""Stable exports: two builds of the same sources give byte-identical files, and every file reads back as the store."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from rdflib import Dataset, URIRef
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from msckg.graph.build.dataset import ONTOLOGY_GRAPH
from msckg.graph.build.provenance import BUILD_GRAPH
from msckg.graph.build.run import build
from msckg.graph.cli import app
from msckg.graph.ontology import context
from msckg.loader.schema import read_prefixes

runner = CliRunner()
FORMATS = ("ttl", "trig", "nq", "jsonld")
OX_FORMAT = {"ttl": ox.RdfFormat.TURTLE, "trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS}


def export(store, *args) -> bytes:
    res = runner.invoke(app, ["--store", str(store), "-q", "export", *args])
    assert res.exit_code == 0, res.output
    return res.stdout_bytes


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """The mini data set built twice into two stores, a second apart at least (different load times)."""
    import shutil
    import time

    from tests.conftest import MINI

    base = tmp_path_factory.mktemp("twice")
    shutil.copytree(MINI, base / "data")
    first = build(base / "one", data=base / "data")
    time.sleep(1.1)
    second = build(base / "two", data=base / "data")
    return base / "one", base / "two", first, second


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_builds_export_byte_identical(two_builds, fmt):
    one, two, *_ = two_builds
    a, b = export(one, "--format", fmt), export(two, "--format", fmt)
    assert a == b and len(a) > 10_000


def test_load_time_is_in_the_build_record_only(two_builds):
    one, two, *_ = two_builds
    times = []
    for store in (one, two):
        s = ox.Store.read_only(str(store / "current"))
        gen = ox.NamedNode("http://www.w3.org/ns/prov#generatedAtTime")
        graphs = {q.graph_name.value for q in s.quads_for_pattern(None, gen, None, None)}
        assert graphs == {str(BUILD_GRAPH)}, "load times belong to the build record, not to the data graphs"
        times.append({q.object.value for q in s.quads_for_pattern(None, gen, None, None)})
    assert times[0] != times[1], "the two builds were made at different times"
    with_record = [export(st, "--format", "nq", "--build-record") for st in (one, two)]
    assert with_record[0] != with_record[1] and str(BUILD_GRAPH).encode() in with_record[0]


def _store_quads(store, leave_out=(str(BUILD_GRAPH),)):
    s = ox.Store.read_only(str(store / "current"))
    return [q for q in s.quads_for_pattern(None, None, None, None) if q.graph_name.value not in leave_out]


def _dataset(quads) -> Dataset:
    ds = Dataset()
    ds.parse(data=ox.serialize(quads, format=ox.RdfFormat.N_QUADS), format="nquads")
    return ds


@pytest.mark.parametrize("fmt", ("trig", "nq"))
def test_export_reads_back_as_the_store(two_builds, fmt):
    one, *_ = two_builds
    back = list(ox.parse(export(one, "--format", fmt), format=OX_FORMAT[fmt]))
    want = _store_quads(one)
    assert len(back) == len(want)
    by_graph = lambda qs: {g: [q for q in qs if q.graph_name.value == g] for g in {q.graph_name.value for q in qs}}  # noqa: E731
    got, exp = by_graph(back), by_graph(want)
    assert set(got) == set(exp)
    for g in exp:  # blank nodes differ in label only: compare each graph up to isomorphism
        assert isomorphic(_dataset(got[g]).graph(URIRef(g)), _dataset(exp[g]).graph(URIRef(g))), g


def test_turtle_merges_graphs_and_writes_no_escaped_slashes(two_builds):
    one, *_ = two_builds
    ttl = export(one, "--format", "ttl").decode("utf-8")
    trig = export(one, "--format", "trig").decode("utf-8")
    for text in (ttl, trig):
        assert "\\/" not in text, "an IRI whose local name would need an escape is written in full"
        declared = [line for line in text.splitlines() if line.startswith("@prefix")]
        assert declared == [f"@prefix {p}: <{ns}> ." for p, ns in sorted(read_prefixes().prefix_map.items(), key=lambda kv: kv[0].lower())]
        assert "msckg:Trial" in text and "<https://w3id.org/msckg/id/trial/" in text
    triples = {(q.subject, q.predicate, q.object) for q in _store_quads(one)}
    assert len(list(ox.parse(ttl.encode(), format=ox.RdfFormat.TURTLE))) == len(triples)


def test_blank_nodes_get_canonical_labels(two_builds):
    one, *_ = two_builds
    nq = export(one, "--format", "nq").decode("utf-8")
    labels = {tok for line in nq.splitlines() for tok in line.split() if tok.startswith("_:")}
    assert labels, "the ontology has blank nodes (restrictions, lists)"
    assert all(lab.startswith("_:c14n") for lab in labels), sorted(labels)[:5]
    graphs = [line.rsplit(" ", 2)[-2] for line in nq.splitlines()]
    blocks = [g for i, g in enumerate(graphs) if i == 0 or graphs[i - 1] != g]
    assert blocks == sorted(set(graphs)), "one contiguous block per named graph, in IRI order"
    for block in blocks:
        lines = [line for line, g in zip(nq.splitlines(), graphs) if g == block]
        ground = [line for line in lines if "_:" not in line]
        assert ground == sorted(ground, key=lambda line: line.split(" ", 2)[:2]) and len(set(lines)) == len(lines)


def test_one_graph_and_data_only(two_builds):
    one, _, first, _ = two_builds
    doc = next(str(g) for g in first.assembled.graphs if "/graph/pub/" in str(g))
    only = list(ox.parse(export(one, "--format", "nq", "--graph", doc), format=ox.RdfFormat.N_QUADS))
    assert only and {q.graph_name.value for q in only} == {doc}
    data = list(ox.parse(export(one, "--format", "nq", "--data-only"), format=ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in data}
    assert str(ONTOLOGY_GRAPH) not in graphs and doc in graphs
    res = runner.invoke(app, ["--store", str(one), "export", "--graph", "https://w3id.org/msckg/graph/none"])
    assert res.exit_code == 1 and "no named graph" in res.output and "Traceback" not in res.output


def test_jsonld_embeds_the_local_context_and_reads_back(two_builds):
    one, *_ = two_builds
    raw = export(one, "--format", "jsonld", "--data-only")
    doc = json.loads(raw)
    assert isinstance(doc["@context"], dict), "the context is inline, never a URL to fetch"
    assert doc["@context"] == context.context()["@context"]
    assert '"@type": "Trial"' in raw.decode() or '"@type": ["Trial"' in raw.decode()
    back = Dataset()
    back.parse(data=raw, format="json-ld")
    want = _dataset(_store_quads(one, (str(BUILD_GRAPH), str(ONTOLOGY_GRAPH))))
    assert len(back) == len(want)
    for g in want.graphs():
        if len(g):
            assert isomorphic(back.graph(g.identifier), g), g.identifier


def test_context_file_is_generated_from_the_ontology():
    assert context.is_current(), "ontology/context.jsonld is out of date: run 'make context'"
    ctx = context.context()["@context"]
    assert ctx["doseValue"] == {"@id": "msckg:doseValue", "@type": "xsd:decimal"}
    assert ctx["phase"] == {"@id": "msckg:phase", "@type": "@id"}
    assert ctx["Trial"] == "msckg:Trial"
    assert ctx["doi"] == "https://doi.org/", "a declared prefix keeps its meaning over a property of the same name"
