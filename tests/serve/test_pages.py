"""The curator's pages and the REST paths, on a real server: entity pages with their tables and source
locators (checked against the records), saved-query forms, CSV, plots, the dataset description and
examples, and everything from the graph escaped (hostile labels in a fixture graph)."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import subprocess
import urllib.parse
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from ruamel.yaml import YAML

from msckg.graph.query.saved import saved_queries
from msckg.graph.serve.app import CSP
from msckg.graph.serve.cells import guard_cell
from tests.serve.server import MSCKG

ROOT = Path(__file__).resolve().parents[2]
JIANG = ROOT / "data" / "records" / "003-jiang-2024-agvhd.yaml"
AE_KEY = "pub/jiang-2024-agvhd/ae/gastrointestinal-bleeding-msc-g3to4"
ID = "https://w3id.org/msckg/id/"
VOID = "http://rdfs.org/ns/void#"


def record(path: Path, key: str) -> dict:
    doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return next(e for e in doc["entities"] if e.get("key") == key)


def get(server, path: str, **params) -> httpx.Response:
    return httpx.get(server.base + path, params=params, timeout=60)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_home_page_counts_and_links(server):
    r = get(server, "/")
    assert r.status_code == 200
    assert "4 trials" in r.text  # three seed trials and the hostile fixture one
    for name in saved_queries():
        assert f'href="/queries/{name}"' in r.text


def test_search_finds_a_haemorrhage_for_bleeding_with_why(server):
    r = get(server, "/search", q="bleeding", type="AdverseEventCount")
    assert r.status_code == 200
    assert "AdverseEventCount" in r.text
    assert "/entity?iri=" + "https%3A%2F%2Fw3id.org%2Fmsckg%2Fid%2Fpub%2F" in r.text
    assert re.search(r"<b>(label|synonym|ontology|spelling)</b>", r.text)
    s = httpx.get(server.base + "/suggest", params={"q": "gastrointestinal bleed"}, timeout=30).json()
    assert s and all(set(h) == {"label", "type", "iri", "url"} for h in s)
    assert any("bleeding" in h["label"].lower() or "haemorrhage" in h["label"].lower() or "hemorrhage" in h["label"].lower() for h in s)


def test_evidence_page_shows_its_source_document_and_locator(server):
    rec = record(JIANG, AE_KEY)
    r = get(server, "/entity", iri=ID + AE_KEY)
    assert r.status_code == 200
    page = text_of(r.text)
    assert "Source" in page and rec["locator"] in page
    assert "Jiang et al. 2024" in page  # the document's label, linked
    assert str(rec["affected"]) in page and rec["term"] in page
    same = get(server, "/id/" + AE_KEY)  # the w3id-style path gives the same page
    assert same.status_code == 200 and rec["locator"] in text_of(same.text)


def test_trial_page_has_arms_and_adverse_event_tables(server):
    r = get(server, "/entity", iri=ID + "trial/ChiCTR2000035740")
    assert r.status_code == 200
    titles = re.findall(r"<h2>([^<]+?) <small>", r.text)
    assert "Adverse-event count" in titles and "Experimental arm" in titles and "Placebo arm" in titles, titles
    section = r.text.split("<h2>Adverse-event count")[1].split("</section>")[0]
    rows = re.findall(r"<tr>\s*<td>(?:<div class=\"c\">)?<a href=\"/entity\?iri=([^\"]+)\">.*?</tr>", section, re.S)
    assert len(rows) >= 10
    doc = YAML(typ="safe").load(JIANG.read_text(encoding="utf-8"))
    by_key = {e["key"]: e for e in doc["entities"] if "key" in e}
    checked = 0
    for encoded, row in zip(rows, re.findall(r"<tr>\s*<td>(?:<div class=\"c\">)?<a href=\"/entity\?iri=[^\"]+\">.*?</tr>", section, re.S)):
        key = urllib.parse.unquote(encoded)[len(ID):]
        if key in by_key:
            rec = by_key[key]
            cells = text_of(row)
            assert rec["locator"] in cells and rec["term"] in cells and str(rec.get("atRisk", "")) in cells
            checked += 1
    assert checked >= 10
    # the registration is a table of its own, from the trial's own links
    assert "ChiCTR2000035740" in text_of(r.text)


def test_unknown_iri_is_404_and_missing_iri_400(server):
    assert get(server, "/entity", iri="https://example.org/nothing-here").status_code == 404
    assert get(server, "/entity").status_code == 400
    assert get(server, "/no/such/page").status_code == 404


def test_hostile_labels_render_as_text(server):
    r = get(server, "/entity", iri=ID + "trial/HOSTILE1")
    assert r.status_code == 200
    body = r.text
    assert "<script>alert" not in body and "<img src=x" not in body and '"</td><script>' not in body
    assert "&lt;script&gt;alert(&#34;xss-label&#34;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert not re.search(r'href\s*=\s*"\s*javascript:', body, re.I)
    assert 'href="https://example.org/term?x=1&amp;y=%22q%22"' in body  # http(s) IRIs are linked, escaped
    assert "javascript:alert(document.cookie)" in body  # shown as text, never as a link
    # scripts: only our own files, none inline
    assert re.findall(r"<script(?![^>]*\bsrc=)", body) == []
    for url in ("/search?q=%3Cscript%3E", "/queries/trials"):
        page = httpx.get(server.base + url, timeout=60).text
        assert "<script>alert" not in page and "<img src=x" not in page


def test_security_headers_and_csp(server):
    r = get(server, "/")
    csp = r.headers["content-security-policy"]
    assert csp == CSP
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert get(server, "/sparql", query="ASK {}").headers["content-security-policy"] == CSP


def test_csv_downloads_guard_against_formula_injection(server):
    r = get(server, "/queries/trials.csv", columns="all")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    hostile = next(row for row in rows if row["trial"].endswith("HOSTILE1"))
    assert hostile["title"].startswith("'=HYPERLINK(")
    for row in rows:
        for v in row.values():
            assert not v.startswith(("=", "+", "@")) and not (v.startswith("-") and not re.match(r"^-[\d.]+$", v))
    api = httpx.get(server.base + "/api/trials", headers={"Accept": "text/csv"}, timeout=60)
    assert "'=HYPERLINK(" in api.text and '\n=HYPERLINK' not in api.text and ',=HYPERLINK' not in api.text


@pytest.mark.parametrize("text,out", [("=1+1", "'=1+1"), ("+x", "'+x"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
                                      ("\t=x", "'\t=x"), ("-0.5", "-0.5"), ("+3", "+3"), ("1e-3", "1e-3"), ("plain", "plain")])
def test_guard_cell(text, out):
    assert guard_cell(text) == out


def test_query_page_form_table_and_plot(server):
    r = get(server, "/queries/adverse-events", min_grade="3")
    assert r.status_code == 200
    assert 'name="min_grade"' in r.text and 'value="3"' in r.text and 'name="serious_only"' in r.text
    assert "row(s)" in r.text and "download CSV" in r.text
    assert '<img src="/queries/adverse-events/plot.png?min_grade=3"' in r.text
    png = get(server, "/queries/adverse-events/plot.png", min_grade="3")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    pages = int(png.headers["X-Plot-Pages"])
    last = get(server, "/queries/adverse-events/plot.png", min_grade="3", page=str(pages))
    assert last.status_code == 200 and last.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert get(server, "/queries/adverse-events/plot.png", min_grade="3", page=str(pages + 1)).status_code == 404
    assert get(server, "/queries/adverse-events/plot.png", page="x").status_code == 400
    bad = get(server, "/queries/adverse-events", min_grade="9")
    assert bad.status_code == 400 and "between 1 and 5" in html.unescape(bad.text)
    assert get(server, "/queries/trials/plot.png").status_code == 404


def test_query_page_labels_link_to_entity_pages(server):
    r = get(server, "/queries/controlled-comparisons")
    assert r.status_code == 200
    # entity columns show a label (or CURIE) linked to the entity page, never a bare IRI as text
    assert "/entity?iri=https%3A%2F%2Fw3id.org%2Fmsckg%2Fid%2Ftrial%2F" in r.text
    assert ">https://w3id.org/msckg/id/" not in r.text


def test_rest_path_returns_the_same_rows_as_ask(server, served_store):
    api = httpx.get(server.base + "/api/adverse-events", params={"min_grade": "3", "class": "msckg:AE_Haemorrhage"}, timeout=60)
    assert api.status_code == 200
    cli = subprocess.run([MSCKG, "--store", str(served_store), "ask", "adverse-events", "--param", "min_grade=3",
                          "--param", "class=msckg:AE_Haemorrhage", "--format", "json"], capture_output=True, text=True, check=True)
    expected = json.loads(cli.stdout)
    got = api.json()
    # both are SPARQL 1.1 Query Results JSON: the same variables and the same bindings
    assert got["head"]["vars"] == expected["head"]["vars"]
    assert got["results"]["bindings"] == expected["results"]["bindings"] and len(got["results"]["bindings"]) > 0
    assert got["limits"]["rows"] == len(got["results"]["bindings"])
    bad = httpx.get(server.base + "/api/adverse-events", params={"min_grade": "x"}, timeout=30)
    assert bad.status_code == 400 and "min_grade" in bad.text
    assert httpx.get(server.base + "/api/no-such-query", timeout=30).status_code == 404
    index = httpx.get(server.base + "/api", timeout=30).json()
    assert {q["name"] for q in index} == set(saved_queries())


def test_sparql_examples_publish_every_saved_query(server):
    g = Graph().parse(data=httpx.get(server.base + "/.well-known/sparql-examples", headers={"Accept": "text/turtle"}, timeout=30).text, format="turtle")
    for q in saved_queries().values():
        ex = URIRef(f"{server.base}/.well-known/sparql-examples/{q.name}")
        assert (ex, RDF.type, SH.SPARQLExecutable) in g and (ex, RDF.type, SH.SPARQLSelectExecutable) in g
        assert (ex, RDFS.comment, Literal(q.summary, lang="en")) in g
        assert (ex, SH.select, Literal(q.text)) in g
        assert (ex, URIRef("https://schema.org/target"), URIRef(server.sparql)) in g


def test_void_describes_the_served_dataset(server, served_store):
    g = Graph().parse(data=httpx.get(server.base + "/.well-known/void", headers={"Accept": "text/turtle"}, timeout=60).text, format="turtle")
    assert httpx.get(server.base + "/void", timeout=30).status_code == 200
    d = URIRef("https://w3id.org/msckg/dataset")
    count = httpx.get(server.sparql, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"}, timeout=30)
    assert int(g.value(d, URIRef(VOID + "triples"))) == int(count.json()["results"]["bindings"][0]["n"]["value"])
    assert (d, URIRef(VOID + "sparqlEndpoint"), URIRef(server.sparql)) in g
    parts = {str(g.value(p, URIRef(VOID + "class"))): int(g.value(p, URIRef(VOID + "entities")))
             for p in g.objects(d, URIRef(VOID + "classPartition"))}
    assert parts["https://w3id.org/msckg/Trial"] == 4
    # each source graph carries its file's checksum, read here from the file itself
    spdx = "http://spdx.org/rdf/terms#"
    sub = URIRef("https://w3id.org/msckg/graph/pub/jiang-2024-agvhd")
    ck = g.value(sub, URIRef(spdx + "checksum"))
    assert str(g.value(ck, URIRef(spdx + "checksumValue"))) == hashlib.sha256(JIANG.read_bytes()).hexdigest()
    assert g.value(sub, URIRef("http://purl.org/dc/terms/license")) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert g.value(sub, URIRef("http://purl.org/dc/terms/source")) == URIRef(ID + "pub/jiang-2024-agvhd")
    onto = URIRef("https://w3id.org/msckg/ontology")
    assert g.value(d, URIRef("http://purl.org/dc/terms/conformsTo")) == onto
    assert str(g.value(onto, URIRef("http://www.w3.org/2002/07/owl#versionInfo")))


def test_editor_works_without_javascript(server):
    r = get(server, "/editor", query="SELECT ?g WHERE { GRAPH ?g { <http://kasei.us/2009/09/sparql/data/data1.rdf> ?p ?o } }")
    assert r.status_code == 200
    assert '<form class="plain-editor' in r.text and "1 row(s)" in r.text
    assert "http://kasei.us/2009/09/sparql/data/data1.rdf" in r.text
    bad = get(server, "/editor", query="DROP ALL")
    assert "read-only" in bad.text
