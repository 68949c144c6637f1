"""Safe by default: deadline kills (503) with a responsive /health and a pool that recovers, the row cap
reported (headers and JSON), body cap (413), refusals before execution, a new generation picked up,
and the same rules in front of a remote store."""

from __future__ import annotations

import threading
import time

import httpx
import pyoxigraph as ox
import pytest

from msckg.graph.serve.guard import Refused, check_request_query
from tests.serve.server import MsckgServer, add_graphs, fixture_nquads

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # a cross product of the graph with itself, twice
MANY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 100"


@pytest.fixture(scope="module")
def strict(served_store):
    """One worker, a 3 s deadline, five rows at most, 2 kB bodies."""
    s = MsckgServer(served_store, workers=1, deadline=3, row_cap=5, max_body=2000)
    yield s
    s.stop()


def _until_ok(url: str, params: dict, seconds: float = 60) -> httpx.Response:
    end = time.monotonic() + seconds
    while True:
        r = httpx.get(url, params=params, timeout=30)
        if r.status_code == 200 or time.monotonic() > end:
            return r
        time.sleep(0.3)


def test_runaway_query_is_killed_at_the_deadline_while_health_answers(strict):
    box = {}

    def slow():
        box["resp"] = httpx.post(strict.sparql, data={"query": SLOW}, timeout=60)

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.8)
    healths = []
    while t.is_alive():
        healths.append(httpx.get(f"{strict.base}/health", timeout=5))
        time.sleep(0.2)
    t.join()
    resp = box["resp"]
    assert resp.status_code == 503
    assert "deadline" in resp.text and "3 s" in resp.text
    assert resp.headers.get("retry-after")
    # /health answered while the only worker was busy with the runaway query
    assert healths and all(h.status_code == 200 for h in healths)
    assert any(h.json()["pool"]["idle"] == 0 for h in healths)
    # the pool recovers: the killed worker is replaced and the next query is answered
    ok = _until_ok(strict.sparql, {"query": "ASK {}"})
    assert ok.status_code == 200
    stats = httpx.get(f"{strict.base}/health", timeout=5).json()["pool"]
    assert stats["killed_at_deadline"] >= 1 and stats["restarted"] >= 1 and stats["workers"] == 1


def test_row_cap_is_reported_in_headers_and_json(strict):
    r = _until_ok(strict.sparql, {"query": MANY})
    assert r.status_code == 200
    assert r.headers["x-row-cap"] == "5" and r.headers["x-truncated"] == "true" and r.headers["x-row-count"] == "5"
    doc = r.json()
    assert len(doc["results"]["bindings"]) == 5
    assert doc["limits"] == {"rowCap": 5, "rows": 5, "truncated": True}
    small = httpx.get(strict.sparql, params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"}, timeout=30)
    assert small.headers["x-truncated"] == "false" and small.json()["limits"]["truncated"] is False
    csv = httpx.get(strict.sparql, params={"query": MANY}, headers={"Accept": "text/csv"}, timeout=30)
    assert len(csv.text.strip().splitlines()) == 6 and csv.headers["x-truncated"] == "true"
    graph = httpx.get(strict.sparql, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "application/n-triples"}, timeout=30)
    assert len(graph.text.strip().splitlines()) == 5 and graph.headers["x-truncated"] == "true"


def test_saved_query_api_reports_the_cap(strict):
    r = _until_ok(f"{strict.base}/api/response-rates", {})
    assert r.status_code == 200
    doc = r.json()
    assert len(doc["results"]["bindings"]) == 5 and doc["limits"]["truncated"] is True and r.headers["x-truncated"] == "true"
    page = httpx.get(f"{strict.base}/queries/response-rates", timeout=30)
    assert "cut at the row cap of 5" in page.text


def test_request_bodies_over_the_cap_get_413(strict):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 3000
    r = httpx.post(strict.sparql, content=big, headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert r.status_code == 413 and "2,000" in r.text

    def chunks():  # no Content-Length: the cap holds while the body streams in
        for _ in range(10):
            yield b"#" + b"y" * 499

    r = httpx.post(strict.sparql, content=chunks(), headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert r.status_code == 413


@pytest.mark.parametrize("query,status,words", [
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", 403, "SERVICE"),
    ("SELECT * WHERE { SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }", 403, "SERVICE"),
    ("LOAD <http://example.org/data.ttl>", 403, "read-only"),
    ("DROP ALL", 403, "read-only"),
    ("INSERT DATA { <http://a> <http://b> <http://c> }", 403, "read-only"),
    ("SELECT * WHERE { ?s ?p }", 400, "parse"),
])
def test_refused_before_execution(server, query, status, words):
    r = httpx.post(server.sparql, data={"query": query}, timeout=30)
    assert r.status_code == status and words in r.text


def test_service_allow_list():
    q = "SELECT * WHERE { SERVICE <http://allowed.example/sparql> { ?s ?p ?o } }"
    check_request_query(q, ("http://allowed.example/sparql",))  # listed: passes the guard
    with pytest.raises(Refused) as exc:
        check_request_query(q, ("http://other.example/sparql",))
    assert exc.value.status == 403
    with pytest.raises(Refused):
        check_request_query("SELECT * WHERE { SERVICE ?where { ?s ?p ?o } }", ("http://allowed.example/sparql",))


def test_a_new_generation_is_picked_up_without_a_restart(tmp_path):
    store = tmp_path / "store"
    add_graphs(store, fixture_nquads("protocol_graphs.nq"), index=False)
    s = MsckgServer(store, workers=1)
    try:
        count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        n = lambda: int(httpx.get(s.sparql, params={"query": count}, timeout=30).json()["results"]["bindings"][0]["n"]["value"])
        assert n() == 3
        assert void_triples(s) == 3
        before = httpx.get(f"{s.base}/health", timeout=5).json()["generation"]
        add_graphs(store, b'<http://example.org/new> <http://example.org/p> "added" <http://example.org/g> .\n', index=False)
        assert n() == 4
        assert httpx.get(f"{s.base}/health", timeout=5).json()["generation"] != before
        assert void_triples(s) == 4  # the description cached for the old generation is not served
    finally:
        s.stop()


def void_triples(server) -> int:
    from rdflib import Graph, URIRef

    g = Graph().parse(data=httpx.get(f"{server.base}/void", headers={"Accept": "text/turtle"}, timeout=30).text, format="turtle")
    return int(g.value(URIRef("https://w3id.org/msckg/dataset"), URIRef("http://rdfs.org/ns/void#triples")))


def test_fronting_a_remote_store_keeps_the_rules(tmp_path):
    from tests.oxigraph_server import OxigraphServer

    location = tmp_path / "oxi"
    st = ox.Store(str(location))
    st.bulk_load(fixture_nquads("protocol_graphs.nq") + b"".join(
        f'<http://example.org/s{i}> <http://example.org/p> "{i}" <http://example.org/many> .\n'.encode() for i in range(100)),
        format=ox.RdfFormat.N_QUADS)
    st.flush()
    del st
    remote = OxigraphServer(location)
    try:
        s = MsckgServer(endpoint=remote.query_url, workers=1, deadline=3, row_cap=4)
        try:
            ask = httpx.get(s.sparql, params={"query": "ASK { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?t }",
                                              "default-graph-uri": "http://kasei.us/2009/09/sparql/data/data2.rdf"}, timeout=30)
            assert ask.status_code == 200 and ask.json()["boolean"] is False
            rows = httpx.get(s.sparql, params={"query": "SELECT ?o WHERE { ?s <http://example.org/p> ?o }"}, timeout=30)
            assert len(rows.json()["results"]["bindings"]) == 4 and rows.headers["x-truncated"] == "true"
            ttl = httpx.get(s.sparql, params={"query": "CONSTRUCT WHERE { ?s <http://example.org/p> ?o }"},
                            headers={"Accept": "text/turtle"}, timeout=30)
            assert ttl.status_code == 200 and ttl.headers["x-truncated"] == "true"
            assert httpx.post(s.sparql, data={"update": "DROP ALL"}, timeout=30).status_code == 403
            svc = httpx.post(s.sparql, data={"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"}, timeout=30)
            assert svc.status_code == 403
            slow = httpx.post(s.sparql, data={"query": SLOW.replace("?g ?h ?i", "?g ?h ?i . ?j ?k ?l . ?m ?n ?q")}, timeout=60)
            assert slow.status_code == 503 and "deadline" in slow.text
            # the remote store still holds everything: nothing was forwarded that could change it
            assert len(remote_count(remote.query_url)) == 103
        finally:
            s.stop()
    finally:
        remote.stop()


def remote_count(url: str) -> list:
    r = httpx.get(url, params={"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"}, headers={"Accept": "application/sparql-results+json"}, timeout=30)
    return r.json()["results"]["bindings"]
