"""The endpoint describes itself: the SPARQL 1.1 Service Description (a plain GET /sparql) and every
saved query as a SPARQL example (sh:SPARQLExecutable with rdfs:comment, as YASGUI and the SIB editor read them)."""

from __future__ import annotations

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SH

from msckg.graph.query.files import QueryFile

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
SCHEMA = Namespace("https://schema.org/")
VOID = Namespace("http://rdfs.org/ns/void#")
RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML"]


def service_description(endpoint: str, base: str, graphs: list[str], limits: dict) -> Graph:
    """SPARQL 1.1 Service Description of this endpoint: language, formats, union default graph, named graphs."""
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    s = URIRef(endpoint)
    g.add((s, RDF.type, SD.Service))
    g.add((s, SD.endpoint, s))
    g.add((s, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((s, SD.feature, SD.UnionDefaultGraph))
    for f in RESULT_FORMATS:
        g.add((s, SD.resultFormat, FORMATS[f]))
    g.add((s, DCTERMS.description, Literal(
        f"Read-only. Each query stops after {limits['deadline_seconds']:g} s (503); answers hold at most "
        f"{limits['row_cap']:,} rows or triples (reported in the X-Row-Cap and X-Truncated headers and the JSON "
        f"'limits' member); request bodies over {limits['max_body_bytes']:,} bytes get 413; updates, LOAD and "
        "SERVICE are refused.", lang="en")))
    ds = URIRef(f"{base}/.well-known/void#dataset")
    g.add((s, SD.defaultDataset, ds))
    g.add((ds, RDF.type, SD.Dataset))
    g.add((ds, RDFS.seeAlso, URIRef(f"{base}/.well-known/void")))
    g.add((ds, RDFS.seeAlso, URIRef(f"{base}/.well-known/sparql-examples")))
    for iri in graphs:
        node = URIRef(iri)
        g.add((ds, SD.namedGraph, node))
        g.add((node, RDF.type, SD.NamedGraph))
        g.add((node, SD.name, URIRef(iri)))
    return g


def example_iri(base: str, name: str) -> URIRef:
    return URIRef(f"{base}/.well-known/sparql-examples/{name}")


def examples_graph(queries: dict[str, QueryFile], endpoint: str, base: str) -> Graph:
    """Every saved query as a SPARQL example: sh:SPARQLExecutable + sh:SPARQLSelectExecutable, rdfs:comment,
    sh:select with the query text, schema:target the endpoint, schema:keywords its tags."""
    g = Graph()
    g.bind("sh", SH)
    g.bind("schema", SCHEMA)
    for q in queries.values():
        ex = example_iri(base, q.name)
        g.add((ex, RDF.type, SH.SPARQLExecutable))
        g.add((ex, RDF.type, SH.SPARQLSelectExecutable))
        g.add((ex, RDFS.label, Literal(q.name)))
        g.add((ex, RDFS.comment, Literal(q.summary, lang="en")))
        if q.header.get("description"):
            g.add((ex, DCTERMS.description, Literal(q.header["description"], lang="en")))
        g.add((ex, SH.select, Literal(q.text)))
        g.add((ex, SCHEMA.target, URIRef(endpoint)))
        g.add((ex, SCHEMA.url, URIRef(f"{base}/queries/{q.name}")))
        for t in q.tags:
            g.add((ex, SCHEMA.keywords, Literal(t)))
    return g
