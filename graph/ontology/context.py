"""Write ontology/context.jsonld: a JSON-LD context generated from the ontology and the declared prefixes.

Every declared prefix, then one term per msckg class and property: an object property (or a
property whose range is a class) reads its values as IRIs (`"@type": "@id"`), a datatype property
carries its XSD (or msckg) datatype, except xsd:string and rdfs:Literal, whose plain strings JSON-LD
writes without a type. A term named like a declared prefix (msckg:doi, msckg:unit, msckg:orcid) gets no
term of its own: the prefix wins, and such a property compacts to its CURIE. `msckg export --format jsonld` embeds it inline (never fetched), and a test
checks the committed file is what the ontology generates.

    python -m msckg.graph.ontology.context            # (re)write the file
    python -m msckg.graph.ontology.context --check    # exit 1 if the committed file is out of date
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, Graph, URIRef

from msckg.graph.paths import ONTOLOGY

MSCKG_NS = "https://w3id.org/msckg/"
CONTEXT_FILE = ONTOLOGY / "context.jsonld"
_UNTYPED = {XSD.string, RDFS.Literal, RDF.langString, RDF.PlainLiteral}
_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)


def _local(iri) -> str | None:
    s = str(iri)
    if isinstance(iri, URIRef) and s.startswith(MSCKG_NS):
        name = s[len(MSCKG_NS):]
        if name and "/" not in name and "#" not in name:
            return name
    return None


def context(g: Graph | None = None) -> dict:
    """The context as a dict: {"@context": {prefix: namespace, ..., Term: definition, ...}}."""
    from msckg.loader.schema import read_prefixes

    from msckg.graph.ontology.reason import load_ontology

    g = g if g is not None else load_ontology()
    conv = read_prefixes()
    compress = lambda iri: conv.compress(str(iri)) or str(iri)  # noqa: E731
    ctx: dict = {"@version": 1.1}
    for prefix, ns in sorted(conv.prefix_map.items(), key=lambda kv: kv[0].lower()):
        ctx[prefix] = ns
    terms: dict[str, object] = {}
    for cls in set(g.subjects(RDF.type, OWL.Class)) | set(g.subjects(RDF.type, RDFS.Class)):
        name = _local(cls)
        if name:
            terms[name] = compress(cls)
    for ptype in _PROPERTY_TYPES:
        for prop in g.subjects(RDF.type, ptype):
            name = _local(prop)
            if not name:
                continue
            definition: dict[str, str] = {"@id": compress(prop)}
            ranges = set(g.objects(prop, RDFS.range))
            if ptype == OWL.ObjectProperty or any(
                    (r, RDF.type, OWL.Class) in g and (r, RDF.type, RDFS.Datatype) not in g for r in ranges):
                definition["@type"] = "@id"
            elif len(ranges) == 1 and next(iter(ranges)) not in _UNTYPED:
                definition["@type"] = compress(next(iter(ranges)))
            terms[name] = definition
    for name in sorted(terms):
        if name not in ctx:  # a declared prefix keeps its meaning (doi:, unit:, orcid:)
            ctx[name] = terms[name]
    return {"@context": ctx}


def render(g: Graph | None = None) -> str:
    """The context file's text (stable: sorted prefixes, sorted terms)."""
    return json.dumps(context(g), indent=2, ensure_ascii=False) + "\n"


def write(path: Path = CONTEXT_FILE) -> Path:
    """(Re)write the context file from the ontology."""
    path.write_text(render(), encoding="utf-8")
    return path


def is_current(path: Path = CONTEXT_FILE) -> bool:
    """True when the file on disk is exactly what the ontology generates."""
    return path.exists() and path.read_text(encoding="utf-8") == render()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        if is_current():
            print(f"{CONTEXT_FILE.name} is up to date")
            return 0
        print(f"{CONTEXT_FILE} is out of date with the ontology: run 'make context'", file=sys.stderr)
        return 1
    print(f"wrote {write()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
