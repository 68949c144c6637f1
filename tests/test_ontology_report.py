"""`make ontology-report`: the ontology passes every ERROR-level check, and each check finds the problem it names."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef

from msckg.graph.ontology import report
from msckg.graph.ontology.reason import load_ontology
from msckg.graph.paths import ONTOLOGY_QC

M = "https://w3id.org/msckg/"
CL = "http://purl.obolibrary.org/obo/CL_"


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology()


def test_the_ontology_has_no_error_level_finding(ontology):
    errors = [f for f in report.run(ontology) if f.level == "ERROR"]
    assert not errors, "\n".join(f"{f.rule}: {f.entity} {f.property} {f.value}" for f in errors[:30])


def test_every_msckg_class_and_property_is_defined(ontology):
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    terms = {s for k in kinds for s in ontology.subjects(RDF.type, k) if str(s).startswith(M) and "/id/" not in str(s)}
    undefined = sorted(str(t) for t in terms if ontology.value(t, SKOS.definition) is None)
    assert len(terms) > 300 and not undefined, f"terms without skos:definition: {undefined}"
    short = sorted(str(t) for t in terms if len(str(ontology.value(t, SKOS.definition)).split()) < 5)
    assert not short, f"definitions too short to say what the term means: {short}"


def _planted(ontology: Graph) -> Graph:
    """The ontology with one problem of each kind planted."""
    g = Graph()
    for t in ontology:
        g.add(t)
    g.add((URIRef(M + "Undefined"), RDF.type, OWL.Class))                                # no label, no definition
    g.add((URIRef(M + "Twin"), RDF.type, OWL.Class))
    g.add((URIRef(M + "Twin"), RDFS.label, Literal("trial")))                            # same label as msckg:Trial
    g.add((URIRef(M + "Twin"), RDFS.label, Literal("twin ")))                            # second label, with a trailing space
    g.add((URIRef(M + "Twin"), SKOS.definition, Literal("One definition.")))
    g.add((URIRef(M + "Twin"), SKOS.definition, Literal("Another definition.")))
    g.add((URIRef(M + "Twin"), SKOS.exactMatch, URIRef("http://purl.obolibrary.org/obo/XX_0000001")))  # undeclared
    g.add((URIRef(M + "Twin"), RDFS.subClassOf, URIRef(CL + "0000003")))                # CL:0000003 is obsolete in CL
    g.add((URIRef(CL + "0000003"), RDFS.label, Literal("obsolete native cell")))
    g.remove((URIRef(M + "ontology"), URIRef("http://purl.org/dc/terms/title"), None))
    return g


@pytest.mark.parametrize("rule, entity", [
    ("missing-label", "msckg:Undefined"),
    ("missing-definition", "msckg:Undefined"),
    ("duplicate-label", "msckg:Twin"),
    ("duplicate-label", "msckg:Trial"),
    ("multiple-labels", "msckg:Twin"),
    ("multiple-definitions", "msckg:Twin"),
    ("undeclared-external-term", "msckg:Twin"),
    ("deprecated-reference", "msckg:Twin"),
    ("ontology-header", "msckg:ontology"),
    ("label-whitespace", "msckg:Twin"),
])
def test_each_check_finds_its_planted_problem(ontology, rule, entity, planted_findings):
    assert any(f.rule == rule and f.entity == entity for f in planted_findings), rule


@pytest.fixture(scope="module")
def planted_findings(ontology):
    return report.run(_planted(ontology))


def test_every_check_file_has_a_level_and_is_exercised(planted_findings):
    from msckg.graph.query.files import read_query_dir

    checks = read_query_dir(ONTOLOGY_QC)
    assert len(checks) >= 10
    for q in checks:
        assert q.header.get("level") in report.LEVELS and q.summary and q.header.get("description"), q.name
    exercised = {f.rule for f in planted_findings}
    untested = {q.name for q in checks} - exercised - {"duplicate-definition", "definition-repeats-label"}
    assert not untested, f"checks that no planted problem triggers: {untested}"


def test_main_exits_1_on_an_error_row(monkeypatch, capsys, ontology, planted_findings):
    clean = [f for f in report.run(ontology) if f.level != "ERROR"]
    monkeypatch.setattr(report, "run", lambda: planted_findings)
    assert report.main(["--format", "tsv"]) == 1
    out = capsys.readouterr()
    assert out.out.startswith("Level\tRule Name\tSubject\tProperty\tValue") and "ERROR row(s)" in out.err
    monkeypatch.setattr(report, "run", lambda: clean)
    assert report.main([]) == 0
