"""Nothing in build, validate, query or ask reaches the network: a canary server on 127.0.0.1 proves it."""

from __future__ import annotations

import http.server
import shutil
import threading

import pytest
from typer.testing import CliRunner

from msckg.graph.build.run import build
from msckg.graph.cli import app
from msckg.graph.paths import ONTOLOGY
from msckg.graph.safety import UnsafeInput
from msckg.graph.store.embedded import EmbeddedStore
from msckg.loader.errors import SourceError


class Canary:
    """A local HTTP server that records every request it receives."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.end_headers()
                self.wfile.write(b'{"@context": {}}')

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def canary():
    c = Canary()
    yield c
    c.close()


def test_canary_works(canary):
    import urllib.request

    urllib.request.urlopen(canary.url + "/ping", timeout=5).read()
    assert canary.hits == ["/ping"]


def test_service_is_refused(built_mini, canary):
    store, _, _ = built_mini
    s = EmbeddedStore(store)
    with pytest.raises(UnsafeInput, match="SERVICE"):
        s.select(f"SELECT * WHERE {{ SERVICE <{canary.url}/sparql> {{ ?s ?p ?o }} }}")
    assert canary.hits == []


def test_cli_query_refuses_service_and_load(built_mini, canary):
    store, _, _ = built_mini
    runner = CliRunner()
    for q in (f"SELECT * WHERE {{ SERVICE <{canary.url}/sparql> {{ ?s ?p ?o }} }}", f"LOAD <{canary.url}/data.ttl>"):
        res = runner.invoke(app, ["--store", str(store), "query", "-"], input=q)
        assert res.exit_code == 1
        assert "refused" in res.output and "Traceback" not in res.output
    assert canary.hits == []


def test_owl_imports_is_refused(built_mini, canary, tmp_path):
    store, data, _ = built_mini
    onto = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, onto)
    (onto / "terms" / "imports.ttl").write_text(
        f"@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<https://w3id.org/msckg/x> a owl:Ontology ; owl:imports <{canary.url}/onto.owl> .\n")
    with pytest.raises(SourceError, match="owl:imports .* is refused"):
        build(store, data=data, ontology=onto)
    assert canary.hits == []


def test_jsonld_remote_context_is_refused(built_mini, canary, tmp_path):
    store, data, _ = built_mini
    doc = tmp_path / "extra.jsonld"
    doc.write_text(f'{{"@context": "{canary.url}/context.jsonld", "@id": "http://example.org/x", "name": "x"}}')
    with pytest.raises(SourceError, match="remote context"):
        build(store, data=data, extra_sources=[doc])
    assert canary.hits == []


def test_jsonld_inline_context_loads(built_mini, tmp_path):
    store, data, _ = built_mini
    doc = tmp_path / "extra.jsonld"
    doc.write_text('{"@context": {"label": "http://www.w3.org/2000/01/rdf-schema#label"}, "@id": "http://example.org/x", "label": "x"}')
    build(store, data=data, extra_sources=[doc])
    rows = EmbeddedStore(store).select('SELECT ?l WHERE { <http://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label> ?l }')
    assert [str(r[0]) for r in rows.rows] == ["x"]


def test_xml_entities_are_refused_before_parsing(built_mini, canary, tmp_path):
    store, data, _ = built_mini
    doc = tmp_path / "extra.rdf"
    doc.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE rdf [ <!ENTITY ext SYSTEM "{canary.url}/secret"> ]>\n'
                   '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="http://x">&ext;</rdf:Description></rdf:RDF>')
    with pytest.raises(SourceError, match="DOCTYPE or <!ENTITY is refused"):
        build(store, data=data, extra_sources=[doc])
    assert canary.hits == []
