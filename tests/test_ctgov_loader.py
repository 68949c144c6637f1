"""The ClinicalTrials.gov API v2 loader: real records from ../shared (when present), bad input, counts."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from msckg.loader.ctgov import ctgov_to_graph
from msckg.loader.errors import SourceError
from msckg.loader.schema import ID, MSCKG, PROV

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology"
CTGOV = Path(__file__).resolve().parents[2] / "shared" / "ctgov" / "v2"
FILES = sorted(p.name for p in CTGOV.glob("*.json")) if CTGOV.is_dir() else ["(../shared absent)"]
SH = Namespace("http://www.w3.org/ns/shacl#")
NS = {"msckg": MSCKG, "id": ID, "rdfs": RDFS, "xsd": XSD}


def real(name: str) -> Path:
    if not CTGOV.is_dir():
        pytest.skip(f"{CTGOV} is absent: the real ClinicalTrials.gov records in ../shared are not beside this checkout")
    return CTGOV / name


@lru_cache(maxsize=None)
def loaded(name: str, load_time: str | None = None):
    return ctgov_to_graph(real(name), load_time=load_time)


@lru_cache(maxsize=1)
def ontology() -> Graph:
    g = Graph()
    for f in sorted(ONTOLOGY.glob("*.ttl")) + sorted((ONTOLOGY / "terms").glob("*.ttl")):
        g.parse(f, format="turtle")
    return g


@lru_cache(maxsize=1)
def shapes() -> Graph:
    return Graph().parse(ONTOLOGY / "shapes" / "shapes.ttl", format="turtle")


def ntriples(g: Graph) -> list[str]:
    return sorted(line for line in g.serialize(format="nt").splitlines()
                  if line.strip() and str(PROV.generatedAtTime) not in line)


def rows(g: Graph, query: str, **bindings) -> list[tuple]:
    return [tuple(r) for r in g.query(query, initNs=NS, initBindings=bindings)]


# ------------------------------------------------------------------------------------ every real record

@pytest.mark.parametrize("name", FILES)
def test_real_record_loads_without_blank_nodes(name):
    rec = loaded(name)
    assert len(rec.graph) > 0
    assert not [t for tr in rec.graph for t in tr if isinstance(t, BNode)], "the loader must not make blank nodes"
    nct = str(rec.graph_iri).rsplit("/", 1)[-1]
    assert rec.graph_iri == URIRef(f"https://w3id.org/msckg/graph/ctgov/{nct}")
    assert rec.records_in == rec.entities_out + rec.rejected
    assert rec.problems == []


@pytest.mark.parametrize("name", FILES)
def test_real_record_is_deterministic(name):
    a = ctgov_to_graph(real(name), load_time="2025-01-01T00:00:00Z")
    b = ctgov_to_graph(real(name), load_time="2025-06-30T12:00:00Z")
    assert ntriples(a.graph) == ntriples(b.graph)
    assert (a.records_in, a.entities_out, a.rejected) == (b.records_in, b.entities_out, b.rejected)


@pytest.mark.parametrize("name", FILES)
def test_real_record_conforms_to_shapes(name):
    from pyshacl import validate

    rec = loaded(name)
    data = Graph()
    for t in rec.graph:
        data.add(t)
    for t in ontology():
        data.add(t)
    _, results, text = validate(data, shacl_graph=shapes(), inference="none", advanced=True, allow_warnings=True)
    violations = [r for r in results.subjects(RDF.type, SH.ValidationResult)
                  if results.value(r, SH.resultSeverity) == SH.Violation]
    assert not violations, text[:4000]


@pytest.mark.parametrize("name", FILES)
def test_real_record_uses_only_ontology_terms(name):
    rec = loaded(name)
    onto = ontology()
    declared = {s for s in onto.subjects(RDF.type, None) if isinstance(s, URIRef)}
    allowed_other = {RDF.type, RDFS.label, RDFS.seeAlso, SKOS.altLabel, PROV.wasDerivedFrom, PROV.generatedAtTime}
    ours = (str(ID), "https://w3id.org/msckg/graph/")
    for s, p, o in rec.graph:
        if str(p).startswith(str(MSCKG)):
            assert p in declared, f"{p} is not a property of ontology/msckg.ttl"
        else:
            assert p in allowed_other, f"unexpected predicate {p}"
        if p == RDF.type and o != PROV.Entity:
            assert (o, RDF.type, OWL.Class) in onto, f"{o} is not a class of the ontology"
        elif isinstance(o, URIRef) and str(o).startswith(str(MSCKG)) and not str(o).startswith(ours):
            assert o in declared, f"{o} is not declared in the ontology"


@pytest.mark.parametrize("name", FILES)
def test_real_record_provenance_and_locators(name):
    rec = loaded(name, "2025-01-01T00:00:00Z")
    g, giri = rec.graph, rec.graph_iri
    nct = str(giri).rsplit("/", 1)[-1]
    doc = ID[f"pub/ctgov-{nct}"]
    assert rec.document == doc
    assert (giri, RDF.type, PROV.Entity) in g
    assert (giri, PROV.wasDerivedFrom, doc) in g
    assert (giri, PROV.generatedAtTime, Literal("2025-01-01T00:00:00Z", datatype=XSD.dateTime)) in g
    assert len(str(g.value(giri, MSCKG.recordSha256))) == 64
    assert str(g.value(giri, MSCKG.loaderVersion)).startswith("msckg.loader.ctgov ")
    assert g.value(giri, MSCKG.sourceFile) == Literal(name)
    assert (doc, RDF.type, MSCKG.RegistryRecordDocument) in g
    assert (doc, MSCKG.reports, ID[f"trial/{nct}"]) in g
    source = json.loads(real(name).read_text())
    for s in set(g.subjects(MSCKG.source, doc)):
        loc = str(g.value(s, MSCKG.locator))
        assert resolve(source, loc) is not None, f"{s}: locator {loc} names nothing in {name}"


def resolve(tree, locator: str):
    """Follow a locator such as a.b[3].c through the JSON; None when it names nothing."""
    node = tree
    for part in locator.split("."):
        name, *idx = part.replace("]", "").split("[")
        if name:
            if not isinstance(node, dict) or name not in node:
                return None
            node = node[name]
        for i in idx:
            if not isinstance(node, list) or int(i) >= len(node):
                return None
            node = node[int(i)]
    return node


# ------------------------------------------------------------------------------------ NCT04431453 values

TRIAL = ID["trial/NCT04431453"]


def test_nct04431453_trial_facts():
    g = loaded("NCT04431453.json").graph
    assert (TRIAL, MSCKG.phase, MSCKG.Phase2_3) in g
    assert (TRIAL, MSCKG.allocation, MSCKG.NonRandomized) in g
    assert (TRIAL, MSCKG.masking, MSCKG.OpenLabel) in g
    assert (TRIAL, MSCKG.status, MSCKG.StatusCompleted) in g
    assert (TRIAL, MSCKG.startDate, Literal("2020-07-21", datatype=XSD.date)) in g
    assert (TRIAL, MSCKG.actualEnrolment, Literal("59", datatype=XSD.nonNegativeInteger)) in g
    assert (TRIAL, MSCKG.sponsor, ID["org/gilead-sciences"]) in g
    reg = g.value(TRIAL, MSCKG.registration)
    assert g.value(reg, MSCKG.registryId) == Literal("NCT04431453")
    assert (reg, RDFS.seeAlso, URIRef("https://clinicaltrials.gov/study/NCT04431453")) in g
    # eligibility: maximumAge "18 Years", no minimum age printed
    assert rows(g, """SELECT ?max ?min WHERE { ?t msckg:eligibility ?e . ?e msckg:maxAgeYears ?max
                      OPTIONAL { ?e msckg:minAgeYears ?min } }""", t=TRIAL) == [(Literal("18", datatype=XSD.decimal), None)]
    assert rows(g, "SELECT ?l WHERE { ?t msckg:condition/rdfs:label ?l }", t=TRIAL) == [(Literal("COVID-19"),)]


def test_nct04431453_arms():
    g = loaded("NCT04431453.json").graph
    arms = rows(g, "SELECT ?a ?l WHERE { ?a msckg:armOf ?t ; a msckg:ExperimentalArm ; rdfs:label ?l } ORDER BY ?a", t=TRIAL)
    assert len(arms) == 8
    assert (ID["trial/NCT04431453/arm/7"], Literal("RDV, Cohort 8: < 12 Years and Weight ≥ 40 kg")) in arms
    # every arm is one of the 8 protocol arm groups: results groups matched them all
    assert len(set(g.subjects(MSCKG.armOf, TRIAL))) == 8
    assert (TRIAL, MSCKG.controlType, MSCKG.NoControl) in g


def test_nct04431453_outcome_value_with_denominator():
    # outcomeMeasures[0] (TEAEs, NUMBER in percentage of participants): OG000 = 91.7 of 12, OG004 = 66.7 of 3
    g = loaded("NCT04431453.json").graph
    q = """SELECT ?pct ?den ?loc WHERE {
             ?r a msckg:ProportionResult ; msckg:outcome ?o ; msckg:arm ?arm ;
                msckg:percent ?pct ; msckg:denominator ?den ; msckg:locator ?loc .
             ?o rdfs:label ?title ; msckg:importance msckg:PrimaryOutcome ; msckg:outcomeOf ?t .
             ?arm rdfs:label ?armLabel }"""
    got = rows(g, q, t=TRIAL, title=Literal("Percentage of Participants With Treatment-Emergent Adverse Events (TEAEs)"),
               armLabel=Literal("Remdesivir (RDV), Cohort 1: Age 12 to <18 Years and Weight ≥40 kg"))
    assert got == [(Literal("91.7", datatype=XSD.decimal), Literal("12", datatype=XSD.nonNegativeInteger),
                    Literal("resultsSection.outcomeMeasuresModule.outcomeMeasures[0].classes[0].categories[0].measurements[0]"))]
    got = rows(g, q, t=TRIAL, title=Literal("Percentage of Participants With Treatment-Emergent Adverse Events (TEAEs)"),
               arm=ID["trial/NCT04431453/arm/4"])
    assert [(str(p), str(d)) for p, d, _ in got] == [("66.7", "3")]
    # cohorts 6 and 7 have no measurement (denominator 0): no result is invented for them
    assert rows(g, "SELECT ?r WHERE { ?r msckg:outcome id:trial\\/NCT04431453\\/outcome\\/0 ; msckg:arm ?a }",
                a=ID["trial/NCT04431453/arm/5"]) == []


def test_nct04431453_mean_with_sd_and_median_without_iqr():
    g = loaded("NCT04431453.json").graph
    # outcomeMeasures[2] Cmax: MEAN with SD, classes = analytes
    got = rows(g, """SELECT ?mean ?sd ?cat WHERE { ?r a msckg:MeanResult ; msckg:outcome ?o ; msckg:arm ?a ;
                     msckg:mean ?mean ; msckg:standardDeviation ?sd ; msckg:category ?cat ; msckg:locator ?loc }""",
               o=ID["trial/NCT04431453/outcome/2"], a=ID["trial/NCT04431453/arm/0"],
               loc=Literal("resultsSection.outcomeMeasuresModule.outcomeMeasures[2].classes[0].categories[0].measurements[0]"))
    source = json.loads(real("NCT04431453.json").read_text())
    m = source["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][2]["classes"][0]["categories"][0]["measurements"][0]
    assert [(str(a), str(b)) for a, b, _ in got] == [(m["value"], m["spread"])]
    # outcomeMeasures[5] time to discharge: MEDIAN with an inter-quartile range msckg cannot hold
    med = rows(g, "SELECT ?r ?u WHERE { ?r a msckg:MedianResult ; msckg:outcome ?o ; msckg:unit ?u }",
               o=ID["trial/NCT04431453/outcome/5"])
    assert med and all(u == URIRef("http://purl.obolibrary.org/obo/UO_0000033") for _, u in med)
    assert not rows(g, "SELECT ?r WHERE { ?r msckg:outcome ?o ; msckg:rangeLow|msckg:ciLower ?x }", o=ID["trial/NCT04431453/outcome/5"])


def test_nct04431453_serious_adverse_events():
    # seriousEvents[0] "Cardiac failure": EG007 (cohort 8) 1 of 5, EG000 (cohort 1) 0 of 12
    g = loaded("NCT04431453.json").graph
    q = """SELECT ?aff ?risk ?ser WHERE { ?n a msckg:AdverseEventCount ; msckg:term ?term ; msckg:serious ?ser ;
             msckg:arm ?arm ; msckg:affected ?aff ; msckg:atRisk ?risk ; msckg:source ?doc }"""
    doc = ID["pub/ctgov-NCT04431453"]
    got = rows(g, q, term=Literal("Cardiac failure"), arm=ID["trial/NCT04431453/arm/7"], doc=doc)
    assert [(str(a), str(r), s.toPython()) for a, r, s in got] == [("1", "5", True)]
    got = rows(g, q, term=Literal("Cardiac failure"), arm=ID["trial/NCT04431453/arm/0"], doc=doc)
    assert [(str(a), str(r)) for a, r, _ in got] == [("0", "12")]
    n = ID["pub/ctgov-NCT04431453/ae/serious/0/eg007"]
    assert g.value(n, MSCKG.locator) == Literal("resultsSection.adverseEventsModule.seriousEvents[0].stats[7]")
    # seriousEvents[9] "Pyrexia" maps to the ontology's fever class through its altLabel
    assert (ID["pub/ctgov-NCT04431453/ae/serious/9/eg000"], MSCKG.eventClass, MSCKG.AE_Fever) in g
    # the group totals: EG000 had 5 of 12 with any serious adverse event, 2 of 12 died
    assert g.value(ID["pub/ctgov-NCT04431453/ae/serious-total/eg000"], MSCKG.affected) == Literal("5", datatype=XSD.nonNegativeInteger)
    assert g.value(ID["pub/ctgov-NCT04431453/ae/deaths-total/eg000"], MSCKG.affected) == Literal("2", datatype=XSD.nonNegativeInteger)
    # one node per group and event row: 28 serious rows x 8 groups
    assert len(rows(g, "SELECT ?n WHERE { ?n msckg:serious true ; msckg:locator ?l FILTER(CONTAINS(?l, 'seriousEvents[')) }")) == 28 * 8


def test_nct04431453_other_adverse_event_and_baseline():
    g = loaded("NCT04431453.json").graph
    src = json.loads(real("NCT04431453.json").read_text())["resultsSection"]
    ev = src["adverseEventsModule"]["otherEvents"][0]
    stat = ev["stats"][0]
    n = ID["pub/ctgov-NCT04431453/ae/other/0/eg000"]
    assert g.value(n, MSCKG["term"]) == Literal(ev["term"])
    assert g.value(n, MSCKG.serious).toPython() is False
    assert str(g.value(n, MSCKG.affected)) == str(stat["numAffected"])
    assert str(g.value(n, MSCKG.atRisk)) == str(stat["numAtRisk"])
    # baseline: overall number of participants per arm (BG000 = 12); the Total column is the overall population
    b = ID["pub/ctgov-NCT04431453/baseline/participants/bg000"]
    assert g.value(b, MSCKG["count"]) == Literal("12", datatype=XSD.nonNegativeInteger)
    assert g.value(b, MSCKG.arm) == ID["trial/NCT04431453/arm/0"]
    total = ID["pub/ctgov-NCT04431453/baseline/participants/bg008"]
    counts = {c["groupId"]: c["value"] for c in src["baselineCharacteristicsModule"]["denoms"][0]["counts"]}
    assert g.value(total, MSCKG.arm) is None
    assert g.value(total, MSCKG.population) == ID["trial/NCT04431453/population/all-reporting-groups"]
    assert str(g.value(total, MSCKG["count"])) == counts["BG008"]


def test_nct04431453_has_no_analyses_so_no_comparisons():
    # the record's outcome measures carry no 'analyses': nothing may be invented
    g = loaded("NCT04431453.json").graph
    assert not rows(g, "SELECT ?c WHERE { ?c msckg:comparatorArm ?a }")


def test_nct04431453_counts_add_up_with_reasons():
    rec = loaded("NCT04431453.json")
    assert rec.records_in == rec.entities_out + rec.rejected
    assert rec.rejected > 0
    notes = [str(n) for n in rec.graph.objects(rec.graph_iri, MSCKG.note)]
    assert any(n.startswith("rejected ") and "'NA'" in n for n in notes)
    assert any("Inter-Quartile Range" in n for n in notes)
    assert any(n.startswith("not read: ") for n in notes)
    total = sum(int(n.split(" ", 2)[1]) for n in notes if n.startswith("rejected "))
    assert total == rec.rejected == sum(r[2] for r in rec.ledger.values())


# ------------------------------------------------------------------------------------ analyses (other records)

def test_analysis_with_95_ci_and_exact_p():
    # NCT03064438 outcomeMeasures[0].analyses[0]: LS mean difference 1.8, 95% CI -2.162 to 5.727, p 0.366
    g = loaded("NCT03064438.json").graph
    got = rows(g, """SELECT ?est ?lo ?hi ?p ?se ?test ?exp ?cmp WHERE {
                       ?c a msckg:MeanDifference ; msckg:locator ?loc ; msckg:estimate ?est ; msckg:ciLower ?lo ;
                          msckg:ciUpper ?hi ; msckg:pValue ?p ; msckg:standardError ?se ; msckg:statisticalTest ?test ;
                          msckg:experimentalArm/rdfs:label ?exp ; msckg:comparatorArm/rdfs:label ?cmp
                       FILTER NOT EXISTS { ?c msckg:pValueBound ?b } }""",
               loc=Literal("resultsSection.outcomeMeasuresModule.outcomeMeasures[0].analyses[0]"))
    assert [tuple(str(x) for x in r) for r in got] == [
        ("1.8", "-2.162", "5.727", "0.366", "1.95", "t-test, 2 sided", "ACU-D1 Ointment", "ACU-D1 Ointment Vehicle")]


def test_analysis_p_bound_and_90_ci_not_written_as_95():
    # NCT02210780 outcomeMeasures[3].analyses[0]: percentage difference 34.0, 90% CI, p <0.0001
    g = loaded("NCT02210780.json").graph
    c = ID["pub/ctgov-NCT02210780/comparison/3/0"]
    assert (c, RDF.type, MSCKG.RiskDifference) in g
    assert g.value(c, MSCKG.estimate) == Literal("34.0", datatype=XSD.decimal)
    assert g.value(c, MSCKG.pValue) == Literal("0.0001", datatype=XSD.decimal)
    assert g.value(c, MSCKG.pValueBound) == Literal("<")
    # a 90% interval is kept with its level, never as the 95% CI
    an = json.loads(real("NCT02210780.json").read_text())["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][3]["analyses"][0]
    assert g.value(c, MSCKG.ciLower) is None and g.value(c, MSCKG.ciUpper) is None
    assert [str(g.value(c, MSCKG[p])) for p in ("intervalLower", "intervalUpper", "intervalLevel")] == \
        [an["ciLowerLimit"], an["ciUpperLimit"], an["ciPctValue"]]
    assert g.value(c, MSCKG.intervalSides) == Literal("two-sided")
    assert g.value(c, MSCKG.hypothesisType) == MSCKG.SuperiorityHypothesis
    assert g.value(c, MSCKG.parameterType) == Literal(an["paramType"])
    # both arm groups are registered as EXPERIMENTAL: the direction comes from estimateComment
    # "Dupilumab 300 mg qw vs. Placebo qw"
    assert g.value(c, MSCKG.experimentalArm) == ID["trial/NCT02210780/arm/1"]
    assert g.value(g.value(c, MSCKG.comparatorArm), RDFS.label) == Literal("Placebo qw")
    assert Literal("direction read from estimateComment") in set(g.objects(c, MSCKG.note))


# ------------------------------------------------------------------------------------ trimmed records

def test_trimmed_record_loads_what_it_has():
    rec = loaded("NCT00465816.json")
    g = rec.graph
    t = ID["trial/NCT00465816"]
    assert g.value(t, RDFS.label) == Literal("Primary Study to Demonstrate...")
    assert g.value(t, MSCKG.registration) is not None
    assert g.value(t, MSCKG.phase) is None and g.value(t, MSCKG.status) is None
    assert rec.records_in == rec.entities_out + rec.rejected


def test_single_study_envelope_is_unwrapped():
    # NCT03281889.json is an API search response: {"studies": [ <one study> ]}
    rec = loaded("NCT03281889.json")
    assert rec.graph_iri == URIRef("https://w3id.org/msckg/graph/ctgov/NCT03281889")
    locs = [str(o) for o in rec.graph.objects(None, MSCKG.locator)]
    assert locs and all(loc.startswith("studies[0].") for loc in locs)


# ------------------------------------------------------------------------------------ bad input

MINIMAL = {"protocolSection": {"identificationModule": {"nctId": "NCT01234567", "briefTitle": "A trial"}}}


def write(tmp_path: Path, text: str, name: str = "record.json") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_minimal_record(tmp_path):
    rec = ctgov_to_graph(write(tmp_path, json.dumps(MINIMAL)))
    assert (rec.records_in, rec.entities_out, rec.rejected) == (1, 1, 0)
    assert (ID["trial/NCT01234567"], RDFS.label, Literal("A trial")) in rec.graph


def test_malformed_json_names_line_and_column(tmp_path):
    p = write(tmp_path, '{\n  "protocolSection": {\n    "identificationModule": {"nctId": "NCT01234567",}\n  }\n}\n')
    with pytest.raises(SourceError) as exc:
        ctgov_to_graph(p)
    (problem,) = exc.value.problems
    assert (problem.line, problem.column) == (3, 53)  # the '}' where a property name was expected
    assert f"{p}:3:53" in str(exc.value) and "malformed JSON" in str(exc.value)


def test_truncated_json(tmp_path):
    p = write(tmp_path, '{"protocolSection": {"identificationModule": {"nctId": "NCT01234567"')
    with pytest.raises(SourceError) as exc:
        ctgov_to_graph(p)
    assert exc.value.problems[0].line == 1 and "ends in the middle of the JSON" in str(exc.value)


def test_duplicate_json_key_is_refused(tmp_path):
    p = write(tmp_path, '{"protocolSection": {"identificationModule": {"nctId": "NCT01234567", "nctId": "NCT07654321"}}}')
    with pytest.raises(SourceError) as exc:
        ctgov_to_graph(p)
    assert "duplicate key 'nctId'" in str(exc.value)


@pytest.mark.parametrize("tree, missing", [
    ({"protocolSection": {"identificationModule": {"briefTitle": "No ID"}}}, "protocolSection.identificationModule.nctId"),
    ({"protocolSection": {"statusModule": {}}}, "protocolSection.identificationModule"),
    ({"hasResults": False}, "protocolSection"),
])
def test_missing_nct_id(tmp_path, tree, missing):
    p = write(tmp_path, json.dumps(tree))
    with pytest.raises(SourceError) as exc:
        ctgov_to_graph(p)
    (problem,) = exc.value.problems
    assert problem.field == "protocolSection.identificationModule.nctId"
    assert f"no {missing}" in problem.message and str(p) in str(exc.value)


@pytest.mark.parametrize("nct", ["NCT1234567", "nct01234567", "NCT012345678", "ChiCTR2000035740", 1234567])
def test_bad_nct_id(tmp_path, nct):
    tree = {"protocolSection": {"identificationModule": {"nctId": nct}}}
    p = write(tmp_path, json.dumps(tree, indent=2))
    with pytest.raises(SourceError) as exc:
        ctgov_to_graph(p)
    (problem,) = exc.value.problems
    assert problem.field == "protocolSection.identificationModule.nctId"
    assert "malformed NCT ID" in problem.message and "NCT followed by 8 digits" in problem.message
    assert (problem.line, problem.column) == (4, 7)


def test_not_a_study_record(tmp_path):
    for text in ("[]", '"NCT01234567"', '{"studies": []}'):
        with pytest.raises(SourceError):
            ctgov_to_graph(write(tmp_path, text))


def test_unmappable_values_are_counted_not_fatal(tmp_path):
    tree = json.loads(json.dumps(MINIMAL))
    tree["protocolSection"]["armsInterventionsModule"] = {"armGroups": [
        {"label": "MSC", "type": "EXPERIMENTAL"}, {"label": "Control", "type": "NO_INTERVENTION"}]}
    # codes the registry might add later: not in msckg's vocabularies, so noted and skipped
    tree["protocolSection"]["designModule"] = {"phases": ["PHASE5"], "designInfo": {"maskingInfo": {"masking": "OCTUPLE"}}}
    tree["protocolSection"]["eligibilityModule"] = {"minimumAge": "2 Weeks", "maximumAge": "6 Months"}
    tree["resultsSection"] = {"adverseEventsModule": {
        "eventGroups": [{"id": "EG000", "title": "MSC"}, {"id": "EG001", "title": "Control"}],
        "seriousEvents": [{"term": "Pyrexia", "stats": [{"groupId": "EG000", "numAffected": 1, "numAtRisk": 10},
                                                       {"groupId": "EG001", "numAffected": "one", "numAtRisk": 10},
                                                       {"groupId": "EG009", "numAffected": 0, "numAtRisk": 10}]}]}}
    rec = ctgov_to_graph(write(tmp_path, json.dumps(tree)))
    g = rec.graph
    assert rec.records_in == rec.entities_out + rec.rejected
    assert rec.rejected == 2
    assert g.value(ID["trial/NCT01234567"], MSCKG.phase) is None
    elig = g.value(ID["trial/NCT01234567"], MSCKG.eligibility)
    assert g.value(elig, MSCKG.maxAgeMonths) == Literal("6", datatype=XSD.decimal)  # as printed, not 0.5 years
    assert g.value(elig, MSCKG.maxAgeYears) is None and g.value(elig, MSCKG.minAgeYears) is None
    notes = " | ".join(str(n) for n in g.objects(rec.graph_iri, MSCKG.note))
    assert "PHASE5" in notes and "OCTUPLE" in notes and "2 Weeks" in notes and "EG009" in notes
    assert (ID["trial/NCT01234567/arm/1"], RDF.type, MSCKG.ControlArm) in g


def test_registry_codes_map_to_controlled_values(tmp_path):
    tree = json.loads(json.dumps(MINIMAL))
    tree["protocolSection"]["designModule"] = {"phases": ["EARLY_PHASE1"], "designInfo": {"maskingInfo": {"masking": "TRIPLE"}}}
    tree["protocolSection"]["statusModule"] = {"overallStatus": "WITHDRAWN"}
    tree["protocolSection"]["sponsorCollaboratorsModule"] = {"leadSponsor": {"name": "Lead Org", "class": "OTHER"},
                                                           "collaborators": [{"name": "Helper Org", "class": "INDUSTRY"}]}
    g = ctgov_to_graph(write(tmp_path, json.dumps(tree))).graph
    t = ID["trial/NCT01234567"]
    assert g.value(t, MSCKG.phase) == MSCKG.EarlyPhase1
    assert g.value(t, MSCKG.masking) == MSCKG.TripleBlind
    assert g.value(t, MSCKG.status) == MSCKG.StatusWithdrawn
    assert g.value(t, MSCKG.collaborator) == ID["org/helper-org"]
    assert g.value(t, MSCKG.sponsor) == ID["org/lead-org"]


# ------------------------------------------------------------------------------------ hand-made fixture

FIXTURE = ROOT / "tests" / "shapes" / "valid" / "ctgov-NCT04431453.ttl"


def test_hand_made_fixture_conforms_to_shapes():
    from pyshacl import validate

    data = Graph().parse(FIXTURE, format="turtle")
    assert not [t for tr in data for t in tr if isinstance(t, BNode)]
    for t in ontology():
        data.add(t)
    conforms, _, text = validate(data, shacl_graph=shapes(), inference="none", advanced=True, allow_warnings=True)
    assert conforms, text[:4000]


def test_hand_made_fixture_matches_the_real_record():
    """Every value in the fixture is the one its locator points at in the real JSON."""
    g = Graph().parse(FIXTURE, format="turtle")
    source = json.loads(real("NCT04431453.json").read_text())
    checked = 0
    for n in g.subjects(RDF.type, MSCKG.AdverseEventCount):
        loc = str(g.value(n, MSCKG.locator))
        node = resolve(source, loc.rsplit(".", 1)[0] if loc.endswith("NumAffected") else loc)
        if loc.endswith("seriousNumAffected"):
            want = (node["seriousNumAffected"], node["seriousNumAtRisk"])
        else:
            want = (node["numAffected"], node["numAtRisk"])
            parent = resolve(source, loc.rsplit(".", 1)[0])
            assert g.value(n, MSCKG["term"]) == Literal(parent["term"])
        assert (str(g.value(n, MSCKG.affected)), str(g.value(n, MSCKG.atRisk))) == tuple(str(x) for x in want), loc
        checked += 1
    om = source["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]
    denoms = {c["groupId"]: c["value"] for c in om["denoms"][0]["counts"]}
    for r in g.subjects(RDF.type, MSCKG.ProportionResult):
        meas = resolve(source, str(g.value(r, MSCKG.locator)))
        printed = str(g.value(r, MSCKG.asPrinted) or f"percent={g.value(r, MSCKG.percent)}").split("=", 1)[1]
        assert printed == meas["value"]
        assert str(g.value(r, MSCKG.denominator)) == denoms[meas["groupId"]]
        checked += 1
    assert checked == 7 + 6
    # the loader writes the same values at the same IRIs (results, adverse events, eligibility)
    loader_graph = loaded("NCT04431453.json").graph
    nodes = set(g.subjects(RDF.type, MSCKG.ProportionResult)) | set(g.subjects(RDF.type, MSCKG.AdverseEventCount))
    for r in nodes | {ID["pub/ctgov-NCT04431453/eligibility"]}:
        for p in (MSCKG.percent, MSCKG.denominator, MSCKG.affected, MSCKG.atRisk, MSCKG.arm, MSCKG.locator,
                  MSCKG.eventClass, MSCKG.relatedness, MSCKG.maxAgeYears, MSCKG.serious, MSCKG["term"], MSCKG.category):
            if p == MSCKG.eventClass and g.value(r, p) is None:
                continue  # the ontology may since have gained a class for the term
            assert g.value(r, p) == loader_graph.value(r, p), (r, p)


def test_results_groups_arms_totals_and_direction(tmp_path):
    tree = json.loads(json.dumps(MINIMAL))
    tree["protocolSection"]["designModule"] = {"designInfo": {"allocation": "RANDOMIZED"}}
    tree["protocolSection"]["armsInterventionsModule"] = {
        "armGroups": [{"label": "1. UC-MSC", "type": "EXPERIMENTAL"}, {"label": "Placebo", "type": "PLACEBO_COMPARATOR"}],
        "interventions": [{"type": "BIOLOGICAL", "name": "Umbilical cord mesenchymal stem cells", "armGroupLabels": ["1. UC-MSC"]},
                          {"type": "DRUG", "name": "Placebo", "armGroupLabels": ["Placebo"]}]}
    tree["resultsSection"] = {
        "outcomeMeasuresModule": {"outcomeMeasures": [{
            "type": "PRIMARY", "title": "Overall response", "paramType": "COUNT_OF_PARTICIPANTS", "unitOfMeasure": "Participants",
            "groups": [{"id": "OG000", "title": "UC-MSC"}, {"id": "OG001", "title": "Placebo"}, {"id": "OG002", "title": "Pooled"}],
            "denoms": [{"units": "Participants", "counts": [{"groupId": "OG000", "value": "20"}, {"groupId": "OG001", "value": "21"},
                                                           {"groupId": "OG002", "value": "41"}]}],
            "classes": [{"categories": [{"measurements": [{"groupId": "OG000", "value": "12"}, {"groupId": "OG001", "value": "7"},
                                                          {"groupId": "OG002", "value": "19"}]}]}],
            "analyses": [{"groupIds": ["OG001", "OG000"], "paramType": "Odds Ratio (OR)", "paramValue": "3.00",
                          "ciPctValue": "95", "ciNumSides": "TWO_SIDED", "ciLowerLimit": "0.84", "ciUpperLimit": "10.7",
                          "pValue": "0.09", "statisticalMethod": "Chi-squared"},
                         {"groupIds": ["OG000", "OG001", "OG002"], "pValue": "0.5"}]}]},
        "adverseEventsModule": {
            "eventGroups": [{"id": "EG000", "title": "UC-MSC"}, {"id": "EG001", "title": "Total"}],
            "seriousEvents": [{"term": "Haemorrhage", "stats": [{"groupId": "EG000", "numAffected": 1, "numAtRisk": 20, "numEvents": 2},
                                                               {"groupId": "EG001", "numAffected": 1, "numAtRisk": 41}]}]}}
    rec = ctgov_to_graph(write(tmp_path, json.dumps(tree)))
    g, t = rec.graph, "trial/NCT01234567"
    assert rec.records_in == rec.entities_out + rec.rejected and rec.rejected == 1  # the 3-group analysis
    # "UC-MSC" is arm group "1. UC-MSC" once its list number is set aside; "Pooled" becomes an arm of its own
    assert g.value(ID["pub/ctgov-NCT01234567/result/0/0/0/og000"], MSCKG.arm) == ID[f"{t}/arm/0"]
    pooled = ID[f"{t}/arm/group-pooled"]
    assert g.value(ID["pub/ctgov-NCT01234567/result/0/0/0/og002"], MSCKG.arm) == pooled
    assert (pooled, RDF.type, MSCKG.Arm) in g and (pooled, MSCKG.armOf, ID[t]) in g
    # the odds ratio: experimental = the EXPERIMENTAL arm whatever the groupIds order; 95% CI written
    c = ID["pub/ctgov-NCT01234567/comparison/0/0"]
    assert (c, RDF.type, MSCKG.OddsRatio) in g
    assert (g.value(c, MSCKG.experimentalArm), g.value(c, MSCKG.comparatorArm)) == (ID[f"{t}/arm/0"], ID[f"{t}/arm/1"])
    assert [str(g.value(c, MSCKG[p])) for p in ("estimate", "ciLower", "ciUpper", "pValue")] == ["3.00", "0.84", "10.7", "0.09"]
    assert g.value(c, MSCKG.asPrinted) == Literal("estimate=3.00")
    # adverse events: the Total column is the overall population, not an arm; numEvents is kept
    ae = ID["pub/ctgov-NCT01234567/ae/serious/0/eg000"]
    assert g.value(ae, MSCKG.events) == Literal("2", datatype=XSD.nonNegativeInteger)
    assert g.value(ae, MSCKG.eventClass) == MSCKG.AE_Haemorrhage
    total = ID["pub/ctgov-NCT01234567/ae/serious/0/eg001"]
    assert g.value(total, MSCKG.arm) is None
    assert g.value(total, MSCKG.population) == ID[f"{t}/population/all-reporting-groups"]
    # interventions: a cell therapy and a placebo, one regimen per arm
    assert (ID[f"{t}/intervention/0"], RDF.type, MSCKG.CellTherapy) in g
    assert (ID[f"{t}/intervention/1"], RDF.type, MSCKG.Placebo) in g
    assert g.value(g.value(ID[f"{t}/arm/0"], MSCKG.regimen), MSCKG.intervention) == ID[f"{t}/intervention/0"]
    assert (ID[t], MSCKG.controlType, MSCKG.PlaceboControl) in g
