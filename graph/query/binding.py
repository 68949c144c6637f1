"""Binding query parameters as a VALUES block of serialised RDF terms: the same on every backend."""

from __future__ import annotations

import re

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


class BindingError(ValueError):
    """A value that cannot be bound safely."""


def bind_with_values(query: str, bindings: dict[str, Node]) -> str:
    """Bind parameters with a VALUES block opening the WHERE clause; terms are serialised as RDF terms
    (escaped), never as raw user text, so a value cannot change the query's structure."""
    if not bindings:
        return query
    m = _WHERE.search(query)
    if not m:
        raise BindingError("cannot bind parameters: the query has no 'WHERE {'")
    names = list(bindings)
    row = " ".join(_serialise(bindings[n]) for n in names)
    block = f"\n  VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}\n"
    return query[: m.end()] + block + query[m.end():]


def bind_rows(query: str, name: str, terms: list[Node]) -> str:
    """Bind one variable to many values: a VALUES block with one row per term, serialised like above."""
    m = _WHERE.search(query)
    if not m:
        raise BindingError("cannot bind parameters: the query has no 'WHERE {'")
    block = f"\n  VALUES ?{name} {{ {' '.join(_serialise(t) for t in terms)} }}\n"
    return query[: m.end()] + block + query[m.end():]


def _iri(value: str) -> str:
    try:  # Oxigraph's IRI parser (RFC 3987): the same check every SPARQL parser downstream makes
        ox.NamedNode(value)
    except ValueError as exc:
        raise BindingError(f"refusing an IRI that is not a valid absolute IRI ({exc}): {value!r}") from None
    return f"<{value}>"


def _serialise(term: Node) -> str:
    if isinstance(term, URIRef):
        return _iri(str(term))
    if isinstance(term, Literal):
        text = str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        if term.language:
            if not re.fullmatch(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*", term.language):  # BCP 47: subtags of 1-8
                raise BindingError(f"refusing a malformed language tag {term.language!r}")
            return f'"{text}"@{term.language}'
        if term.datatype:
            return f'"{text}"^^{_iri(str(term.datatype))}'
        return f'"{text}"'
    raise BindingError(f"cannot bind {term!r}")


