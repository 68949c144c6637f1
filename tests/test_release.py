"""`make release`: the ontology's release files exist, parse, carry the release header and agree with the sources."""

from __future__ import annotations

import json
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from rdflib import DCTERMS, OWL, RDF, SKOS, Graph, URIRef

from rdflib.compare import isomorphic

from msckg.graph.ontology.release import IAO_DEFINITION, ONTOLOGY_IRI, _header, merged, obo_definitions, release

MSCKG = "https://w3id.org/msckg/"


@lru_cache(maxsize=1)
def _released() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="msckg-release-"))
    release(folder)
    return folder


def release_files(pattern: str = "*") -> list[Path]:
    """Files of one release made for this test session (other tests validate them too)."""
    return sorted(_released().glob(pattern))


@pytest.fixture(scope="module")
def owl() -> Graph:
    return Graph().parse(_released() / "msckg.owl", format="xml")


@pytest.fixture(scope="module")
def base() -> Graph:
    return Graph().parse(_released() / "msckg-base.owl", format="xml")


def test_every_release_file_is_written():
    names = {p.name for p in release_files()}
    assert {"msckg.owl", "msckg-base.owl", "msckg.json", "msckg-shapes.ttl", "msckg.sssom.tsv"} <= names


def test_full_release_has_the_header_and_the_external_terms(owl):
    from msckg.graph.ontology.reason import load_ontology

    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in owl
    version = str(owl.value(ONTOLOGY_IRI, OWL.versionInfo))
    assert owl.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef(f"{MSCKG}releases/{version}/msckg.owl")
    assert owl.value(ONTOLOGY_IRI, DCTERMS.title) and owl.value(ONTOLOGY_IRI, DCTERMS.creator)
    assert str(owl.value(ONTOLOGY_IRI, DCTERMS.license)).startswith("https://creativecommons.org/licenses/")
    assert (URIRef("http://purl.obolibrary.org/obo/CL_0002569"), RDF.type, OWL.Class) in owl, "declared external terms are merged in"
    expected = merged()  # the ontology files, plus the release header and the IAO copies of the definitions
    _header(expected, "msckg.owl")
    obo_definitions(expected)
    assert len(expected) > len(load_ontology()) and isomorphic(expected, owl), "msckg.owl is the ontology files, nothing lost"


def test_base_holds_only_msckg_axioms(base, owl):
    subjects = {s for s in base.subjects() if isinstance(s, URIRef)}
    assert subjects and all(str(s).startswith(MSCKG) or s == IAO_DEFINITION for s in subjects), \
        sorted(s for s in subjects if not str(s).startswith(MSCKG))[:5]
    assert base.value(ONTOLOGY_IRI, OWL.versionIRI).endswith("/msckg-base.owl")
    assert (URIRef(MSCKG + "Trial"), RDF.type, OWL.Class) in base
    assert (URIRef("http://purl.obolibrary.org/obo/CL_0002569"), RDF.type, OWL.Class) not in base
    assert len(base) < len(owl)


def test_definitions_are_also_iao_0000115_for_obo_tools(owl):
    for s, d in owl.subject_objects(SKOS.definition):
        if str(s).startswith(MSCKG):
            assert (s, IAO_DEFINITION, d) in owl


def test_obo_graphs_json_lists_the_terms_with_labels_and_is_a(owl):
    doc = json.loads((_released() / "msckg.json").read_text(encoding="utf-8"))
    (graph,) = doc["graphs"]
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes[MSCKG + "Trial"]["lbl"] == str(owl.value(URIRef(MSCKG + "Trial"), URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert any(e["sub"] == MSCKG + "DoseCohort" and e["pred"] == "is_a" for e in graph["edges"])
    classes = {str(c) for c in owl.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef) and str(c).startswith(MSCKG)}
    assert classes <= set(nodes), sorted(classes - set(nodes))[:5]


def test_shapes_file_holds_every_shape():
    from msckg.graph.paths import SHAPES

    one = Graph().parse(_released() / "msckg-shapes.ttl", format="turtle")
    source = Graph()
    for f in SHAPES.glob("*.ttl"):
        source.parse(f, format="turtle")
    assert len(one) == len(source) and len(one) > 100


def test_sssom_set_is_the_generated_alignments():
    from msckg.graph.ontology.sssom import SSSOM_FILE

    assert (_released() / "msckg.sssom.tsv").read_text(encoding="utf-8") == SSSOM_FILE.read_text(encoding="utf-8")
