"""The ontology read as the records' schema: classes, fields, ranges, controlled values, prefixes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import curies
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import XSD

MSCKG = Namespace("https://w3id.org/msckg/")
ID = Namespace("https://w3id.org/msckg/id/")
GRAPH = Namespace("https://w3id.org/msckg/graph/")
SH = Namespace("http://www.w3.org/ns/shacl#")
PROV = Namespace("http://www.w3.org/ns/prov#")

ONTOLOGY_DIR = Path(__file__).resolve().parent.parent / "ontology"

# Fields every entity may use, mapped to the standard properties they stand for.
STANDARD_FIELDS = {
    "label": (RDFS.label, "data", XSD.string),
    "altLabel": (SKOS.altLabel, "data", XSD.string),
    "exactMatch": (SKOS.exactMatch, "external", None),
    "closeMatch": (SKOS.closeMatch, "external", None),
    "seeAlso": (RDFS.seeAlso, "url", None),
}


@dataclass(frozen=True)
class FieldSpec:
    """A record field: the property it writes, its kind (data/object/external/url), range, domain."""

    name: str
    iri: URIRef
    kind: str
    range: URIRef | None
    domain: URIRef | None = None


@dataclass
class Schema:
    """What the records may say, read from the ontology files."""

    graph: Graph
    fields: dict[str, FieldSpec]
    classes: set[URIRef]
    superclasses: dict[URIRef, set[URIRef]]
    individuals: dict[URIRef, set[URIRef]]
    declared: set[URIRef]
    converter: curies.Converter
    files: list[Path] = field(default_factory=list)

    def class_named(self, name: str) -> URIRef | None:
        iri = MSCKG[name]
        return iri if iri in self.classes else None

    def is_a(self, types: set[URIRef], wanted: URIRef) -> bool:
        """True when any of the types is the wanted class or below it."""
        return any(wanted == t or wanted in self.superclasses.get(t, ()) for t in types)

    def local_classes(self) -> list[str]:
        return sorted(str(c)[len(MSCKG):] for c in self.classes if str(c).startswith(str(MSCKG)))


def ontology_files(directory: Path = ONTOLOGY_DIR) -> list[Path]:
    """The ontology's Turtle files: the core, declared external terms and term files (not shapes)."""
    files = sorted(p for p in directory.glob("*.ttl") if p.name not in {"prefixes.ttl"})
    files += sorted((directory / "terms").glob("*.ttl"))
    return files


def read_prefixes(directory: Path = ONTOLOGY_DIR) -> curies.Converter:
    """Prefixes declared once with sh:declare in ontology/prefixes.ttl."""
    g = Graph().parse(directory / "prefixes.ttl", format="turtle")
    records = []
    for decl in g.objects(None, SH.declare):
        prefix = str(g.value(decl, SH.prefix))
        ns = str(g.value(decl, SH.namespace))
        records.append(curies.Record(prefix=prefix, uri_prefix=ns))
    return curies.Converter(records)


def _closure(graph: Graph) -> dict[URIRef, set[URIRef]]:
    direct: dict[URIRef, set[URIRef]] = {}
    for s, o in graph.subject_objects(RDFS.subClassOf):
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            direct.setdefault(s, set()).add(o)
    result: dict[URIRef, set[URIRef]] = {}
    for start in direct:
        seen: set[URIRef] = set()
        stack = list(direct[start])
        while stack:
            c = stack.pop()
            if c not in seen:
                seen.add(c)
                stack.extend(direct.get(c, ()))
        result[start] = seen
    return result


def build_schema(directory: Path = ONTOLOGY_DIR, parsed: Graph | None = None) -> Schema:
    """Read the ontology files in `directory` into a Schema (`parsed`: those files already parsed into one graph)."""
    files = ontology_files(directory)
    g = parsed
    if g is None:
        g = Graph()
        for f in files:
            g.parse(f, format="turtle")
    classes = {c for c in g.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    classes |= {c for c in g.subjects(RDFS.subClassOf, None) if isinstance(c, URIRef)}
    individuals: dict[URIRef, set[URIRef]] = {}
    for s, o in g.subject_objects(RDF.type):
        if isinstance(s, URIRef) and o in classes:
            individuals.setdefault(s, set()).add(o)
    fields = {name: FieldSpec(name, iri, kind, rng) for name, (iri, kind, rng) in STANDARD_FIELDS.items()}
    for prop in g.subjects(MSCKG.yamlField, Literal(True)):
        name = str(prop)[len(MSCKG):]
        kind = "object" if (prop, RDF.type, OWL.ObjectProperty) in g else "data"
        rng = g.value(prop, RDFS.range)
        dom = g.value(prop, RDFS.domain)
        fields[name] = FieldSpec(name, prop, kind, rng, dom)
    declared = {s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef)}
    return Schema(g, fields, classes, _closure(g), individuals, declared, read_prefixes(directory), files)


_SCHEMAS: dict[str, Schema] = {}


def default_schema(directory: str = str(ONTOLOGY_DIR)) -> Schema:
    """The schema of the project's ontology, read once per process (or given by the build: share_schema)."""
    key = str(Path(directory).resolve())
    if key not in _SCHEMAS:
        _SCHEMAS[key] = build_schema(Path(directory))
    return _SCHEMAS[key]


def share_schema(directory: Path, schema: Schema) -> None:
    """Let the loaders use a schema the build has already read from `directory` (and worker processes forked after)."""
    _SCHEMAS[str(Path(directory).resolve())] = schema
