"""`msckg describe`: the VoID + DCAT description of a built store, the same bytes on every run, with
the figures the store holds and each source's checksum read from its file."""

from __future__ import annotations

import hashlib
import subprocess

from rdflib import Graph, URIRef

from tests.serve.server import MSCKG

VOID = "http://rdfs.org/ns/void#"


def run(store, *args) -> str:
    return subprocess.run([MSCKG, "--store", str(store), "describe", *args], capture_output=True, text=True, check=True).stdout


def test_describe_is_stable_and_counts_what_the_store_holds(built_mini, tmp_path):
    store, data, res = built_mini
    ttl1, ttl2 = run(store), run(store)
    assert ttl1 == ttl2 and run(store, "--format", "nt") == run(store, "--format", "nt")
    g = Graph().parse(data=ttl1, format="turtle")
    d = URIRef("https://w3id.org/msckg/dataset")
    assert int(g.value(d, URIRef(VOID + "triples"))) == res.triples
    subsets = set(g.objects(d, URIRef(VOID + "subset")))
    assert len(subsets) == res.graphs
    # every record file's checksum, computed here from the file
    spdx = "http://spdx.org/rdf/terms#"
    files = {str(g.value(s, URIRef("https://w3id.org/msckg/sourceFile"))): s for s in subsets
             if g.value(s, URIRef("https://w3id.org/msckg/sourceFile")) is not None}
    assert files
    for name, sub in files.items():
        path = data.parent / name if (data.parent / name).exists() else data / name.split("data/", 1)[-1]
        ck = g.value(sub, URIRef(spdx + "checksum"))
        assert str(g.value(ck, URIRef(spdx + "checksumValue"))) == hashlib.sha256(path.read_bytes()).hexdigest(), name
        assert g.value(sub, URIRef("http://purl.org/dc/terms/license")) is not None
    out = tmp_path / "void.ttl"
    subprocess.run([MSCKG, "--store", str(store), "describe", "-o", str(out), "--sparql-endpoint", "https://example.org/sparql"],
                   check=True, capture_output=True)
    g2 = Graph().parse(out, format="turtle")
    assert (d, URIRef(VOID + "sparqlEndpoint"), URIRef("https://example.org/sparql")) in g2


def test_describe_refuses_an_unknown_format(built_mini):
    store = built_mini[0]
    r = subprocess.run([MSCKG, "--store", str(store), "describe", "--format", "xml"], capture_output=True, text=True)
    assert r.returncode == 1 and "unknown format" in r.stderr
