"""Assemble the dataset to build: the ontology graph plus one named graph per source, as N-Quads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import OWL, Dataset, Graph, URIRef
from rdflib.compare import to_canonical_graph

from msckg.loader.errors import Problem, SourceError
from msckg.loader.records import LoadedRecord
from msckg.loader.schema import GRAPH, PROV, ontology_files

ONTOLOGY_GRAPH = GRAPH["ontology"]
_VOLATILE = {str(PROV.generatedAtTime), str(PROV.endedAtTime)}  # the build record (graph/build/provenance.py)


@dataclass
class Assembled:
    """The graphs of one build and what each source contributed."""

    graphs: dict[URIRef, Graph] = field(default_factory=dict)
    reports: list[LoadedRecord] = field(default_factory=list)

    def nquads(self) -> bytes:
        ds = Dataset()
        for iri, g in self.graphs.items():
            target = ds.graph(iri)
            for t in g:
                target.add(t)
        lines = ds.serialize(format="nquads").splitlines()
        return ("\n".join(sorted(set(lines))) + "\n").encode("utf-8")

    def triple_count(self) -> int:
        return sum(len(g) for g in self.graphs.values())


def parse_turtle_strict(path: Path, root: Path | None = None) -> Graph:
    """Parse Turtle with Oxigraph's strict parser first (line and column in errors), then into rdflib."""
    try:
        shown = str(path.resolve().relative_to(root.resolve())) if root else str(path)
    except ValueError:
        shown = str(path)
    data = path.read_bytes()
    try:
        for _ in ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri="https://w3id.org/msckg/"):
            pass
    except SyntaxError as exc:
        raise SourceError([Problem(shown, getattr(exc, "lineno", 0) or 0, getattr(exc, "offset", 0) or 0, "", f"Turtle syntax error: {exc.msg if hasattr(exc, 'msg') else exc}")]) from None
    return Graph().parse(data=data, format="turtle")


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


def canonical_hash(graphs: dict[URIRef, Graph]) -> str:
    """SHA-256 of the dataset in canonical form (blank nodes relabelled), load times left out."""
    h = hashlib.sha256()
    for iri in sorted(graphs):
        canon = to_canonical_graph(graphs[iri])
        lines = sorted(
            line for line in canon.serialize(format="nt").splitlines()
            if line.strip() and not any(v in line for v in _VOLATILE)
        )
        h.update(f"# {iri}\n".encode())
        h.update("\n".join(lines).encode())
    return h.hexdigest()
