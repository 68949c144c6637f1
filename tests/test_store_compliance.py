"""One store interface, two implementations: the embedded store and a real Oxigraph server pass the same suite."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import Literal, URIRef

from msckg.graph.build.run import assemble, build
from msckg.graph.paths import ROOT
from msckg.graph.store.remote import RemoteStore
from msckg.graph.query.saved import bindings_for, saved_queries
from msckg.graph.store.base import StoreError
from msckg.graph.store.embedded import EmbeddedStore

from .oxigraph_server import OxigraphServer
from . import virtuoso_server

REMOTES = ["remote", "virtuoso"]
from .test_saved_queries import joined_sorted


def norm(term):
    """Compare values, not spellings: numbers numerically, everything else as text."""
    if isinstance(term, Literal):
        v = term.toPython()
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            return ("num", round(float(v), 9))
        # GROUP_CONCAT order is not defined by SPARQL: compare concatenated lists as sorted parts
        return ("lit", joined_sorted(str(term)))
    return ("iri", str(term)) if term is not None else None


def as_set(rows):
    return sorted((tuple(norm(t) for t in r) for r in rows.rows), key=repr)


@pytest.fixture(scope="module")
def backends(tmp_path_factory):
    """The same dataset (the project's data/) in both backends."""
    tmp = tmp_path_factory.mktemp("compliance")
    import os
    from pathlib import Path
    data = Path(os.environ.get("MSCKG_COMPLIANCE_DATA", ROOT / "data"))
    build(tmp / "embedded", data=data)
    graphs = assemble(data).graphs
    server = OxigraphServer(tmp / "server")
    remote = RemoteStore(server.query_url, timeout=30)
    remote.replace_graphs(graphs)
    stores = {"embedded": EmbeddedStore(tmp / "embedded"), "remote": remote}
    virtuoso = None
    if virtuoso_server.available():
        virtuoso = virtuoso_server.VirtuosoServer(tmp / "virtuoso")
        stores["virtuoso"] = RemoteStore(virtuoso.query_url, timeout=60)
        stores["virtuoso"].replace_graphs(graphs)
    yield stores
    server.stop()
    if virtuoso:
        virtuoso.stop()


def backend_or_skip(backends, name):
    if name not in backends:
        pytest.skip("Virtuoso is not installed ('make virtuoso' installs it; 'make test' depends on it)")
    return backends[name]


BASIC = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "PREFIX msckg: <https://w3id.org/msckg/> SELECT ?t ?label WHERE { ?t a msckg:Trial ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }",
    # a graph named in the query (Virtuoso 7.2 answered these with one empty row while msckg defined its
    # system-graph exclusions on every query: decision 0166)
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/msckg/graph/ontology> { ?s ?p ?o } }",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?c WHERE { GRAPH <https://w3id.org/msckg/graph/ontology> "
    "{ ?c rdfs:subClassOf+ <https://w3id.org/msckg/Result> } }",
]


@pytest.mark.parametrize("backend", ["embedded", *REMOTES])
@pytest.mark.parametrize("query", BASIC)
def test_basic_queries_agree(backends, backend, query):
    reference = as_set(backends["embedded"].select(query))
    assert reference, "the dataset must not be empty"
    assert as_set(backend_or_skip(backends, backend).select(query)) == reference


@pytest.mark.parametrize("backend", ["embedded", *REMOTES])
def test_named_graphs_listed(backends, backend):
    graphs = backend_or_skip(backends, backend).graphs()
    assert "https://w3id.org/msckg/graph/ontology" in graphs
    assert any(g.startswith("https://w3id.org/msckg/graph/entities/") for g in graphs)


# Known gap (reported, not hidden): on Virtuoso 7.2 these saved queries give other rows than the
# embedded store, or none (decision 0166 lists each cause): it returns xsd:boolean values as the
# integers 1 and 0, divides integers as integers (5/100 = 0), and its SQL compiler fails on three
# of them ("Unsupported case in CONVERT", "Bad dfe in sqlo_place_exp", "unknown table for a column").
# strict: a query that starts to agree fails here, so the list must shrink as the gap is closed.
VIRTUOSO_DIFFERS = {"add-on-designs", "adverse-events", "cell-dose-by-regimen", "controlled-comparisons", "funding-and-conflicts",
                    "infusion-reactions", "paediatric-trials", "product-characterisation", "publications", "response-rates",
                    "source-conflicts", "time-to-response"}


def _case(name, backend):
    marks = [pytest.mark.xfail(strict=True, reason="Virtuoso 7.2 differs (see VIRTUOSO_DIFFERS)")] \
        if backend == "virtuoso" and name in VIRTUOSO_DIFFERS else []
    return pytest.param(name, backend, marks=marks, id=f"{name}-{backend}")


@pytest.mark.parametrize("name,backend", [_case(n, b) for n in sorted(saved_queries()) for b in REMOTES])
def test_every_saved_query_gives_same_rows(backends, name, backend):
    q = saved_queries()[name]
    binds = bindings_for(q, {})
    embedded = as_set(backends["embedded"].select(q.text, binds))
    remote = as_set(backend_or_skip(backends, backend).select(q.text, binds))
    assert remote == embedded


@pytest.mark.parametrize("backend", ["embedded", *REMOTES])
def test_bound_value_round_trips(backends, backend):
    backend_or_skip(backends, backend)
    hostile = 'x" } ; DROP ALL # \n \\ \u0022 }'
    rows = backends[backend].select("SELECT ?v WHERE { BIND(?p AS ?v) }", {"p": Literal(hostile)})
    assert [str(r[0]) for r in rows.rows] == [hostile]
    rows = backends[backend].select("SELECT ?v WHERE { BIND(?p AS ?v) }", {"p": URIRef("https://w3id.org/msckg/Trial")})
    assert rows.rows[0][0] == URIRef("https://w3id.org/msckg/Trial")


@pytest.mark.parametrize("backend", ["embedded", *REMOTES])
def test_service_refused_on_every_backend(backends, backend):
    backend_or_skip(backends, backend)
    from msckg.graph.safety import UnsafeInput

    with pytest.raises(UnsafeInput):
        backends[backend].select("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")


@pytest.mark.parametrize("backend", REMOTES)
def test_bulk_load_batches_graphs_and_replaces(backends, backend):
    """A load sends a few large SPARQL Update requests, not one per graph, and leaves exactly the build's graphs."""
    from msckg.graph.store.remote import update_batches

    store = backend_or_skip(backends, backend)
    graphs = assemble(ROOT / "data").graphs
    batches = list(update_batches(graphs))
    assert 0 < len(batches) < len(graphs)
    stale = "https://w3id.org/msckg/graph/stale-test"
    store.update(f"INSERT DATA {{ GRAPH <{stale}> {{ <urn:a> <urn:b> <urn:c> }} }}")
    assert stale in store.graphs()
    store.replace_graphs(graphs)
    assert stale not in store.graphs()
    assert sorted(store.graphs()) == sorted(backends["embedded"].graphs())
    n = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert as_set(store.select(n)) == as_set(backends["embedded"].select(n))


def test_unreachable_endpoint_is_a_clear_error():
    from tests.oxigraph_server import free_port

    store = RemoteStore(f"http://127.0.0.1:{free_port()}/query", timeout=2)
    with pytest.raises(StoreError, match="remote endpoint .* failed"):
        store.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")


def test_endpoint_build_validates_before_pushing_and_validate_export_read_it(tmp_path, mini_data):
    """--endpoint: a build with a violation pushes nothing; validate and export read the remote store."""
    import json

    from typer.testing import CliRunner

    from msckg.graph.cli import app

    server = OxigraphServer(tmp_path / "server")
    try:
        url = server.query_url
        runner = CliRunner()
        ok = runner.invoke(app, ["--endpoint", url, "build", "--data", str(mini_data)])
        assert ok.exit_code == 0, ok.output
        before = RemoteStore(url).graphs()
        p = mini_data / "records" / "example-2025.yaml"
        p.write_text(p.read_text().replace("    count: 12", "    count: 21"))  # 21 of 20
        bad = runner.invoke(app, ["--endpoint", url, "build", "--data", str(mini_data)])
        assert bad.exit_code == 1 and "nothing was pushed" in bad.output and "R-COUNT-DENOMINATOR" in bad.output
        assert RemoteStore(url).graphs() == before
        v = runner.invoke(app, ["--endpoint", url, "--store", str(tmp_path / "no-local-store"), "validate", "--format", "json"])
        assert v.exit_code == 0 and json.loads(v.output)["ok"] is True
        e = runner.invoke(app, ["--endpoint", url, "--store", str(tmp_path / "no-local-store"), "export", "--format", "nq"])
        assert e.exit_code == 0 and "https://w3id.org/msckg/graph/pub/example-2025" in e.output
    finally:
        server.stop()
@pytest.mark.parametrize("backend", ["embedded", "remote"])
def test_every_query_form_on_every_backend(backends, backend):
    from msckg.graph.query.forms import run_query
    from msckg.graph.query.output import serialize_rows, serialize_triples

    store = backends[backend]
    assert run_query(store, "ASK { ?t a msckg:Trial }").boolean is True  # project prefixes declared for the query
    assert run_query(store, "ASK { ?t a msckg:NoSuchClass }").boolean is False
    built = run_query(store, "CONSTRUCT { ?t rdfs:label ?l } WHERE { ?t a msckg:Trial ; rdfs:label ?l }")
    assert len(built.triples) == 3 and "@prefix rdfs:" in serialize_triples(built.triples, "ttl")
    described = run_query(store, "DESCRIBE <https://w3id.org/msckg/id/trial/NCT04014166>")
    assert any(t.predicate.value == "https://w3id.org/msckg/phase" for t in described.triples)
    rows = run_query(store, "SELECT ?t WHERE { ?t a msckg:Trial } ORDER BY ?t").rows
    assert serialize_rows(rows, "csv").splitlines()[0] == "t" and len(rows.rows) == 3


@pytest.mark.parametrize("query, names", [
    ("SELECT * WHERE { GRAPH <https://w3id.org/msckg/graph/ontology> { ?s ?p ?o } }", True),
    ("SELECT * WHERE {graph msckg:g { ?s ?p ?o } }", True),
    ("SELECT * FROM <urn:a> WHERE { ?s ?p ?o }", True),
    ("SELECT * FROM NAMED <urn:a> WHERE { GRAPH ?g { ?s ?p ?o } }", True),
    ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", False),
    ("SELECT ?from WHERE { ?s <https://w3id.org/msckg/graph/x> ?from }", False),
    ("SELECT ?x WHERE { ?x msckg:from ?paragraph }", False),
])
def test_which_queries_go_to_virtuoso_without_the_system_graph_exclusions(query, names):
    from msckg.graph.store.remote import NAMES_ITS_GRAPHS

    assert bool(NAMES_ITS_GRAPHS.search(query)) is names
