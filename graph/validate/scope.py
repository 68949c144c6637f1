"""What an incremental build validates again: the nodes a change of some graphs can reach, per check.

A rebuild that replaces a few graphs knows every triple it added or removed (`Delta`). The results of
unchanged nodes are kept from the previous build; these are checked again (docs/decisions/0061):

- SHACL shapes (compiled to SPARQL): a result for focus node f reads f's own triples, and the classes of
  the nodes f points to (sh:class). So f is checked again when it is the subject of a changed triple, or
  points to a node whose rdf:type triples changed.
- QC queries (queries/qc): each declares `#+ radius: N`: every triple a row for ?entity = e reads has its
  subject at most N links from e, following links between data nodes in either direction (never through an
  ontology term). The entities checked again are those within N links of a changed triple's subject, in the
  old or the new dataset. A query without a radius runs on the whole store.

A change that touches an ontology term as a subject (a source restating a class), or holds blank nodes,
is validated in full: none of the rules above can bound it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from msckg.loader.schema import PROV

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
VOLATILE = {str(PROV.generatedAtTime), str(PROV.endedAtTime)}  # the build record's load times: read by no check
CHUNK = 2000  # IRIs per VALUES block
# A node checked through a VALUES block costs about what scanning this many triples does (measured on the seeds
# plus a registry record: 1,974 nodes by VALUES 12 s, all 38k triples 0.7 s; docs/decisions/0131)
VALUES_COST = 300


@dataclass
class Delta:
    """The triples a rebuild added or removed (union of the graphs it replaced), as (s, p, o) Oxigraph terms."""

    triples: set = field(default_factory=set)
    removed_edges: list[tuple[str, str]] = field(default_factory=list)

    def add_graph_change(self, old: set, new: set) -> None:
        changed = old ^ new
        self.triples |= {t for t in changed if t[1].value not in VOLATILE}
        self.removed_edges += [(s.value, o.value) for s, _, o in old - new if isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode)]

    def subjects(self) -> set[str]:
        return {s.value for s, _, _ in self.triples}

    def has_blank_nodes(self) -> bool:
        return any(isinstance(x, ox.BlankNode) for t in self.triples for x in t)


def by_values(nodes: int, triples: int) -> bool:
    """Whether to check `nodes` through a VALUES block (True) or run the check on everything and keep their rows."""
    return nodes * VALUES_COST <= triples


def ontology_terms(store: ox.Store, graph: str) -> set[str]:
    """Every IRI the ontology graph states something about (classes, properties, named individuals)."""
    q = f"SELECT DISTINCT ?s WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}"
    return {sol["s"].value for sol in store.query(q)}


def boundable(delta: Delta, hubs: set[str]) -> bool:
    """Whether the rules above bound what this change can reach (else: validate everything)."""
    return not delta.has_blank_nodes() and not (delta.subjects() & hubs)


def _chunks(items, n: int = CHUNK):
    items = sorted(items)
    for i in range(0, len(items), n):
        yield " ".join(str(ox.NamedNode(x)) for x in items[i:i + n])


def shacl_focus(store: ox.Store, delta: Delta) -> set[str]:
    """Focus nodes whose SHACL results can differ: subjects of changed triples, and nodes pointing to a node
    whose classes changed."""
    out = delta.subjects()
    retyped = {s.value for s, p, _ in delta.triples if p.value == RDF_TYPE}
    for block in _chunks(retyped):
        for sol in store.query(f"SELECT DISTINCT ?f WHERE {{ VALUES ?v {{ {block} }} ?f ?p ?v FILTER(isIRI(?f)) }}",
                               use_default_graph_as_union=True):
            out.add(sol["f"].value)
    return out


def neighbourhood(store: ox.Store, delta: Delta, radius: int, hubs: set[str]) -> set[str]:
    """Data nodes within `radius` links of a changed triple's subject, in the new store or through a removed link."""
    seen = delta.subjects()
    frontier = set(seen)
    for _ in range(radius):
        reached: set[str] = set()
        for block in _chunks(frontier):
            q = (f"SELECT DISTINCT ?n WHERE {{ VALUES ?x {{ {block} }} {{ ?x ?p ?n }} UNION {{ ?n ?p ?x }} FILTER(isIRI(?n)) }}")
            reached |= {sol["n"].value for sol in store.query(q, use_default_graph_as_union=True)}
        for s, o in delta.removed_edges:
            if s in frontier:
                reached.add(o)
            if o in frontier:
                reached.add(s)
        frontier = reached - seen - hubs
        seen |= frontier
    return seen
