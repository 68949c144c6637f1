"""HermiT proves the ontology consistent, finds no unsatisfiable class, and catches modelling mistakes.

These tests need Java (HermiT is a Java program run by owlready2). Without it they fail, on purpose,
with the install command: 'make test' installs Java first.
"""

from __future__ import annotations

import shutil

import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.compare import graph_diff, to_isomorphic

from msckg.graph.ontology import reason as reason_mod
from msckg.graph.ontology.reason import JavaMissing, ReasonResult, load_ontology, reason, to_world, world_ntriples

MSCKG = Namespace("https://w3id.org/msckg/")
BROKEN = Namespace("https://w3id.org/msckg/id/test/")


def require_java() -> None:
    if shutil.which("java") is None:
        pytest.fail("Java is not installed, so HermiT cannot run: install it with "
                    "'apt-get install default-jre-headless' (or run 'make test', which does).", pytrace=False)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology()


@pytest.fixture(scope="module")
def result(ontology) -> ReasonResult:
    require_java()
    return reason(graph=ontology)


def copy_of(g: Graph) -> Graph:
    out = Graph()
    for t in g:
        out.add(t)
    return out


def test_ontology_is_consistent(result):
    assert result.consistent, "HermiT finds the ontology inconsistent: it has no model at all"


def test_no_unsatisfiable_classes(result):
    assert result.unsatisfiable == [], f"classes that can have no instance: {result.unsatisfiable}"


def test_counts_and_time_are_reported(result):
    assert result.classes > 50 and result.properties > 50
    assert result.seconds > 0


def test_only_partial_date_is_opaque_to_hermit(result):
    # HermiT interprets only the OWL 2 datatype map. msckg:PartialDate (xsd:date | xsd:gYearMonth | xsd:gYear)
    # is run as an uninterpreted datatype; any other datatype outside the map (e.g. xsd:date as a range,
    # which is also outside OWL 2 DL) must be a deliberate decision, so it fails here first.
    assert result.opaque_datatypes == ["msckg:PartialDate"]


def test_hermit_gets_every_logical_triple(ontology):
    """owlready2 re-serialises the RDF/XML for HermiT; no class, property or axiom triple may be lost."""
    world = to_world(ontology)
    try:
        seen = Graph().parse(data=world_ntriples(world), format="nt")
    finally:
        world.close()

    def normalised(g: Graph) -> Graph:
        out = Graph()
        for s, p, o in g:
            if isinstance(o, Literal) and o.datatype == XSD.string:  # RDF 1.1: "x" == "x"^^xsd:string
                o = Literal(str(o))
            out.add((s, p, o))
        return out

    _, only_ours, only_seen = graph_diff(to_isomorphic(normalised(ontology)), to_isomorphic(normalised(seen)))
    logical = (str(RDF), str(RDFS), str(OWL))
    lost = [t for t in only_ours if str(t[1]).startswith(logical)]
    assert lost == [], f"triples that never reach HermiT: {lost[:10]}"
    added = [t for t in only_seen if str(t[1]).startswith(logical) and str(t[0]) != "http://anonymous"]
    assert added == [], f"triples owlready2 added: {added[:10]}"


def test_individual_in_two_disjoint_classes_is_inconsistent(ontology):
    """A deliberately broken copy: one intervention typed both CellTherapy and Placebo (declared disjoint)."""
    require_java()
    broken = copy_of(ontology)
    x = BROKEN["intervention-both"]
    broken.add((x, RDF.type, OWL.NamedIndividual))
    broken.add((x, RDF.type, MSCKG.CellTherapy))
    broken.add((x, RDF.type, MSCKG.Placebo))
    res = reason(graph=broken)
    assert res.consistent is False
    assert res.unsatisfiable == ["owl:Thing"]  # so a caller that only checks this list also fails


def test_domain_clash_is_inconsistent(ontology):
    """Domains make HermiT infer types: an arm given msckg:phase (domain Trial) would also be a Trial,
    and Arm and Trial are disjoint. A record that puts a field on the wrong kind of node is caught."""
    require_java()
    broken = copy_of(ontology)
    arm = BROKEN["arm-with-phase"]
    broken.add((arm, RDF.type, MSCKG.Arm))
    broken.add((arm, MSCKG.phase, MSCKG.Phase2))  # msckg:phase has domain msckg:Trial
    assert reason(graph=broken).consistent is False


def test_class_under_two_disjoint_classes_is_unsatisfiable(ontology):
    require_java()
    broken = copy_of(ontology)
    c = MSCKG.TestCellTherapyPlacebo
    broken.add((c, RDF.type, OWL.Class))
    broken.add((c, RDFS.subClassOf, MSCKG.CellTherapy))
    broken.add((c, RDFS.subClassOf, MSCKG.Placebo))
    res = reason(graph=broken)
    assert res.consistent is True
    assert res.unsatisfiable == ["msckg:TestCellTherapyPlacebo"]


def test_missing_java_is_a_clear_error(monkeypatch):
    import owlready2

    monkeypatch.setattr(owlready2, "JAVA_EXE", "java-that-does-not-exist-here")
    with pytest.raises(JavaMissing, match="apt-get install default-jre-headless"):
        reason_mod.reason()


def test_partial_date_stays_declared_and_used(ontology):
    """The opaque datatype is not stripped to please HermiT: it stays declared and is still the range."""
    assert (MSCKG.PartialDate, RDF.type, RDFS.Datatype) in ontology
    assert (MSCKG.startDate, RDFS.range, MSCKG.PartialDate) in ontology
    assert URIRef(str(MSCKG.PartialDate)) not in {URIRef(x) for x in reason_mod.OWL2_DATATYPES}
