"""Everything a registry record says lands on an ontology property: analyses of every kind with their time point,
units with UCUM codes, references, sites, sponsor classes, participant flow, observational design, response outcomes
and adverse-event classes. Values are checked against the fixture JSON they come from."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.namespace import XSD

from msckg.loader.ctgov import ctgov_to_graph
from msckg.loader.ctgov_ae import AE_TERM_MAPPINGS, classifier
from msckg.loader.ctgov_terms import UNIT_TABLE, units
from msckg.loader.schema import ID, MSCKG, default_schema

from .conftest import SHARED

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ctgov"
ANALYSES = FIXTURES / "NCT90000005-analyses.json"
OBO = "http://purl.obolibrary.org/obo/"


@lru_cache(maxsize=None)
def load(path: Path):
    return ctgov_to_graph(path)


def source(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def at(g, locator: str):
    found = list(g.subjects(MSCKG.locator, Literal(locator)))
    assert len(found) == 1, locator
    return found[0]


def values(g, s, *names) -> list[str | None]:
    return [None if g.value(s, MSCKG[n]) is None else str(g.value(s, MSCKG[n])) for n in names]


# ------------------------------------------------------------------------------------ analyses

def test_every_analysis_kind_keeps_estimate_interval_method_and_hypothesis():
    g = load(ANALYSES).graph
    om = source(ANALYSES)["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    base = "resultsSection.outcomeMeasuresModule.outcomeMeasures"
    rd = at(g, f"{base}[0].analyses[0]")
    an = om[0]["analyses"][0]
    assert (rd, RDF.type, MSCKG.RiskDifference) in g
    assert values(g, rd, "estimate", "intervalLower", "intervalUpper", "intervalLevel", "ciLower", "pValue") == \
        [an["paramValue"], an["ciLowerLimit"], an["ciUpperLimit"], an["ciPctValue"], None, an["pValue"]]
    assert g.value(rd, MSCKG.hypothesisType) == MSCKG.SuperiorityHypothesis
    rr = at(g, f"{base}[0].analyses[1]")
    assert (rr, RDF.type, MSCKG.RiskRatio) in g and g.value(rr, MSCKG.hypothesisType) == MSCKG.NonInferiorityHypothesis
    assert values(g, rr, "estimate", "ciLower", "ciUpper") == ["1.75", "1.08", "2.83"]
    # a log hazard ratio says it is on the log scale; the experimental arm is the EXPERIMENTAL arm whatever the order
    hr = at(g, f"{base}[1].analyses[0]")
    assert (hr, RDF.type, MSCKG.HazardRatio) in g and g.value(hr, MSCKG.logScale) == Literal(True)
    assert (g.value(hr, MSCKG.experimentalArm), g.value(hr, MSCKG.comparatorArm)) == (ID["trial/NCT90000005/arm/0"], ID["trial/NCT90000005/arm/1"])
    md = at(g, f"{base}[1].analyses[1]")
    assert (md, RDF.type, MSCKG.MedianDifference) in g
    assert values(g, md, "estimate", "intervalLower", "intervalUpper", "intervalLevel") == ["2.7", "0.9", None, "80"]
    assert g.value(md, MSCKG.intervalSides) == Literal("one-sided")
    assert g.value(md, MSCKG.statisticalTest) == Literal("Hodges-Lehmann")
    slope = at(g, f"{base}[2].analyses[2]")
    assert (slope, RDF.type, MSCKG.OtherEffectEstimate) in g and g.value(slope, MSCKG.parameterType) == Literal("Slope")
    assert g.value(slope, MSCKG.estimate) == Literal("0.15", datatype=XSD.decimal)
    test_only = at(g, f"{base}[2].analyses[3]")
    assert (test_only, RDF.type, MSCKG.SignificanceTest) in g
    assert values(g, test_only, "pValue", "pValueBound", "estimate") == ["0.05", "<", None]
    # the classes of the ontology hold them: a difference, a ratio
    schema = default_schema()
    assert schema.is_a({MSCKG.MedianDifference}, MSCKG.Difference) and schema.is_a({MSCKG.OddsRatio}, MSCKG.Ratio)


def test_analyses_at_several_time_points_get_their_time_point():
    rec = load(ANALYSES)
    g = rec.graph
    base = "resultsSection.outcomeMeasuresModule.outcomeMeasures[2]"
    week4, week12 = at(g, f"{base}.analyses[0]"), at(g, f"{base}.analyses[1]")
    assert g.value(week4, MSCKG.timePoint) == Literal("Week 4") and g.value(week12, MSCKG.timePoint) == Literal("Week 12")
    assert g.value(week12, MSCKG.estimate) == Literal("1.2", datatype=XSD.decimal)
    # the results of the same class carry the same time point, so a query can put them side by side
    r = at(g, f"{base}.classes[1].categories[0].measurements[0]")
    assert g.value(r, MSCKG.timePoint) == Literal("Week 12") and g.value(r, MSCKG.mean) == Literal("10.4", datatype=XSD.decimal)
    # an analysis that names none of the classes is listed, not guessed
    assert g.value(at(g, f"{base}.analyses[3]"), MSCKG.timePoint) is None
    assert any(loc == f"{base}.analyses[3].groupDescription" and "none of the outcome's classes" in why for loc, why in rec.dropped)


def test_real_analyses_at_several_weeks():
    path = SHARED / "ctgov" / "v2" / "NCT03064438.json"
    if not path.exists():
        pytest.skip(f"{path} is absent: the real ClinicalTrials.gov records in ../shared are not beside this checkout")
    g = load(path).graph
    om = source(path)["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][3]
    for a, an in enumerate(om["analyses"]):
        node = at(g, f"resultsSection.outcomeMeasuresModule.outcomeMeasures[3].analyses[{a}]")
        week = next(c["title"] for c in om["classes"] if an["groupDescription"].endswith(c["title"]))
        assert g.value(node, MSCKG.timePoint) == Literal(week)
        assert str(g.value(node, MSCKG.estimate)) == an["paramValue"]


# ------------------------------------------------------------------------------------ units

def test_units_are_properties_with_ucum_codes_and_terms():
    g = load(ANALYSES).graph
    base = "resultsSection.outcomeMeasuresModule.outcomeMeasures"
    hb = at(g, f"{base}[2].classes[0].categories[0].measurements[0]")
    assert values(g, hb, "unitAsPrinted", "ucumCode") == ["g/dL", "g/dL"]
    assert g.value(hb, MSCKG.unit) == URIRef(OBO + "UO_0000208")
    months = at(g, f"{base}[1].classes[0].categories[0].measurements[0]")
    assert values(g, months, "unitAsPrinted", "ucumCode") == ["months", "mo"] and g.value(months, MSCKG.unit) == URIRef(OBO + "UO_0000035")
    assert g.value(ID["trial/NCT90000005/outcome/2"], MSCKG.unitAsPrinted) == Literal("g/dL")


def test_unit_table_names_only_declared_terms_and_each_spelling_once():
    schema = default_schema()
    table = units()
    assert len(table) > 80
    for printed, (ucum, term) in table.items():
        assert ucum, printed
        if term is not None:
            assert term in schema.declared, f"{UNIT_TABLE.name}: {term} ({printed}) is not declared in the ontology"


def test_a_unit_without_a_code_is_kept_as_printed_and_listed(tmp_path):
    tree = source(FIXTURES / "NCT90000003-two-doses-one-arm.json")
    tree["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]["unitOfMeasure"] = "furlongs per fortnight"
    p = tmp_path / "r.json"
    p.write_text(json.dumps(tree))
    rec = ctgov_to_graph(p)
    r = at(rec.graph, "resultsSection.outcomeMeasuresModule.outcomeMeasures[0].classes[0].categories[0].measurements[0]")
    assert values(rec.graph, r, "unitAsPrinted", "ucumCode") == ["furlongs per fortnight", None]
    assert rec.unmapped()["resultsSection.outcomeMeasuresModule.outcomeMeasures[].unitOfMeasure"] == 1


# ------------------------------------------------------------------------------------ protocol: sponsors, references, sites

def test_sponsor_and_collaborator_classes_are_funder_kinds():
    g = load(ANALYSES).graph
    t = ID["trial/NCT90000005"]
    kinds = {str(g.value(g.value(f, MSCKG.funder), RDFS.label)): g.value(g.value(f, MSCKG.funder), MSCKG.organisationKind)
             for f in g.objects(t, MSCKG.funding)}
    assert kinds == {"Example Cell Therapeutics": MSCKG.Industry, "National Institute of Examples": MSCKG.PublicFunder,
                     "Example University Hospital": MSCKG.OtherOrganisation}
    lead = ID["pub/ctgov-NCT90000005/funding/lead-sponsor"]
    assert g.value(lead, MSCKG.locator) == Literal("protocolSection.sponsorCollaboratorsModule.leadSponsor")
    assert g.value(t, MSCKG.sponsor) == ID["org/example-cell-therapeutics"]


def test_references_become_publications_typed_by_reference_type():
    g = load(ANALYSES).graph
    t, doc = ID["trial/NCT90000005"], ID["pub/ctgov-NCT90000005"]
    result = ID["pub/pmid-31234567"]
    assert g.value(result, MSCKG.pmid) == Literal("31234567")
    assert g.value(result, MSCKG.referenceType) == MSCKG.ResultReference
    assert (result, MSCKG.reports, t) in g and (result, MSCKG.citedBy, doc) in g
    background = ID["pub/doi-10-1000-rev-2019-3"]
    assert g.value(background, MSCKG.doi) == Literal("10.1000/rev.2019.3")
    assert g.value(background, MSCKG.referenceType) == MSCKG.BackgroundReference
    assert (background, MSCKG.reports, t) not in g  # background does not report the trial
    assert (doc, RDFS.seeAlso, URIRef("https://example.org/trial")) in g


def test_locations_are_sites_with_city_and_country():
    g = load(ANALYSES).graph
    t = ID["trial/NCT90000005"]
    sites = {str(g.value(o, RDFS.label)): (str(g.value(o, MSCKG.city)), str(g.value(o, MSCKG.country)), o) for o in g.objects(t, MSCKG.site)}
    assert sites["Example University Hospital"][:2] == ("Tianjin", "China")
    # the same organisation is sponsor-side collaborator and site: one node
    assert sites["Example University Hospital"][2] == ID["org/example-university-hospital"]
    # a generic facility name is one organisation per place
    research = sorted((c, n) for lab, (c, n, o) in sites.items() if lab == "Research Site")
    assert len([o for o in g.objects(t, MSCKG.site) if str(g.value(o, RDFS.label)) == "Research Site"]) == 2
    assert sorted(str(c) for c in g.objects(t, MSCKG.siteCountry)) == ["China", "France", "Japan"]
    assert research


# ------------------------------------------------------------------------------------ participant flow, observational design

def test_participant_flow_milestones_and_drop_reasons_per_arm():
    path = FIXTURES / "NCT90000002-total-and-dose-groups.json"
    g = load(path).graph
    period = source(path)["resultsSection"]["participantFlowModule"]["periods"][0]
    base = "resultsSection.participantFlowModule.periods[0]"
    for m, ms in enumerate(period["milestones"]):
        for a, ach in enumerate(ms["achievements"]):
            n = at(g, f"{base}.milestones[{m}].achievements[{a}]")
            assert (n, RDF.type, MSCKG.MilestoneCount) in g
            assert values(g, n, "milestone", "flowPeriod", "count") == [ms["type"], period["title"], ach["numSubjects"]]
    for d, dw in enumerate(period["dropWithdraws"]):
        for r, why in enumerate(dw["reasons"]):
            n = at(g, f"{base}.dropWithdraws[{d}].reasons[{r}]")
            assert (n, RDF.type, MSCKG.DropoutCount) in g
            assert values(g, n, "dropoutReason", "count") == [dw["type"], why["numSubjects"]]
            assert g.value(n, MSCKG.arm) is not None


def test_real_participant_flow():
    path = SHARED / "ctgov" / "v2" / "NCT02210780.json"
    if not path.exists():
        pytest.skip(f"{path} is absent: the real ClinicalTrials.gov records in ../shared are not beside this checkout")
    g = load(path).graph
    pf = source(path)["resultsSection"]["participantFlowModule"]
    started = pf["periods"][0]["milestones"][0]
    n = at(g, "resultsSection.participantFlowModule.periods[0].milestones[0].achievements[1]")
    assert values(g, n, "milestone", "count") == [started["type"], started["achievements"][1]["numSubjects"]]
    assert g.value(g.value(n, MSCKG.arm), RDFS.label) == Literal(pf["groups"][1]["title"])


def test_observational_study_is_its_own_class_with_its_design():
    g = load(FIXTURES / "NCT90000006-observational.json").graph
    s = ID["trial/NCT90000006"]
    assert (s, RDF.type, MSCKG.ObservationalStudy) in g and (s, RDF.type, MSCKG.Trial) not in g
    assert g.value(s, MSCKG.observationalModel) == MSCKG.CohortModel
    assert g.value(s, MSCKG.timePerspective) == MSCKG.Prospective
    assert g.value(s, MSCKG.samplingMethod) == MSCKG.NonProbabilitySample
    assert g.value(s, MSCKG.biospecimenRetention) == MSCKG.SamplesWithDna
    assert g.value(s, MSCKG.patientRegistry) == Literal(True)
    assert g.value(s, MSCKG.targetDuration) == Literal("5 Years")
    assert g.value(s, MSCKG.plannedEnrolment) == Literal("500", datatype=XSD.nonNegativeInteger)
    assert g.value(s, MSCKG.allocation) is None and g.value(s, MSCKG.controlType) is None
    assert (ID["trial/NCT90000006/arm/0"], MSCKG.armOf, s) in g
    assert g.value(g.value(s, MSCKG.sponsor), MSCKG.organisationKind) == MSCKG.NetworkOrganisation


# ------------------------------------------------------------------------------------ response outcomes, adverse-event classes

def test_responder_outcome_is_a_response_with_the_title_as_definition():
    g = load(ANALYSES).graph
    o = ID["trial/NCT90000005/outcome/0"]
    title = source(ANALYSES)["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]["title"]
    assert g.value(o, MSCKG.outcomeKind) == MSCKG.ResponseAsRegistered
    assert g.value(o, MSCKG.definition) == Literal(title)
    assert g.value(ID["trial/NCT90000005/outcome/1"], MSCKG.outcomeKind) is None  # survival medians are no response


@pytest.mark.parametrize("term, system, cls", [
    ("Gastrointestinal haemorrhage", "Gastrointestinal disorders", "AE_GastrointestinalHaemorrhage"),
    ("Gastrointestinal hemorrhage", "Gastrointestinal disorders", "AE_GastrointestinalHaemorrhage"),
    ("Pulmonary haemorrhage", "Respiratory, thoracic and mediastinal disorders", "AE_Haemorrhage"),
    ("Chest wall haematoma", "Musculoskeletal and connective tissue disorders", "AE_Haematoma"),
    ("Epistaxis", "Respiratory, thoracic and mediastinal disorders", "AE_Haemorrhage"),
    ("Melaena", "Gastrointestinal disorders", "AE_GastrointestinalHaemorrhage"),
    ("Urinary tract infection", "Infections and infestations", "AE_UrinaryTractInfection"),
    ("Cellulitis", "Infections and infestations", "AE_Infection"),
    ("Febrile neutropenia", "Blood and lymphatic system disorders", "AE_Neutropenia"),
    ("Platelet count decreased", "Investigations", "AE_Thrombocytopenia"),
    ("Pyrexia", "General disorders", "AE_Fever"),
    ("Hay fever", "Immune system disorders", None),
    ("Arthralgia", "Musculoskeletal and connective tissue disorders", None),
])
def test_adverse_event_classes_from_term_and_organ_system(term, system, cls):
    got, how = classifier().classify(term, system)
    assert got == (MSCKG[cls] if cls else None), how


def test_ae_mapping_rows_are_reviewed_and_name_declared_classes():
    schema = default_schema()
    lines = [line for line in AE_TERM_MAPPINGS.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    header, rows = lines[0].split("\t"), [dict(zip(lines[0].split("\t"), line.split("\t"))) for line in lines[1:]]
    assert {"subject_id", "subject_label", "predicate_id", "object_id", "reviewer_id"} <= set(header)
    subjects = [r["subject_id"] for r in rows]
    assert len(subjects) == len(set(subjects)), "one row per subject: an event gets one class"
    for r in rows:
        assert r["reviewer_id"] and r["predicate_id"] in ("skos:exactMatch", "skos:closeMatch")
        cls = MSCKG[r["object_id"].removeprefix("msckg:")]
        assert schema.is_a({cls}, MSCKG.AdverseEventTerm), r["object_id"]


def test_registry_adverse_events_get_classes_and_totals():
    g = load(FIXTURES / "NCT90000002-total-and-dose-groups.json").graph
    base = "resultsSection.adverseEventsModule"
    assert g.value(at(g, f"{base}.seriousEvents[0].stats[0]"), MSCKG.eventClass) == MSCKG.AE_GastrointestinalHaemorrhage
    assert g.value(at(g, f"{base}.otherEvents[0].stats[0]"), MSCKG.eventClass) == MSCKG.AE_Haemorrhage
    assert g.value(at(g, f"{base}.otherEvents[1].stats[0]"), MSCKG.eventClass) == MSCKG.AE_Infection
    assert g.value(at(g, f"{base}.otherEvents[2].stats[0]"), MSCKG.eventClass) is None
    serious = ID["pub/ctgov-NCT90000002/ae/serious-total/eg000"]
    assert g.value(serious, MSCKG.eventClass) == URIRef(OBO + "OAE_0000001")
    assert values(g, serious, "affected", "atRisk", "serious") == ["3", "30", "true"]
    assert g.value(ID["pub/ctgov-NCT90000002/ae/deaths-total/eg001"], MSCKG.eventClass) == MSCKG.AE_Death
    assert values(g, ID["pub/ctgov-NCT90000002/ae/other-total/eg001"], "affected", "serious") == ["9", "false"]
