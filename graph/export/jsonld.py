"""JSON-LD export: the dataset compacted with ontology/context.jsonld, embedded inline (nothing is ever fetched)."""

from __future__ import annotations

import json

import pyoxigraph as ox
from rdflib import Dataset

from msckg.graph.ontology.context import CONTEXT_FILE
from msckg.graph.store.terms import to_rdflib


def local_context() -> dict:
    """The project's JSON-LD context (the object under "@context" of ontology/context.jsonld)."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]


def jsonld(quads: list[ox.Quad]) -> bytes:
    """The quads as one JSON-LD document: the context inline, one @graph entry per named graph, keys sorted."""
    ds = Dataset()
    for q in quads:  # term by term, so the canonical blank-node labels survive (a re-parse would renumber them)
        target = ds.default_graph if isinstance(q.graph_name, ox.DefaultGraph) else ds.graph(to_rdflib(q.graph_name))
        target.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    doc = json.loads(ds.serialize(format="json-ld", context=local_context(), auto_compact=True))
    return (json.dumps(_stable(doc), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _stable(value, key: str = ""):
    """Arrays sorted (JSON-LD arrays are unordered sets), except @list, whose order is the data."""
    if isinstance(value, dict):
        return {k: _stable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_stable(v) for v in value]
        if key == "@list":
            return items
        return sorted(items, key=lambda v: (str(v.get("@id", "")) if isinstance(v, dict) else "", json.dumps(v, sort_keys=True)))
    return value
