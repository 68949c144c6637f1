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
    server = OxigraphServer(tmp / "server")
    remote = RemoteStore(server.query_url, timeout=30)
    remote.replace_graphs(assemble(data).graphs)
    yield {"embedded": EmbeddedStore(tmp / "embedded"), "remote": remote}
    server.stop()


BASIC = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "PREFIX msckg: <https://w3id.org/msckg/> SELECT ?t ?label WHERE { ?t a msckg:Trial ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }",
]


@pytest.mark.parametrize("backend", ["embedded", "remote"])
@pytest.mark.parametrize("query", BASIC)
def test_basic_queries_agree(backends, backend, query):
    reference = as_set(backends["embedded"].select(query))
    assert reference, "the dataset must not be empty"
    assert as_set(backends[backend].select(query)) == reference


@pytest.mark.parametrize("backend", ["embedded", "remote"])
def test_named_graphs_listed(backends, backend):
    graphs = backends[backend].graphs()
    assert "https://w3id.org/msckg/graph/ontology" in graphs
    assert any(g.startswith("https://w3id.org/msckg/graph/entities/") for g in graphs)


@pytest.mark.parametrize("name", sorted(saved_queries()))
def test_every_saved_query_gives_same_rows(backends, name):
    q = saved_queries()[name]
    binds = bindings_for(q, {})
    embedded = as_set(backends["embedded"].select(q.text, binds))
    remote = as_set(backends["remote"].select(q.text, binds))
    assert remote == embedded


@pytest.mark.parametrize("backend", ["embedded", "remote"])
def test_bound_value_round_trips(backends, backend):
    hostile = 'x" } ; DROP ALL # \n \\ \u0022 }'
    rows = backends[backend].select("SELECT ?v WHERE { BIND(?p AS ?v) }", {"p": Literal(hostile)})
    assert [str(r[0]) for r in rows.rows] == [hostile]
    rows = backends[backend].select("SELECT ?v WHERE { BIND(?p AS ?v) }", {"p": URIRef("https://w3id.org/msckg/Trial")})
    assert rows.rows[0][0] == URIRef("https://w3id.org/msckg/Trial")


@pytest.mark.parametrize("backend", ["embedded", "remote"])
def test_service_refused_on_every_backend(backends, backend):
    from msckg.graph.safety import UnsafeInput

    with pytest.raises(UnsafeInput):
        backends[backend].select("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")


def test_unreachable_endpoint_is_a_clear_error():
    from tests.oxigraph_server import free_port

    store = RemoteStore(f"http://127.0.0.1:{free_port()}/query", timeout=2)
    with pytest.raises(StoreError, match="remote endpoint .* failed"):
        store.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")


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
