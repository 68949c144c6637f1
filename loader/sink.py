"""A light triple sink the loaders write into during a build, instead of an indexed rdflib Graph.

The loaders build each named graph with `new_graph(iri)`. Outside a build that is an ordinary
rdflib Graph (what callers and tests of the loaders get). Inside `with fast_graphs():` it is a
`TripleSink`: the part of the rdflib Graph interface the loaders use (`add`, `len`, iteration,
`in` with None as a wildcard, `triples`, `objects`, `value`), kept as an insertion-ordered set
of rdflib terms with one subject-predicate index, without rdflib's three context-aware indexes.
`ntriples()` writes each triple exactly as rdflib's N-Triples serialiser does, so N-Quads,
canonical hashes and stores built from a sink are the same as from a Graph (tested).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.plugins.serializers.nt import _quoteLiteral

_FAST: ContextVar[bool] = ContextVar("msckg_fast_graphs", default=False)


class TripleSink:
    """An append-mostly set of triples with the Graph methods the loaders call."""

    __slots__ = ("identifier", "_triples", "_sp")

    def __init__(self, identifier: URIRef | None = None):
        self.identifier = identifier
        self._triples: dict[tuple, None] = {}  # insertion-ordered set
        self._sp: dict[tuple, list] = {}

    def add(self, triple) -> "TripleSink":
        if triple not in self._triples:
            self._triples[triple] = None
            self._sp.setdefault((triple[0], triple[1]), []).append(triple[2])
        return self

    def __len__(self) -> int:
        return len(self._triples)

    def __iter__(self):
        return iter(self._triples)

    def __contains__(self, pattern) -> bool:
        s, p, o = pattern
        if s is not None and p is not None:
            if o is not None:
                return pattern in self._triples
            return (s, p) in self._sp
        return next(self.triples(pattern), None) is not None

    def triples(self, pattern):
        s, p, o = pattern
        if s is not None and p is not None:
            for obj in self._sp.get((s, p), ()):
                if o is None or obj == o:
                    yield (s, p, obj)
            return
        for t in self._triples:
            if (s is None or t[0] == s) and (p is None or t[1] == p) and (o is None or t[2] == o):
                yield t

    def objects(self, subject=None, predicate=None):
        for _, _, o in self.triples((subject, predicate, None)):
            yield o

    def value(self, subject=None, predicate=None, default=None):
        return next(self.objects(subject, predicate), default)

    def has_blank_nodes(self) -> bool:
        return any(isinstance(x, BNode) for t in self._triples for x in t)


def new_graph(identifier: URIRef) -> Graph | TripleSink:
    """The graph a loader writes one source into: a TripleSink inside `fast_graphs()`, else an rdflib Graph."""
    return TripleSink(identifier) if _FAST.get() else Graph(identifier=identifier)


def fast_mode() -> bool:
    """True inside `fast_graphs()`."""
    return _FAST.get()


@contextmanager
def fast_graphs():
    """Make the loaders write into TripleSinks for the duration (the build's fast path)."""
    token = _FAST.set(True)
    try:
        yield
    finally:
        _FAST.reset(token)


def _term(t, cache: dict) -> str:
    s = cache.get(t)
    if s is None:
        s = _quoteLiteral(t) if isinstance(t, Literal) else t.n3()
        cache[t] = s
    return s


def ntriples(graph, cache: dict | None = None) -> list[str]:
    """Each triple of a Graph or TripleSink as rdflib's N-Triples serialiser writes it (no newline)."""
    if isinstance(graph, NTriplesGraph):
        return graph.lines
    cache = {} if cache is None else cache
    return [f"{_term(s, cache)} {_term(p, cache)} {_term(o, cache)} ." for s, p, o in graph]


class NTriplesGraph:
    """A graph already written as N-Triples lines (what a worker process hands back): lines and size, no terms."""

    __slots__ = ("identifier", "lines", "blank")

    def __init__(self, identifier: URIRef, lines: list[str], blank: bool = False):
        self.identifier, self.lines, self.blank = identifier, lines, blank

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self):
        """The triples as rdflib terms (parsed back: slow, for callers outside the build's fast path)."""
        g = Graph()
        g.parse(data="\n".join(self.lines), format="nt")
        return iter(g)

    def has_blank_nodes(self) -> bool:
        return self.blank
