"""Stable RDF exports: the same sources give byte-identical Turtle, TriG and N-Quads.

Statements are sorted; blank nodes get their RDFC-1.0 canonical labels (`_:c14n0`...); Turtle and
TriG declare the project's prefixes (ontology/prefixes.ttl) and use a CURIE only where its local
name needs no escape (`msckg:Trial`, never `id:trial\\/NCT...`: such IRIs are written in full).
Oxigraph's own serialiser keeps store order and escapes `/` in local names, hence this writer.
"""

from __future__ import annotations

import re
from itertools import groupby
from typing import Iterable, Iterator

import pyoxigraph as ox

from msckg.loader.schema import read_prefixes

# A local name that Turtle accepts without any escape (a conservative subset of PN_LOCAL).
_PLAIN_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads sorted, blank nodes relabelled canonically (RDFC-1.0 over the quads that mention one)."""
    ground, with_blank = [], []
    for q in quads:
        (with_blank if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) else ground).append(q)
    if with_blank:
        ds = ox.Dataset(with_blank)
        ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        ground.extend(ds)
    return sorted(ground, key=_sort_key)


def _sort_key(q: ox.Quad) -> tuple[str, str, str, str]:
    graph = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
    return graph, str(q.subject), str(q.predicate), str(q.object)


def nquads(quads: list[ox.Quad]) -> bytes:
    """Canonical N-Quads: one sorted line per statement."""
    lines = [f"{q} ." for q in quads]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


class _Terms:
    """Turtle spelling of terms with the declared prefixes."""

    def __init__(self, prefixes: dict[str, str]):
        self.prefixes = prefixes
        self._by_length = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))

    def iri(self, value: str) -> str:
        for prefix, ns in self._by_length:
            if value.startswith(ns):
                local = value[len(ns):]
                if local == "" or _PLAIN_LOCAL.match(local):
                    return f"{prefix}:{local}"
        return f"<{value}>"

    def term(self, t) -> str:
        if isinstance(t, ox.NamedNode):
            return self.iri(t.value)
        if isinstance(t, ox.BlankNode):
            return str(t)
        if isinstance(t, ox.Literal):
            text = str(ox.Literal(t.value))  # the quoted, escaped lexical form
            if t.language:
                return f"{text}@{t.language}"
            if t.datatype.value == _XSD_STRING:
                return text
            return f"{text}^^{self.iri(t.datatype.value)}"
        return str(t)


def _statements(quads: list[ox.Quad], terms: _Terms, indent: str) -> Iterator[str]:
    """Subject blocks: `s p o1 , o2 ;` one predicate per line, `.` at the end (quads sorted by subject)."""
    for subject, same_subject in groupby(quads, key=lambda q: q.subject):
        lines = []
        for pred, same_pred in groupby(same_subject, key=lambda q: q.predicate):
            p = "a" if pred.value == _RDF_TYPE else terms.iri(pred.value)
            lines.append(f"{p} {' , '.join(terms.term(q.object) for q in same_pred)}")
        yield f"{indent}{terms.term(subject)}\n" + " ;\n".join(f"{indent}    {ln}" for ln in lines) + " .\n"


def _header(prefixes: dict[str, str]) -> str:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(prefixes.items(), key=lambda kv: kv[0].lower())) + "\n"


def turtle(quads: list[ox.Quad], prefixes: dict[str, str] | None = None) -> bytes:
    """Every graph merged into one sorted Turtle document (duplicates across graphs written once)."""
    prefixes = dict(read_prefixes().prefix_map) if prefixes is None else prefixes
    triples = sorted({ox.Quad(q.subject, q.predicate, q.object) for q in quads}, key=_sort_key)
    terms = _Terms(prefixes)
    return (_header(prefixes) + "\n".join(_statements(triples, terms, ""))).encode("utf-8")


def trig(quads: list[ox.Quad], prefixes: dict[str, str] | None = None) -> bytes:
    """Sorted TriG: one block per named graph in IRI order, statements sorted inside it."""
    prefixes = dict(read_prefixes().prefix_map) if prefixes is None else prefixes
    terms = _Terms(prefixes)
    parts = [_header(prefixes)]
    for graph, same_graph in groupby(quads, key=lambda q: q.graph_name):
        block = list(same_graph)
        if isinstance(graph, ox.DefaultGraph):
            parts.append("\n".join(_statements(block, terms, "")) + "\n")
        else:
            parts.append(f"{terms.term(graph)} {{\n" + "\n".join(_statements(block, terms, "    ")) + "}\n\n")
    return "".join(parts).rstrip("\n").encode("utf-8") + b"\n"


def store_quads(store: ox.Store, graph: str | None = None, leave_out: Iterable[str] = ()) -> list[ox.Quad]:
    """The store's quads in canonical order: one named graph, or all but the ones left out."""
    skip = set(leave_out)
    if graph is not None:
        quads = store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    else:
        quads = (q for q in store.quads_for_pattern(None, None, None, None)
                 if isinstance(q.graph_name, ox.DefaultGraph) or q.graph_name.value not in skip)
    return canonical_quads(quads)
