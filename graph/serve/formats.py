"""Content negotiation: SPARQL results (JSON, XML, CSV, TSV) and RDF graphs (Turtle, N-Triples, JSON-LD, RDF/XML)."""

from __future__ import annotations

import pyoxigraph as ox

RESULTS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPHS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}
# `format=` shortcuts (for links and curl); the Accept header is the standard way
SHORT = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
    "tsv": "text/tab-separated-values", "ttl": "text/turtle", "turtle": "text/turtle", "nt": "application/n-triples",
    "jsonld": "application/ld+json", "json-ld": "application/ld+json", "rdfxml": "application/rdf+xml",
}
DEFAULT_RESULTS = "application/sparql-results+json"
DEFAULT_GRAPH = "text/turtle"
CHARSET = {"text/csv", "text/tab-separated-values", "text/turtle", "application/n-triples", "text/plain"}


def parse_accept(header: str | None) -> list[str]:
    """Media types of an Accept header, best first (q=0 dropped; ties keep their order)."""
    ranked = []
    for i, part in enumerate((header or "").split(",")):
        bits = [b.strip() for b in part.split(";")]
        if not bits[0]:
            continue
        q = 1.0
        for b in bits[1:]:
            if b.lower().startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, i, bits[0].lower()))
    return [t for _, _, t in sorted(ranked)]


def choose(accept: list[str], table: dict, default: str) -> str:
    """The first acceptable media type this endpoint writes for the answer's kind, else the default."""
    for media in accept:
        if media in table:
            return media
        if media in ("*/*", "application/*", "text/*"):
            return default
    return default


def with_charset(media: str) -> str:
    return f"{media}; charset=utf-8" if media in CHARSET else media
