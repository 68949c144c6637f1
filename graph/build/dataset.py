"""Assemble the dataset to build: the ontology graph plus one named graph per source, as N-Quads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable

import pyoxigraph as ox
from rdflib import OWL, BNode, Graph, URIRef
from rdflib.compare import to_canonical_graph

from msckg.loader.errors import Problem, SourceError
from msckg.loader.records import LoadedRecord
from msckg.loader.schema import GRAPH, PROV, ontology_files
from msckg.loader.sink import NTriplesGraph, TripleSink, ntriples

from msckg.graph.store.terms import to_rdflib

ONTOLOGY_GRAPH = GRAPH["ontology"]
VOLATILE_PREDICATES = {str(PROV.generatedAtTime), str(PROV.endedAtTime)}  # the build record (graph/build/provenance.py)


@dataclass
class Serialised:
    """The dataset of one build written out once: N-Quads for the store, its canonical hash, its size."""

    nquads: bytes
    canonical_hash: str
    triples: int
    graph_hashes: dict[str, tuple[str, int]] = field(default_factory=dict)  # graph IRI -> (SHA-256, triples)
    offsets: list[int] = field(default_factory=list)  # written to a file: where each graph's lines start


@dataclass
class Assembled:
    """The graphs of one build (rdflib Graphs or loader TripleSinks) and what each source contributed."""

    graphs: dict[URIRef, Graph | TripleSink | NTriplesGraph] = field(default_factory=dict)
    reports: list[LoadedRecord] = field(default_factory=list)
    _serialised: Serialised | None = field(default=None, repr=False)
    each: Callable[[str, list[str], str], None] | None = field(default=None, repr=False)  # see serialise()

    def serialise(self) -> Serialised:
        """N-Quads and canonical hash in one pass over every graph (computed once, then kept)."""
        if self._serialised is None:
            self._serialised = serialise(self.graphs, each=self.each)
        return self._serialised

    def nquads(self) -> bytes:
        return self.serialise().nquads

    def write_nquads(self, out: BinaryIO) -> Serialised:
        """Serialise into the binary file `out` graph by graph, releasing each graph's triples once written.

        The same bytes, hash and sizes as serialise(); the build's peak memory then holds the triples of the
        sources not yet written, never the N-Quads text of the whole dataset (docs/decisions/0121)."""
        by_iri: dict[str, list[LoadedRecord]] = {}
        for r in self.reports:
            by_iri.setdefault(str(r.graph_iri), []).append(r)

        def written(iri: URIRef, g) -> None:
            rel = Released(iri, len(g))
            self.graphs[iri] = rel
            for r in by_iri.get(str(iri), ()):
                if r.graph is g:
                    r.graph = rel

        ser = serialise(self.graphs, each=self.each, out=out, written=written)
        self._serialised = ser
        self.release()  # what is left: reports whose graph is not among the dataset's
        return self._serialised

    def triple_count(self) -> int:
        return sum(len(g) for g in self.graphs.values())

    def release(self) -> None:
        """Keep only sizes, reports and the hash: a build holds its triples once, in the store."""
        counts = {iri: Released(iri, len(g)) for iri, g in self.graphs.items()}
        self.graphs = counts
        for r in self.reports:
            r.graph = counts.get(r.graph_iri, Released(r.graph_iri, len(r.graph)))
        if self._serialised is not None:
            self._serialised = Serialised(b"", self._serialised.canonical_hash, self._serialised.triples,
                                          self._serialised.graph_hashes, self._serialised.offsets)


class Released:
    """A graph after the build released its triples: its name and size only (the triples are in the store)."""

    def __init__(self, identifier: URIRef, size: int):
        self.identifier, self.size = identifier, size

    def __len__(self) -> int:
        return self.size

    def __iter__(self):
        raise RuntimeError("the build released this graph's triples: read them from the store")


def parse_turtle_strict(path: Path, root: Path | None = None) -> Graph:
    """Parse Turtle with Oxigraph's strict parser first (line and column in errors), then into rdflib."""
    try:
        shown = str(path.resolve().relative_to(root.resolve())) if root else str(path)
    except ValueError:
        shown = str(path)
    data = path.read_bytes()
    g = Graph()
    try:  # the triples come from Oxigraph's parse, converted: rdflib's Turtle parser would take 10x as long
        for t in ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri="https://w3id.org/msckg/"):
            g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    except SyntaxError as exc:
        raise SourceError([Problem(shown, getattr(exc, "lineno", 0) or 0, getattr(exc, "offset", 0) or 0, "", f"Turtle syntax error: {exc.msg if hasattr(exc, 'msg') else exc}")]) from None
    return g


def ontology_graph(directory: Path, root: Path | None = None) -> Graph:
    """Every ontology file (core, declared external terms, term files) as one graph."""
    g = Graph(identifier=ONTOLOGY_GRAPH)
    for f in ontology_files(directory):
        parsed = parse_turtle_strict(f, root)
        for _, _, target in parsed.triples((None, OWL.imports, None)):
            raise SourceError([Problem(str(f.name), 0, 0, "owl:imports", f"owl:imports <{target}> is refused: msckg never fetches ontologies; declare the terms you use in ontology/terms/*.ttl")])
        for t in parsed:
            g.add(t)
    return g


def _has_blank_nodes(g) -> bool:
    if isinstance(g, (TripleSink, NTriplesGraph)):
        return g.has_blank_nodes()
    return any(isinstance(x, BNode) for t in g for x in t)


def _canonical_lines(g, lines: list[str], blank: bool) -> list[str]:
    """The graph's N-Triples lines in canonical order, load times left out.

    A graph without blank nodes is its own canonical form, so its lines are simply sorted; one
    with blank nodes (the ontology's lists and restrictions) is relabelled by rdflib first."""
    if blank:
        lines = to_canonical_graph(_as_graph(g)).serialize(format="nt").splitlines()
    return sorted(line for line in lines if line.strip() and not any(v in line for v in VOLATILE_PREDICATES))


def _as_graph(g) -> Graph:
    if isinstance(g, Graph):
        return g
    out = Graph(identifier=g.identifier)
    for t in g:
        out.add(t)
    return out


def canonical_hash(graphs: dict[URIRef, Graph | TripleSink]) -> str:
    """SHA-256 of the dataset in canonical form (blank nodes relabelled), load times left out."""
    return serialise(graphs, nquads=False).canonical_hash


def graph_hash(g, lines: list[str] | None = None) -> str:
    """SHA-256 of one graph's canonical N-Triples lines (sorted, load times left out)."""
    lines = ntriples(g) if lines is None else lines
    return hashlib.sha256("\n".join(_canonical_lines(g, lines, _has_blank_nodes(g))).encode()).hexdigest()


def dataset_hash(graph_hashes: dict[str, str]) -> str:
    """The dataset's canonical hash from its graphs' hashes: SHA-256 of one line 'IRI hash' per graph, in IRI order.

    A hash of hashes, so that a build which rewrites a few graphs (graph/build/incremental.py) hashes only
    those, and still gives the value a full build gives."""
    h = hashlib.sha256()
    for iri in sorted(graph_hashes):
        h.update(f"{iri} {graph_hashes[iri]}\n".encode())
    return h.hexdigest()


def serialise(graphs: dict[URIRef, Graph | TripleSink], nquads: bool = True,
              each: Callable[[str, list[str], str], None] | None = None, out: BinaryIO | None = None,
              written: Callable[[URIRef, object], None] | None = None) -> Serialised:
    """Every graph's triples as N-Quads (graphs in IRI order) and the dataset's canonical hash.

    The lines are rdflib's own N-Triples serialisation of each term (loader.sink.ntriples), so the
    hash is the one rdflib's canonical serialisation gives and the store holds the same terms. A graph
    that knows its hash (`sha256`, a cached graph of an incremental build) is not hashed again;
    `each(IRI, lines, hash)` sees every graph (the build cache keeps them). With `out` the N-Quads go to
    that binary file graph by graph (the result's `nquads` is empty) and `written(IRI, graph)` is told
    after each graph, so that the caller can let go of it."""
    chunks: list[str] = []
    total = 0
    hashes: dict[str, tuple[str, int]] = {}
    offsets: list[int] = []
    for iri in sorted(graphs):
        g = graphs[iri]
        lines = ntriples(g)
        sha = getattr(g, "sha256", None) or graph_hash(g, lines)
        hashes[str(iri)] = (sha, len(g))
        if each is not None:
            each(str(iri), lines, sha)
        if nquads and lines:
            gname = f" <{iri}> ."
            chunk = "\n".join(line[:-2] + gname for line in lines)
            if out is None:
                chunks.append(chunk)
            else:
                offsets.append(out.tell())
                out.write(chunk.encode("utf-8") + b"\n")
            del chunk
        total += len(g)
        if written is not None:
            written(iri, g)
        del g, lines
    data = ("\n".join(chunks) + "\n").encode("utf-8") if nquads and out is None else b""
    return Serialised(data, dataset_hash({k: v[0] for k, v in hashes.items()}), total, hashes, offsets)
