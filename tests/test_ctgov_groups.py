"""Results groups are matched to protocol arms by the documented rule (loader/ctgov_groups.py), never by substring:
one fixture per case of issue 13, and the arm-count rule on every fixture and every real record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Literal
from rdflib.namespace import XSD

from msckg.loader.ctgov import ctgov_to_graph
from msckg.loader.ctgov_groups import read_group_arms
from msckg.loader.errors import SourceError
from msckg.loader.schema import ID, MSCKG

from .conftest import SHARED

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ctgov"
RECORDS = sorted(FIXTURES.glob("NCT9*.json"))
REAL = sorted((SHARED / "ctgov" / "v2").glob("*.json"))


def arms_of(g, nct: str) -> dict:
    return {a: str(g.value(a, RDFS.label)) for a in g.subjects(MSCKG.armOf, ID[f"trial/{nct}"])}


def subject_of(g, locator: str):
    (s,) = list(g.subjects(MSCKG.locator, Literal(locator)))
    return s


def test_extended_title_is_an_arm_of_its_own_in_every_module():
    """'Placebo->OL Zetamab (SS)' extends the placebo arm's title: it is never the placebo arm."""
    rec = ctgov_to_graph(FIXTURES / "NCT90000001-placebo-to-open-label.json")
    g = rec.graph
    arms = arms_of(g, "NCT90000001")
    assert sorted(arms.values()) == ["Placebo", "Placebo->OL Zetamab (SS)", "Zetamab"]
    own = next(a for a, lab in arms.items() if lab.startswith("Placebo->"))
    assert own == ID["trial/NCT90000001/arm/group-placebo-ol-zetamab-ss"]
    assert any("is an arm of its own" in str(n) for n in g.objects(own, MSCKG.note))
    # the open-label drug's plasma level is on the group's own arm, not on the placebo arm
    r = subject_of(g, "resultsSection.outcomeMeasuresModule.outcomeMeasures[0].classes[0].categories[0].measurements[2]")
    assert g.value(r, MSCKG.arm) == own and g.value(r, MSCKG.mean) == Literal("38.5", datatype=XSD.decimal)
    placebo = ID["trial/NCT90000001/arm/0"]
    assert not [x for x in g.subjects(MSCKG.arm, placebo) if g.value(x, MSCKG.mean) == Literal("38.5", datatype=XSD.decimal)]
    # the same group in the adverse-event module is the same arm (one arm per title in the whole record)
    ae = subject_of(g, "resultsSection.adverseEventsModule.seriousEvents[0].stats[1]")
    assert g.value(ae, MSCKG.arm) == own
    # its regimens: the two interventions its title names
    named = {g.value(reg, MSCKG.intervention) for reg in g.objects(own, MSCKG.regimen)}
    assert named == {ID["trial/NCT90000001/intervention/0"], ID["trial/NCT90000001/intervention/1"]}
    # the build report lists the group in both modules
    assert [(p.split(".")[1], t) for p, _, t, _ in rec.unmatched_groups] == [
        ("outcomeMeasuresModule", "Placebo->OL Zetamab (SS)"), ("adverseEventsModule", "Placebo->OL Zetamab (SS)")]


def test_total_column_is_the_overall_population_never_an_arm():
    g = ctgov_to_graph(FIXTURES / "NCT90000002-total-and-dose-groups.json").graph
    assert not [a for a, lab in arms_of(g, "NCT90000002").items() if "total" in lab.casefold()]
    pop = ID["trial/NCT90000002/population/all-reporting-groups"]
    assert (pop, RDF.type, MSCKG.AnalysisPopulation) in g and g.value(pop, MSCKG.populationType) == MSCKG.AllReportingGroups
    src = json.loads((FIXTURES / "NCT90000002-total-and-dose-groups.json").read_text())["resultsSection"]["baselineCharacteristicsModule"]
    total = subject_of(g, "resultsSection.baselineCharacteristicsModule.denoms[0].counts[2]")
    assert g.value(total, MSCKG.population) == pop and g.value(total, MSCKG.arm) is None
    assert str(g.value(total, MSCKG["count"])) == src["denoms"][0]["counts"][2]["value"]
    age = subject_of(g, "resultsSection.baselineCharacteristicsModule.measures[0].classes[0].categories[0].measurements[2]")
    assert g.value(age, MSCKG.population) == pop


def test_groups_named_by_dose_match_the_arm_of_the_drug_they_name():
    rec = ctgov_to_graph(FIXTURES / "NCT90000002-total-and-dose-groups.json")
    g = rec.graph
    assert len(arms_of(g, "NCT90000002")) == 2 and rec.own_arms == 0 and rec.unmatched_groups == []
    drug_arm, placebo_arm = ID["trial/NCT90000002/arm/0"], ID["trial/NCT90000002/arm/1"]
    for loc, arm in (("resultsSection.outcomeMeasuresModule.outcomeMeasures[0].classes[0].categories[0].measurements[0]", drug_arm),
                     ("resultsSection.outcomeMeasuresModule.outcomeMeasures[0].classes[0].categories[0].measurements[1]", placebo_arm),
                     ("resultsSection.adverseEventsModule.seriousEvents[0].stats[0]", drug_arm),
                     ("resultsSection.participantFlowModule.periods[0].milestones[0].achievements[0]", drug_arm),
                     ("resultsSection.baselineCharacteristicsModule.denoms[0].counts[0]", drug_arm)):
        assert g.value(subject_of(g, loc), MSCKG.arm) == arm, loc
    # the only arm linked to the drug now has its results
    assert list(g.subjects(MSCKG.arm, drug_arm))


def test_two_groups_of_one_module_reaching_one_arm_become_arms_of_their_own():
    rec = ctgov_to_graph(FIXTURES / "NCT90000003-two-doses-one-arm.json")
    g = rec.graph
    arms = arms_of(g, "NCT90000003")
    assert len(arms) == 2 + 3 == rec.arm_groups + rec.own_arms
    dose = ID["trial/NCT90000003/arm/group-zetamab-200-mg-q2w"]
    assert "all reach arm group 'Zetamab'" in " ".join(str(n) for n in g.objects(dose, MSCKG.note))
    assert {g.value(r, MSCKG.intervention) for r in g.objects(dose, MSCKG.regimen)} == {ID["trial/NCT90000003/intervention/0"]}
    # "Placebo" still matches its arm; the cohort named by no intervention has no regimen
    placebo = subject_of(g, "resultsSection.outcomeMeasuresModule.outcomeMeasures[0].classes[0].categories[0].measurements[2]")
    assert g.value(placebo, MSCKG.arm) == ID["trial/NCT90000003/arm/1"]
    assert not list(g.objects(ID["trial/NCT90000003/arm/group-early-discontinuation-cohort"], MSCKG.regimen))


def test_a_reviewed_row_names_the_arm_and_an_unreviewed_row_is_not_applied():
    path = FIXTURES / "NCT90000004-reviewed-group.json"
    without = ctgov_to_graph(path)
    assert without.own_arms == 2
    table = read_group_arms(FIXTURES / "group-arms.tsv")
    assert list(table["NCT90000004"]) == ["earlyinterventionnumberofclinics"]  # the row without reviewer_id is not read
    rec = ctgov_to_graph(path, group_arms=table)
    g = rec.graph
    early = subject_of(g, "resultsSection.participantFlowModule.periods[0].milestones[0].achievements[0]")
    assert g.value(early, MSCKG.arm) == ID["trial/NCT90000004/arm/0"]
    assert g.value(early, MSCKG.unitCount) == Literal("6", datatype=XSD.nonNegativeInteger)
    assert g.value(early, MSCKG.unitAnalyzed) == Literal("Clinics")
    assert rec.own_arms == 1 and [t for _, _, t, _ in rec.unmatched_groups] == ["Late Intervention Number of Clinics"]


def test_a_reviewed_row_naming_no_arm_is_an_error_naming_the_table_row(tmp_path):
    table = tmp_path / "group-arms.tsv"
    table.write_text("nct_id\tgroup_title\tarm_label\treviewer_id\nNCT90000004\tEarly Intervention Number of Clinics\tEarly arm\tme\n")
    with pytest.raises(SourceError) as exc:
        ctgov_to_graph(FIXTURES / "NCT90000004-reviewed-group.json", group_arms=read_group_arms(table))
    (p,) = exc.value.problems
    assert (p.file, p.line, p.field) == (str(table), 2, "arm_label") and "'Early arm'" in p.message


@pytest.mark.parametrize("path", RECORDS + REAL, ids=lambda p: p.name)
def test_arm_count_is_arm_groups_plus_unmatched_groups(path):
    if not path.exists():
        pytest.skip(f"{path} is absent")
    rec = ctgov_to_graph(path)
    study = json.loads(path.read_text())
    study = study["studies"][0] if "studies" in study else study
    labelled = [a for a in study.get("protocolSection", {}).get("armsInterventionsModule", {}).get("armGroups", []) if a.get("label")]
    titles = {t for _, _, t, _ in rec.unmatched_groups}
    assert len(arms_of(rec.graph, rec.nct)) == len(labelled) + rec.own_arms
    assert rec.own_arms == len(titles)  # one arm per unmatched title in the whole record


def test_real_records_unmatched_groups():
    """Of the real records, only NCT02299791's participant-flow groups (titled with a column heading, both arms given
    the same intervention) match no arm; NCT00763412's 'Patients Who Received Placebo' is matched by the intervention
    it names."""
    folder = SHARED / "ctgov" / "v2"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the real ClinicalTrials.gov records in ../shared are not beside this checkout")
    unmatched = {}
    for path in REAL:
        rec = ctgov_to_graph(path)
        if rec.unmatched_groups:
            unmatched[rec.nct] = [p.split(".")[1] for p, *_ in rec.unmatched_groups]
    assert unmatched == {"NCT02299791": ["participantFlowModule", "participantFlowModule"]}
    g = ctgov_to_graph(folder / "NCT00763412.json").graph
    bg = json.loads((folder / "NCT00763412.json").read_text())["resultsSection"]["baselineCharacteristicsModule"]["groups"]
    assert bg[0]["title"] == "Patients Who Received Placebo"
    node = subject_of(g, "resultsSection.baselineCharacteristicsModule.denoms[0].counts[0]")
    assert g.value(g.value(node, MSCKG.arm), RDFS.label) == Literal("1 Placebo")
