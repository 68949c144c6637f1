"""Prove the ontology consistent with HermiT (through owlready2; needs Java) and list unsatisfiable classes.

The ontology files are read with rdflib (after Oxigraph's strict syntax check), merged, serialised
to RDF/XML in memory (owlready2 cannot read Turtle) and loaded into a fresh owlready2 World; HermiT
then classifies it. owlready2 itself hands the World to HermiT through a temporary N-Triples file,
which it deletes afterwards; nothing else is written to disk.

Datatypes. HermiT interprets only the OWL 2 datatype map. msckg:PartialDate (xsd:date, xsd:gYearMonth
or xsd:gYear) is a declared rdfs:Datatype without an OWL datatype definition (none can be given:
xsd:date and xsd:gYear are themselves outside the OWL 2 map), so HermiT is run with
--ignoreUnsupportedDatatypes: it then treats such a datatype as an opaque, uninterpreted one. No axiom
is dropped; the range axioms stay, only the lexical space of the datatype is not checked by the
reasoner (SHACL checks the literals). Every datatype treated this way is listed in
ReasonResult.opaque_datatypes, so a new one never goes unnoticed.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef

from msckg.graph.paths import ONTOLOGY, ROOT

OWL_THING = str(OWL.Thing)
OWL_NOTHING = str(OWL.Nothing)

# The OWL 2 datatype map (OWL 2 Structural Specification, section 4) plus rdfs:Literal.
OWL2_DATATYPES = frozenset(
    [str(OWL.real), str(OWL.rational), str(RDFS.Literal), str(RDF.PlainLiteral), str(RDF.XMLLiteral),
     str(RDF.langString)]
    + [str(XSD[n]) for n in (
        "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int short "
        "byte unsignedLong unsignedInt unsignedShort unsignedByte double float string normalizedString token "
        "language Name NCName NMTOKEN boolean hexBinary base64Binary anyURI dateTime dateTimeStamp").split()]
)

JAVA_HINT = (
    "HermiT (the OWL reasoner behind 'msckg reason') runs on Java, and no 'java' was found on PATH. "
    "Install a Java runtime (8 or later): 'apt-get install default-jre-headless' on Debian/Ubuntu, "
    "'dnf install java-17-openjdk-headless' on Fedora, 'brew install openjdk' on macOS; "
    "or point owlready2.JAVA_EXE at an existing java binary."
)


class JavaMissing(RuntimeError):
    """No Java runtime to run HermiT."""


class ReasonerFailed(RuntimeError):
    """HermiT stopped with an error (not an inconsistency): the message is Java's."""


@dataclass
class ReasonResult:
    """What HermiT found.

    consistent     -- False when the ontology has no model at all (e.g. an individual in two disjoint classes).
    unsatisfiable  -- classes that can have no instance, as CURIEs (msckg:Foo), sorted. When the ontology is
                      inconsistent every class is unsatisfiable; this list then holds owl:Thing alone, so a
                      caller that only looks at it still fails.
    classes, properties -- named classes and properties (object, datatype, annotation) in the ontology files,
                      msckg's own and the declared external ones.
    seconds        -- wall time of the HermiT run (Java start-up included).
    opaque_datatypes -- datatypes outside the OWL 2 datatype map that HermiT treated as uninterpreted.
    """

    consistent: bool
    unsatisfiable: list[str]
    classes: int
    properties: int
    seconds: float
    opaque_datatypes: list[str] = field(default_factory=list)


def java_executable() -> str:
    """The java binary owlready2 will start, or raise JavaMissing."""
    import owlready2

    exe = getattr(owlready2, "JAVA_EXE", "java") or "java"
    found = shutil.which(exe)
    if not found:
        raise JavaMissing(JAVA_HINT)
    return found


def load_ontology(directory: Path = ONTOLOGY) -> Graph:
    """Every ontology file (loader.schema.ontology_files) merged into one rdflib graph."""
    from msckg.graph.build.dataset import ontology_graph

    merged = Graph()
    for t in ontology_graph(directory, ROOT):
        merged.add(t)
    return merged


def opaque_datatypes(graph: Graph) -> list[str]:
    """Datatypes the ontology uses that are outside the OWL 2 datatype map (HermiT cannot interpret them)."""
    used: set[str] = set()
    for s in graph.subjects(RDF.type, RDFS.Datatype):
        if isinstance(s, URIRef):
            used.add(str(s))
    for p in graph.subjects(RDF.type, OWL.DatatypeProperty):
        for r in graph.objects(p, RDFS.range):
            if isinstance(r, URIRef):
                used.add(str(r))
    for pred in (OWL.onDatatype, OWL.someValuesFrom, OWL.allValuesFrom):
        for o in graph.objects(None, pred):
            if isinstance(o, URIRef) and (o, RDF.type, RDFS.Datatype) in graph:
                used.add(str(o))
    for o in graph.objects():
        if isinstance(o, Literal) and o.datatype is not None:
            used.add(str(o.datatype))
    return sorted(_curie(d) for d in used - OWL2_DATATYPES)


def _counts(graph: Graph) -> tuple[int, int]:
    classes = {c for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)} - {OWL.Thing, OWL.Nothing}
    props: set[URIRef] = set()
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty):
        props |= {p for p in graph.subjects(RDF.type, kind) if isinstance(p, URIRef)}
    return len(classes), len(props)


@lru_cache(maxsize=1)
def _converter():
    from msckg.loader.schema import read_prefixes

    return read_prefixes()


def _curie(iri: str) -> str:
    """A CURIE with the project's prefixes (the longest namespace wins: CL: before obo:), else the IRI."""
    return _converter().compress(iri) or iri


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _check_xml_text(graph: Graph) -> None:
    """RDF/XML cannot carry control characters (XML 1.0): name the literals that hold one."""
    bad = [(s, p, o) for s, p, o in graph if isinstance(o, Literal) and _XML_ILLEGAL.search(str(o))]
    if bad:
        shown = "; ".join(f"<{s}> <{p}> {str(o)[:60]!r}" for s, p, o in sorted(bad)[:5])
        raise ReasonerFailed(f"{len(bad)} literal(s) hold control characters that RDF/XML (hence HermiT) cannot "
                             f"carry: {shown}")


def to_world(graph: Graph):
    """A fresh owlready2 World holding the graph (passed as RDF/XML in memory)."""
    import owlready2

    _check_xml_text(graph)
    data = graph.serialize(format="xml", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology("https://w3id.org/msckg/ontology").load(fileobj=io.BytesIO(data))
    return world


def world_ntriples(world) -> bytes:
    """What owlready2 hands HermiT: the World's triples as N-Triples (the same call sync_reasoner makes)."""
    buf = io.BytesIO()
    world.save(buf, format="ntriples")
    return buf.getvalue()


def reason(directory: Path = ONTOLOGY, graph: Graph | None = None) -> ReasonResult:
    """Run HermiT on the ontology files in `directory` (or on `graph`, e.g. an edited copy).

    Raises JavaMissing when no Java runtime is on PATH and ReasonerFailed when HermiT stops with an
    error that is not an inconsistency.
    """
    import owlready2
    from owlready2 import OwlReadyInconsistentOntologyError, OwlReadyJavaError

    java_executable()
    g = graph if graph is not None else load_ontology(directory)
    opaque = opaque_datatypes(g)
    n_classes, n_props = _counts(g)
    world = to_world(g)
    t0 = time.perf_counter()
    try:
        try:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0,
                                           ignore_unsupported_datatypes=bool(opaque))
        except OwlReadyInconsistentOntologyError:
            return ReasonResult(False, [_curie(OWL_THING)], n_classes, n_props, time.perf_counter() - t0, opaque)
        except OwlReadyJavaError as exc:
            raise ReasonerFailed(f"HermiT failed: {exc}") from None
        seconds = time.perf_counter() - t0
        unsat = sorted(
            _curie(c.iri) for c in world.inconsistent_classes()
            if getattr(c, "iri", None) and c.iri != OWL_NOTHING
        )
        return ReasonResult(True, unsat, n_classes, n_props, seconds, opaque)
    finally:
        world.close()


def data_graph() -> Graph:
    """The ontology plus every curated record (as 'msckg build' assembles them), as one graph."""
    from msckg.graph.build.run import assemble

    merged = Graph()
    for g in assemble().graphs.values():
        for t in g:
            merged.add(t)
    return merged


def main(argv: list[str] | None = None) -> int:
    """python -m msckg.graph.ontology.reason [--with-data]: HermiT on the ontology, or on the ontology plus the records.

    --with-data also checks the curated records against the ontology's domains, ranges and
    disjointness (an arm given a trial-only field, an intervention typed cell therapy and placebo);
    it takes minutes, not seconds, so it is not part of the unit tests.
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        res = reason(graph=data_graph()) if "--with-data" in args else reason()
    except (JavaMissing, ReasonerFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    what = "ontology and records" if "--with-data" in args else "ontology"
    if not res.consistent:
        print(f"error: the {what} is inconsistent (HermiT, {res.seconds:.1f}s)", file=sys.stderr)
        return 1
    if res.unsatisfiable:
        print(f"error: {len(res.unsatisfiable)} unsatisfiable class(es): {', '.join(res.unsatisfiable)}", file=sys.stderr)
        return 1
    opaque = f"; uninterpreted datatypes: {', '.join(res.opaque_datatypes)}" if res.opaque_datatypes else ""
    print(f"consistent ({what}): {res.classes} classes, {res.properties} properties, "
          f"no unsatisfiable classes (HermiT, {res.seconds:.1f}s){opaque}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
