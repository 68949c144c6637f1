"""SPARQL 1.1 Protocol conformance: the W3C protocol cases that apply to a read-only endpoint, real
clients (SPARQLWrapper, rdflib's SPARQLStore), content negotiation, CORS and the service description."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from ruamel.yaml import YAML

CASES = YAML(typ="safe").load((Path(__file__).parent / "protocol_cases.yaml").read_text(encoding="utf-8"))
RESULT_MEDIA = {"boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
                "tabular": {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                            "text/tab-separated-values"},
                "RDF": {"text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"}}


def _send(server, case: dict) -> httpx.Response:
    headers = {}
    if case.get("content_type"):
        headers["Content-Type"] = case["content_type"]
    body = case["body_utf16"].encode("utf-16") if "body_utf16" in case else (case.get("body") or "").encode("utf-8")
    return httpx.request(case.get("method", "POST"), server.base + case.get("path", "/sparql"), content=body or None,
                         headers=headers, timeout=30)


def _boolean(resp: httpx.Response) -> bool:
    media = resp.headers["content-type"].split(";")[0]
    fmt = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
           "application/sparql-results+xml": ox.QueryResultsFormat.XML}[media]
    return bool(ox.parse_query_results(resp.content, format=fmt))


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_w3c_protocol_case(server, case):
    resp = _send(server, case)
    first = str(resp.status_code)[0]
    assert first == case["status"][0], f"{case['name']}: {resp.status_code} {resp.text[:300]}"
    if case.get("format"):
        media = resp.headers["content-type"].split(";")[0]
        assert media in RESULT_MEDIA[case["format"]], f"{case['name']}: answered {media}"
        if case["format"] == "RDF":
            list(ox.parse(resp.content, format=ox.RdfFormat.from_media_type(media)))  # it parses
    if "boolean" in case:
        assert _boolean(resp) is case["boolean"]


@pytest.mark.parametrize("case", CASES["refused_updates"], ids=[c["name"] for c in CASES["refused_updates"]])
def test_updates_are_refused_before_they_run(server, case):
    resp = _send(server, case)
    assert resp.status_code == 403, resp.text
    assert "read-only" in resp.text
    # nothing changed: the protocol graphs are still there
    ask = httpx.get(server.sparql, params={"query": "ASK { GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> { ?s ?p ?o } }"}, timeout=30)
    assert _boolean(ask) is True


def test_protocol_dataset_overrides_the_union_default_graph(server):
    """Without dataset parameters the default graph is the union of every graph; with
    default-graph-uri it is only the graphs named."""
    q = "ASK { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?t }"
    assert _boolean(httpx.get(server.sparql, params={"query": q}, timeout=30)) is True
    only2 = httpx.get(server.sparql, params={"query": q, "default-graph-uri": "http://kasei.us/2009/09/sparql/data/data2.rdf"}, timeout=30)
    assert _boolean(only2) is False
    # named graphs only: the default graph is empty, GRAPH sees only the named ones
    named = httpx.get(server.sparql, params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                                             "named-graph-uri": "http://kasei.us/2009/09/sparql/data/data3.rdf"},
                      headers={"Accept": "application/sparql-results+json"}, timeout=30)
    graphs = [b["g"]["value"] for b in named.json()["results"]["bindings"]]
    assert graphs == ["http://kasei.us/2009/09/sparql/data/data3.rdf"]


@pytest.mark.parametrize("accept,media", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/html;q=0.9, text/csv;q=0.5", "text/csv"),
    ("*/*", "application/sparql-results+json"),
])
def test_select_content_negotiation(server, accept, media):
    q = "SELECT ?g WHERE { GRAPH ?g { <http://kasei.us/2009/09/sparql/data/data1.rdf> ?p ?o } }"
    resp = httpx.post(server.sparql, data={"query": q}, headers={"Accept": accept}, timeout=30)
    assert resp.status_code == 200
    assert resp.headers["content-type"].split(";")[0] == media
    assert "http://kasei.us/2009/09/sparql/data/data1.rdf" in resp.text
    if media == "text/csv":
        assert list(csv.reader(io.StringIO(resp.text)))[0] == ["g"]


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"])
def test_construct_and_describe_negotiation(server, accept):
    for q in ("CONSTRUCT { ?s a ?t } WHERE { GRAPH <http://kasei.us/2009/09/sparql/data/data2.rdf> { ?s a ?t } }",
              "DESCRIBE <http://kasei.us/2009/09/sparql/data/data2.rdf>"):
        resp = httpx.post(server.sparql, content=q, headers={"Content-Type": "application/sparql-query", "Accept": accept}, timeout=30)
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].split(";")[0] == accept
        triples = [q.triple for q in ox.parse(resp.content, format=ox.RdfFormat.from_media_type(accept))]
        assert ox.Triple(ox.NamedNode("http://kasei.us/2009/09/sparql/data/data2.rdf"),
                         ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                         ox.NamedNode("http://xmlns.com/foaf/0.1/Document")) in triples


def test_cors_for_browser_tools(server):
    pre = httpx.options(server.sparql, headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "content-type"}, timeout=30)
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] in ("*", "https://yasgui.example")
    assert "POST" in pre.headers["access-control-allow-methods"]
    got = httpx.get(server.sparql, params={"query": "ASK {}"}, headers={"Origin": "https://yasgui.example"}, timeout=30)
    assert got.headers["access-control-allow-origin"] == "*"
    assert "X-Row-Cap" in got.headers.get("access-control-expose-headers", "")


def test_plain_get_answers_the_service_description(server):
    resp = httpx.get(server.sparql, headers={"Accept": "text/turtle"}, timeout=30)
    assert resp.status_code == 200
    g = Graph().parse(data=resp.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    svc = URIRef(server.sparql)
    assert (svc, URIRef(sd + "endpoint"), svc) in g
    assert (svc, URIRef(sd + "feature"), URIRef(sd + "UnionDefaultGraph")) in g
    assert (svc, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in g
    named = {str(o) for o in g.objects(None, URIRef(sd + "name"))}
    assert "https://w3id.org/msckg/graph/ontology" in named
    assert "http://kasei.us/2009/09/sparql/data/data1.rdf" in named


def test_sparqlwrapper_as_a_client(server):
    from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

    client = SPARQLWrapper(server.sparql)
    client.setTimeout(30)
    client.setQuery("""PREFIX msckg: <https://w3id.org/msckg/>
        SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a msckg:Trial }""")
    client.setReturnFormat(JSON)
    n = int(client.queryAndConvert()["results"]["bindings"][0]["n"]["value"])
    assert n == 4  # three seed trials and the hostile fixture trial
    client.setMethod(POST)
    client.setReturnFormat(XML)
    doc = client.queryAndConvert()
    assert doc.getElementsByTagName("literal")[0].firstChild.data == "4"
    client.setReturnFormat(CSV)
    assert client.queryAndConvert().decode().splitlines() == ["n", "4"]
    client.setQuery("ASK { <http://kasei.us/2009/09/sparql/data/data3.rdf> a ?t }")
    client.setReturnFormat(JSON)
    assert client.queryAndConvert()["boolean"] is True
    client.setQuery("CONSTRUCT { ?s a ?t } WHERE { GRAPH <http://kasei.us/2009/09/sparql/data/data3.rdf> { ?s a ?t } }")
    client.setReturnFormat(TURTLE)
    g = Graph().parse(data=client.queryAndConvert(), format="turtle")
    assert len(g) == 1


def test_rdflib_sparqlstore_as_a_client(server):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(server.sparql, timeout=30)
    g = Graph(store=store)
    rows = list(g.query("""PREFIX msckg: <https://w3id.org/msckg/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?trial WHERE { ?trial a msckg:Trial } ORDER BY ?trial"""))
    trials = [str(r[0]) for r in rows]
    assert "https://w3id.org/msckg/id/trial/NCT04014166" in trials and len(trials) == 4
    assert bool(g.query("ASK { <http://kasei.us/2009/09/sparql/data/data1.rdf> a <http://xmlns.com/foaf/0.1/Document> }").askAnswer)
    triples = list(g.triples((URIRef("http://kasei.us/2009/09/sparql/data/data2.rdf"), None, None)))
    assert len(triples) == 1
    graphs = {str(c.identifier) if hasattr(c, "identifier") else str(c) for c in store.contexts()}
    assert "http://kasei.us/2009/09/sparql/data/data2.rdf" in graphs
