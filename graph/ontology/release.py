"""`make release`: the ontology's release files, ODK-style, into a git-ignored folder (default ./release).

- msckg.owl        RDF/XML: msckg's axioms merged with the declared external terms, with the release
                   header (owl:versionIRI, dcterms:title, creators, licence, version)
- msckg-base.owl   RDF/XML: msckg's own axioms only (statements about msckg terms; external
                   declarations left out), for importing into other ontologies
- msckg.json       OBO Graphs JSON of msckg.owl, written by pronto (docs/decisions/0051)
- msckg-shapes.ttl every SHACL shape in one Turtle file
- msckg.sssom.tsv  the alignments as an SSSOM set (graph/ontology/sssom.py), plus every reviewed
                   mapping table of ontology/mappings/ under its own name

    python -m msckg.graph.ontology.release [FOLDER]
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from rdflib import DCTERMS, OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef

from msckg.graph.paths import CHECKOUT, ONTOLOGY, SHAPES

MSCKG_NS = "https://w3id.org/msckg/"
ONTOLOGY_IRI = URIRef(MSCKG_NS + "ontology")
DEFAULT_FOLDER = (CHECKOUT or Path.cwd()) / "release"
TITLE = "msckg: an ontology of cell-therapy clinical trials"
CREATOR = "the msckg developers"  # as in LICENSE; no person is named where the project names none
IAO_DEFINITION = URIRef("http://purl.obolibrary.org/obo/IAO_0000115")


def version(g: Graph) -> str:
    v = g.value(ONTOLOGY_IRI, OWL.versionInfo)
    if v is None:
        raise ValueError("the ontology header has no owl:versionInfo (ontology/msckg.ttl)")
    return str(v)


def _header(g: Graph, file_name: str) -> None:
    """The release header on the ontology IRI: version IRI for this file, title, creator, licence."""
    ver = version(g)
    g.set((ONTOLOGY_IRI, OWL.versionIRI, URIRef(f"{MSCKG_NS}releases/{ver}/{file_name}")))
    if g.value(ONTOLOGY_IRI, DCTERMS.title) is None:
        g.add((ONTOLOGY_IRI, DCTERMS.title, Literal(TITLE)))
    if g.value(ONTOLOGY_IRI, DCTERMS.creator) is None:
        g.add((ONTOLOGY_IRI, DCTERMS.creator, Literal(CREATOR)))
    if g.value(ONTOLOGY_IRI, DCTERMS.license) is None:
        raise ValueError("the ontology header has no dcterms:license (ontology/msckg.ttl)")


def merged(directory: Path = ONTOLOGY) -> Graph:
    """Every ontology file in one graph (msckg's terms and the declared external ones)."""
    from msckg.loader.schema import read_prefixes

    from msckg.graph.ontology.reason import load_ontology

    g = load_ontology(directory)
    for prefix, ns in read_prefixes(directory).prefix_map.items():
        g.bind(prefix, ns, override=True)
    return g


def base(full: Graph) -> Graph:
    """msckg's own axioms: statements about msckg terms (and the blank nodes they use), nothing about external terms."""
    out = Graph()
    for prefix, ns in full.namespaces():
        out.bind(prefix, ns)

    for s in set(full.subjects()):
        if isinstance(s, URIRef) and str(s).startswith(MSCKG_NS):
            full.cbd(s, target_graph=out, include_reifications=False)  # its statements, and its blank nodes' in turn
    return out


def obo_definitions(g: Graph) -> None:
    """Copy each msckg skos:definition to IAO:0000115, the definition property OBO tools read (ROBOT, pronto, OLS)."""
    defs = [(s, d) for s, d in g.subject_objects(SKOS.definition) if str(s).startswith(MSCKG_NS)]
    if defs:
        g.add((IAO_DEFINITION, RDF.type, OWL.AnnotationProperty))
        g.add((IAO_DEFINITION, RDFS.label, Literal("definition")))
    for s, d in defs:
        g.add((s, IAO_DEFINITION, d))


def _rdfxml(g: Graph, path: Path) -> Path:
    """RDF/XML with typed node elements (owl:Ontology, owl:Class...), which OWL tools and pronto expect."""
    import warnings

    with warnings.catch_warnings():  # rdflib warns about list nodes it writes as rdf:parseType="Collection";
        warnings.simplefilter("ignore", UserWarning)  # tests/test_release.py checks that the file reads back isomorphic
        data = g.serialize(format="pretty-xml", encoding="utf-8")
    path.write_bytes(data)
    return path


def obographs_json(owl_file: Path, path: Path) -> Path:
    """OBO Graphs JSON of an OWL RDF/XML file, written by pronto's OBO Graphs serialiser."""
    import warnings

    import pronto

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pronto warns on every OWL construct OBO has no place for
        onto = pronto.Ontology(str(owl_file))
        with path.open("wb") as f:
            onto.dump(f, format="json")
    return path


def shapes_file(path: Path) -> Path:
    """Every SHACL shape file in one Turtle file."""
    from msckg.loader.schema import read_prefixes

    g = Graph()
    for prefix, ns in read_prefixes().prefix_map.items():
        g.bind(prefix, ns, override=True)
    for f in sorted(SHAPES.glob("*.ttl")):
        g.parse(f, format="turtle")
    path.write_bytes(g.serialize(format="longturtle", encoding="utf-8"))
    return path


def release(folder: Path = DEFAULT_FOLDER) -> list[Path]:
    """Write every release file into `folder`; returns their paths."""
    from msckg.graph.ontology import sssom

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    full = merged()
    written = []
    g = Graph()
    for t in full:
        g.add(t)
    for prefix, ns in full.namespaces():
        g.bind(prefix, ns, override=True)
    _header(g, "msckg.owl")
    obo_definitions(g)
    written.append(_rdfxml(g, folder / "msckg.owl"))
    b = base(full)
    _header(b, "msckg-base.owl")
    obo_definitions(b)
    written.append(_rdfxml(b, folder / "msckg-base.owl"))
    written.append(obographs_json(folder / "msckg.owl", folder / "msckg.json"))
    written.append(shapes_file(folder / "msckg-shapes.ttl"))
    sssom_path = folder / "msckg.sssom.tsv"
    sssom_path.write_text(sssom.render(full), encoding="utf-8")
    written.append(sssom_path)
    for reviewed in sorted((ONTOLOGY / "mappings").glob("*.sssom.tsv")):
        written.append(Path(shutil.copy(reviewed, folder / reviewed.name)))
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else DEFAULT_FOLDER
    for p in release(folder):
        print(f"wrote {p} ({p.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
