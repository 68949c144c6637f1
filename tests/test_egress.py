"""Documents crafted to make each library fetch: msckg refuses them, and the session's canary sees nothing.

Each JSON-LD case is first given to rdflib directly, with a private canary, to prove that the
document really does make the library fetch; the same document through msckg is refused and the
session canary (tests/egress_canary.py) records no request.
"""

from __future__ import annotations

import json
import time
import tracemalloc

import pytest
from rdflib import Graph

from msckg.graph.build.run import build
from msckg.graph.build.sources import load_rdf_file
from msckg.graph.safety import UnsafeInput, check_query
from msckg.graph.store.embedded import EmbeddedStore
from msckg.loader.errors import SourceError

from .egress_canary import Canary

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def jsonld_cases(url: str) -> dict[str, dict]:
    """JSON-LD documents each of which makes rdflib fetch `url` (a context document)."""
    node = {"@id": "http://example.org/x", "p": "v"}
    return {
        "remote context as a string": {"@context": f"{url}/string", **node},
        "remote context in a list": {"@context": [{"q": "http://example.org/q"}, f"{url}/list"], **node},
        "remote context in a nested list": {"@context": [[[f"{url}/nested"]]], **node},
        "property-scoped context": {"@context": {"p": {"@id": "http://example.org/p", "@context": f"{url}/scoped"}},
                                    "@id": "http://example.org/x", "p": {"r": "v"}},
        "type-scoped context": {"@context": {"T": {"@id": "http://example.org/T", "@context": f"{url}/typed"}},
                                "@id": "http://example.org/x", "@type": "T", "p": "v"},
        "@import in an inline context": {"@context": {"@import": f"{url}/import", "p": "http://example.org/p"}, **node},
        "context inside a node": {"@id": "http://example.org/x", "http://example.org/k": {"@context": f"{url}/inner", "p": "v"}},
        "context of a context": {"@context": {"@context": f"{url}/meta"}, **node},
    }


CASES = list(jsonld_cases("http://x"))


@pytest.mark.parametrize("case", CASES)
def test_the_crafted_document_does_make_rdflib_fetch(case):
    private = Canary()
    try:
        doc = jsonld_cases(private.url)[case]
        try:
            Graph().parse(data=json.dumps(doc), format="json-ld")
        except Exception:  # the canary answers with an empty context; what rdflib makes of it does not matter
            pass
        assert private.hits, f"rdflib did not fetch for '{case}': the case proves nothing"
    finally:
        private.close()


@pytest.mark.parametrize("case", CASES)
def test_msckg_refuses_the_crafted_jsonld(tmp_path, egress_canary, case):
    path = tmp_path / "crafted.jsonld"
    path.write_text(json.dumps(jsonld_cases(egress_canary.url)[case]))
    with pytest.raises(SourceError) as info:
        load_rdf_file(path)
    [p] = info.value.problems
    assert p.file == str(path) and "refused" in p.message and "$" in p.message  # names the JSON path
    assert egress_canary.hits == []


def test_a_refused_source_fails_the_build_and_keeps_the_store(built_mini, tmp_path, egress_canary):
    store, data, first = built_mini
    docs = []
    for i, doc in enumerate(jsonld_cases(egress_canary.url).values()):
        docs.append(tmp_path / f"crafted{i}.jsonld")
        docs[-1].write_text(json.dumps(doc))
    with pytest.raises(SourceError) as info:
        build(store, data=data, extra_sources=docs)
    assert sorted({p.file for p in info.value.problems}) == sorted(map(str, docs))  # every bad file in one run
    assert EmbeddedStore(store).select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0].toPython() == first.triples
    assert egress_canary.hits == []


def test_inline_contexts_still_load(tmp_path):
    path = tmp_path / "ok.jsonld"
    path.write_text(json.dumps({"@context": [{"label": RDFS_LABEL}, None, {"@vocab": "http://example.org/"}],
                                "@id": "http://example.org/x", "label": "x", "other": {"@value": "y"}}))
    g = load_rdf_file(path).graph
    assert {str(o) for o in g.objects()} >= {"x", "y"}


def test_owl_imports_in_a_source_is_refused(tmp_path, egress_canary):
    path = tmp_path / "imports.ttl"
    path.write_text(f"<https://example.org/o> a <http://www.w3.org/2002/07/owl#Ontology> ;\n"
                    f"  <http://www.w3.org/2002/07/owl#imports> <{egress_canary.url}/onto.owl> .\n")
    with pytest.raises(SourceError, match="owl:imports .* is refused"):
        load_rdf_file(path)
    assert egress_canary.hits == []


@pytest.mark.parametrize("query", [
    "SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ?o . OPTIONAL {{ SERVICE <{url}/a> {{ ?s ?q ?r }} }} }}",
    "LOAD <{url}/data.ttl>",
    "LOAD SILENT <{url}/data.ttl> INTO GRAPH <http://g>",
    "SELECT * FROM <{url}/data.ttl> WHERE {{ ?s ?p ?o }}",
])
def test_queries_that_would_fetch(built_mini, egress_canary, query):
    store, _, _ = built_mini
    text = query.format(url=egress_canary.url)
    try:
        EmbeddedStore(store).select(text)  # FROM names a graph of the store: no fetch, maybe no rows
    except UnsafeInput:
        pass
    if "SERVICE" in text or "LOAD" in text:
        with pytest.raises(UnsafeInput):
            check_query(text)
    assert egress_canary.hits == []


XXE = '<?xml version="1.0" encoding="{enc}"?>\n<!DOCTYPE rdf [ <!ENTITY ext SYSTEM "{url}/secret"> ]>\n' \
      '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">' \
      '<rdf:Description rdf:about="http://example.org/x"><ex:p>&ext;</ex:p></rdf:Description></rdf:RDF>'


@pytest.mark.parametrize("enc", ["UTF-8", "UTF-16", "UTF-16LE", "ISO-8859-1"])
def test_xml_external_entity_is_refused_in_any_encoding(tmp_path, egress_canary, enc):
    path = tmp_path / "xxe.rdf"
    text = XXE.format(url=egress_canary.url, enc=enc)
    path.write_bytes(("\ufeff" + text).encode("utf-16-le") if enc == "UTF-16LE" else text.encode(enc.lower()))
    with pytest.raises(SourceError) as info:
        load_rdf_file(path)
    [p] = info.value.problems
    assert "DOCTYPE" in p.message and p.line == 2
    assert egress_canary.hits == []


def _entity_bomb(levels: int = 10) -> bytes:
    ents = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    ents += [f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, levels)]
    return (f'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n{chr(10).join(ents)}\n]>\n'
            f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
            f'<rdf:Description rdf:about="http://example.org/x"><ex:p>&lol{levels - 1};</ex:p></rdf:Description></rdf:RDF>').encode()


def test_xml_entity_bomb_is_refused_fast_in_bounded_memory(tmp_path):
    path = tmp_path / "bomb.rdf"
    path.write_bytes(_entity_bomb())  # expanded: 10^10 'lol's, tens of gigabytes
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(SourceError, match="DOCTYPE"):
            load_rdf_file(path)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # generous bounds (the machine is shared); measured here: about 1 ms and well under 1 MB
    assert seconds < 1.0 and peak < 10 * 1024 * 1024, (seconds, peak)


def _urls_everywhere(tree, url: str):
    """Every string of a JSON tree replaced by a URL at the canary (keys and identifiers kept)."""
    if isinstance(tree, dict):
        return {k: (v if k in ("nctId",) else _urls_everywhere(v, url)) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_urls_everywhere(v, url) for v in tree]
    if isinstance(tree, str):
        return f"{url}/{abs(hash(tree)) % 10_000}"
    return tree


REGISTRY_RECORD = {
    "protocolSection": {
        "identificationModule": {"nctId": "NCT01234567", "briefTitle": "t", "officialTitle": "t", "orgStudyIdInfo": {"id": "x"}},
        "statusModule": {"overallStatus": "COMPLETED", "startDateStruct": {"date": "2020-01"}},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "s", "class": "OTHER"}, "collaborators": [{"name": "c"}]},
        "descriptionModule": {"briefSummary": "b", "detailedDescription": "d"},
        "conditionsModule": {"conditions": ["c"], "keywords": ["k"]},
        "designModule": {"studyType": "INTERVENTIONAL", "phases": ["PHASE2"], "enrollmentInfo": {"count": 10, "type": "ACTUAL"}},
        "armsInterventionsModule": {"armGroups": [{"label": "a", "type": "EXPERIMENTAL", "interventionNames": ["i"]}],
                                    "interventions": [{"type": "BIOLOGICAL", "name": "i", "armGroupLabels": ["a"]}]},
        "outcomesModule": {"primaryOutcomes": [{"measure": "m", "timeFrame": "t"}]},
        "referencesModule": {"references": [{"pmid": "1", "citation": "c"}], "seeAlsoLinks": [{"label": "l", "url": "u"}]},
        "contactsLocationsModule": {"locations": [{"facility": "f", "city": "c", "country": "China"}]},
    },
}


def test_a_registry_record_full_of_urls_fetches_nothing(built_mini, tmp_path, egress_canary):
    from msckg.loader.ctgov import ctgov_to_graph

    path = tmp_path / "NCT01234567.json"
    path.write_text(json.dumps(_urls_everywhere(REGISTRY_RECORD, egress_canary.url)))
    try:
        ctgov_to_graph(path)
    except SourceError:
        pass  # refusing it is as good as loading it: what matters is that nothing was fetched
    store, data, _ = built_mini
    try:
        build(store, data=data, extra_sources=[path])
    except Exception:  # a validation failure is fine too
        pass
    assert egress_canary.hits == []


def test_curated_urls_are_data_not_fetches(mini_data, tmp_path, egress_canary):
    rec = next((mini_data / "records").glob("*.yaml"))
    rec.write_text(rec.read_text().replace("entities:\n", f"entities:\n  - key: pub/example-2025/see\n    a: Organisation\n"
                                           f"    label: Canary\n    seeAlso: {egress_canary.url}/see-also\n", 1))
    build(tmp_path / "store", data=mini_data)
    rows = EmbeddedStore(tmp_path / "store").select(
        f"SELECT ?o WHERE {{ ?s <http://www.w3.org/2000/01/rdf-schema#seeAlso> ?o FILTER(STRSTARTS(STR(?o), \"{egress_canary.url}\")) }}")
    assert len(rows.rows) == 1
    assert egress_canary.hits == []


def test_the_session_points_every_proxy_at_the_canary(egress_canary):
    import os
    import urllib.request

    assert os.environ["HTTPS_PROXY"] == egress_canary.url and "127.0.0.1" in os.environ["NO_PROXY"]
    assert urllib.request.getproxies()["http"] == egress_canary.url
