"""The ontology files are well documented and aligned, and the SSSOM mapping set matches them.

Rules checked (over every ontology file: loader.schema.ontology_files()):

1. Every msckg class, property, datatype and controlled value has an rdfs:label.
2. Every msckg class is placed, meaning it satisfies at least one of
   (a) it is aligned: rdfs:subClassOf an external IRI, or skos:exactMatch / skos:closeMatch an external IRI;
   (b) it is marked local: msckg:localTerm true (no external term was found);
   (c) it specialises an msckg class: rdfs:subClassOf an msckg class (its parent gives its context).
   The two upper-level roots, msckg:Entity and msckg:Concept, are exempt; they must stay roots.
3. Every external IRI used as an alignment target (rdfs:subClassOf, rdfs:subPropertyOf, skos:exactMatch,
   closeMatch, broadMatch, narrowMatch, relatedMatch from an msckg term) is declared (rdf:type) with an
   rdfs:label in the ontology files, so every alignment resolves offline to a name.
4. ontology/mappings.sssom.tsv is what graph/ontology/sssom.py generates from the ontology, and every ID in it
   is a CURIE whose prefix is declared in ontology/prefixes.ttl.
"""

from __future__ import annotations

import csv
import io

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef

from msckg.graph.ontology import sssom as sssom_export
from msckg.graph.ontology.reason import load_ontology
from msckg.loader.schema import ontology_files, read_prefixes

MSCKG = Namespace("https://w3id.org/msckg/")
NS = str(MSCKG)
ROOTS = {MSCKG.Entity, MSCKG.Concept}
ALIGNMENT_PREDICATES = (RDFS.subClassOf, RDFS.subPropertyOf, SKOS.exactMatch, SKOS.closeMatch,
                        SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)

# Alignment targets used in msckg.ttl whose label could not be verified in ../shared/ontologies or another
# reliable source; they stay undeclared until a maintainer checks them (see the note beside each).
PENDING: dict[str, str] = {}


@pytest.fixture(scope="module")
def onto() -> Graph:
    return load_ontology()


def is_local(node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(NS)


def is_external(node) -> bool:
    return isinstance(node, URIRef) and not str(node).startswith(NS)


def msckg_classes(g: Graph) -> set[URIRef]:
    found = set(g.subjects(RDF.type, OWL.Class)) | set(g.subjects(RDFS.subClassOf, None))
    return {c for c in found if is_local(c)}


def msckg_properties(g: Graph) -> set[URIRef]:
    found: set = set()
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property):
        found |= set(g.subjects(RDF.type, kind))
    return {p for p in found if is_local(p)}


def test_ontology_files_are_found():
    names = {p.name for p in ontology_files()}
    assert {"msckg.ttl", "external-terms.ttl", "ae-terms.ttl"} <= names
    assert "prefixes.ttl" not in names


def test_every_class_and_property_has_a_label(onto):
    terms = msckg_classes(onto) | msckg_properties(onto) | {d for d in onto.subjects(RDF.type, RDFS.Datatype) if is_local(d)}
    unlabeled = sorted(str(t) for t in terms if onto.value(t, RDFS.label) is None)
    assert len(terms) > 100
    assert unlabeled == [], f"msckg terms without rdfs:label: {unlabeled}"


def test_every_controlled_value_has_a_label(onto):
    values = {i for i in onto.subjects(RDF.type, OWL.NamedIndividual) if is_local(i)}
    unlabeled = sorted(str(v) for v in values if onto.value(v, RDFS.label) is None)
    assert values and unlabeled == [], f"controlled values without rdfs:label: {unlabeled}"


def test_every_class_is_aligned_local_or_a_subclass(onto):
    """Rule 2 of the module docstring."""
    unplaced = []
    for c in msckg_classes(onto):
        supers = [o for o in onto.objects(c, RDFS.subClassOf) if isinstance(o, URIRef)]
        matches = [o for p in (SKOS.exactMatch, SKOS.closeMatch) for o in onto.objects(c, p)]
        aligned = any(is_external(o) for o in supers + matches)
        local = (c, MSCKG.localTerm, Literal(True)) in onto
        specialises = any(is_local(o) for o in supers)
        if not (aligned or local or specialises) and c not in ROOTS:
            unplaced.append(str(c))
    assert unplaced == [], (
        "classes neither aligned to an external term (subClassOf/exactMatch/closeMatch), nor marked "
        f"msckg:localTerm true, nor a subclass of an msckg class: {sorted(unplaced)}"
    )


def test_roots_stay_roots(onto):
    for root in ROOTS:
        assert (root, RDF.type, OWL.Class) in onto
        assert list(onto.objects(root, RDFS.subClassOf)) == [], f"{root} is exempt from rule 2 only as a root"


def alignment_targets(g: Graph) -> dict[str, set[str]]:
    """External IRI -> the msckg terms aligned to it."""
    out: dict[str, set[str]] = {}
    for p in ALIGNMENT_PREDICATES:
        for s, o in g.subject_objects(p):
            if is_local(s) and is_external(o) and not isinstance(o, Literal):
                out.setdefault(str(o), set()).add(str(s)[len(NS):])
    return out


def test_alignment_targets_are_declared_with_labels(onto):
    """Rule 3 of the module docstring."""
    targets = alignment_targets(onto)
    assert len(targets) > 40
    missing = {iri for iri in targets
               if (URIRef(iri), RDF.type, None) not in onto or onto.value(URIRef(iri), RDFS.label) is None}
    unexpected = sorted(missing - set(PENDING))
    assert unexpected == [], (
        "external alignment targets not declared with a label in ontology/external-terms.ttl or "
        "ontology/terms/*.ttl: " + "; ".join(f"{iri} (used by {', '.join(sorted(targets[iri]))})" for iri in unexpected)
    )
    resolved = sorted(set(PENDING) - missing)
    assert resolved == [], f"now declared or no longer used, remove from PENDING in tests/test_ontology.py: {resolved}"
    waiting = sorted(missing & set(PENDING))
    if waiting:
        pytest.xfail("alignment targets awaiting verification before they are declared: "
                     + "; ".join(f"{iri}: {PENDING[iri]}" for iri in waiting))


# --- SSSOM -----------------------------------------------------------------------------------------------


def read_sssom(text: str) -> tuple[list[str], list[dict[str, str]]]:
    meta = [line for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return meta, list(csv.DictReader(io.StringIO(body), delimiter="\t"))


def test_sssom_file_is_up_to_date(onto):
    committed = sssom_export.SSSOM_FILE.read_text(encoding="utf-8")
    assert committed == sssom_export.render(onto), (
        "ontology/mappings.sssom.tsv is out of date with the ontology: regenerate it with "
        "'python -m msckg.graph.ontology.sssom' (make sssom)"
    )


def test_sssom_rows_cover_every_alignment(onto):
    _, rows = read_sssom(sssom_export.SSSOM_FILE.read_text(encoding="utf-8"))
    conv = read_prefixes()
    pairs = {(conv.expand(r["subject_id"]), conv.expand(r["object_id"])) for r in rows}
    for p in (SKOS.exactMatch, SKOS.closeMatch, RDFS.subClassOf, RDFS.subPropertyOf):
        for s, o in onto.subject_objects(p):
            if is_local(s) and is_external(o):
                assert (str(s), str(o)) in pairs, f"{s} {p} {o} is missing from the SSSOM file"


def test_sssom_ids_are_curies_with_declared_prefixes():
    conv = read_prefixes()
    meta, rows = read_sssom(sssom_export.SSSOM_FILE.read_text(encoding="utf-8"))
    assert rows, "the SSSOM file has no mappings"
    assert list(rows[0]) == sssom_export.COLUMNS
    for r in rows:
        for col in ("subject_id", "predicate_id", "object_id", "mapping_justification"):
            value = r[col]
            prefix, _, local = value.partition(":")
            assert local and "://" not in value, f"{col} {value!r} is not a CURIE"
            assert prefix in conv.prefix_map, f"{col} {value!r}: prefix '{prefix}' is not declared in ontology/prefixes.ttl"
            assert conv.expand(value), f"{col} {value!r} does not expand"
        assert r["predicate_id"] in {"skos:exactMatch", "skos:closeMatch", "skos:broadMatch"}
        assert r["mapping_justification"] == "semapv:ManualMappingCuration"
    # the curie_map in the metadata block agrees with prefixes.ttl
    for line in meta:
        body = line[1:].strip()
        if ": " in body and not body.startswith(("curie_map", "mapping_set", "license")):
            prefix, ns = body.split(": ", 1)
            assert conv.prefix_map.get(prefix) == ns, f"curie_map {prefix}: {ns} differs from prefixes.ttl"
    text = "\n".join(meta)
    assert "# mapping_set_id: https://w3id.org/msckg/mappings.sssom.tsv" in text
    assert "# license: " in text


# --- HTML reference ------------------------------------------------------------------------------------


def test_html_reference_renders_with_working_links(onto):
    import re

    from msckg.graph.ontology import docs as ontology_docs

    page = ontology_docs.render(onto)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "duplicate anchors in the HTML reference"
    broken = sorted(set(re.findall(r'href="#([^"]+)"', page)) - set(ids))
    assert broken == [], f"links to missing anchors: {broken}"
    for term in ("Trial", "doseValue", "Phase2", "PartialDate", "AE_Haemorrhage"):
        assert f'id="{term}"' in page
    assert "record field" in page and "OBI:0003699" in page
    assert page == ontology_docs.render(onto), "the page must be deterministic"
