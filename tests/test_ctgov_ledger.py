"""Nothing dropped without a line: items in the JSON = entities out + rejected, per kind, counted here from the JSON
independently of the loader, for every real record in ../shared/ctgov/v2 and every fixture; and every path the
loader did not map is listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msckg.loader.ctgov import ctgov_to_graph

from .conftest import SHARED

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ctgov"
REAL_DIR = SHARED / "ctgov" / "v2"
REAL = sorted(REAL_DIR.glob("*.json")) if REAL_DIR.is_dir() else []
FIXTURE_RECORDS = sorted(FIXTURES.glob("NCT9*.json"))


def _n(x) -> int:
    return len(x) if isinstance(x, list) else 0


def _measurements(measure: dict) -> int:
    return sum(_n(cat.get("measurements")) for cl in measure.get("classes", []) for cat in cl.get("categories", []))


def json_items(study: dict) -> dict[str, int]:
    """The items of each ledger kind in one study, as docs/ctgov.md defines them."""
    ps, rs = study.get("protocolSection", {}), study.get("resultsSection", {})
    ident, aim = ps.get("identificationModule", {}), ps.get("armsInterventionsModule", {})
    sc, om = ps.get("sponsorCollaboratorsModule", {}), ps.get("outcomesModule", {})
    flow, base = rs.get("participantFlowModule", {}), rs.get("baselineCharacteristicsModule", {})
    oms, ae = rs.get("outcomeMeasuresModule", {}).get("outcomeMeasures", []), rs.get("adverseEventsModule", {})
    totals = sum(1 for g in ae.get("eventGroups", []) for f in ("deaths", "serious", "other")
                 if f"{f}NumAffected" in g or f"{f}NumAtRisk" in g)
    items = {
        "study": 1,
        "secondary ID": _n(ident.get("secondaryIdInfos")),
        "condition": _n(ps.get("conditionsModule", {}).get("conditions")),
        "organisation": (1 if sc.get("leadSponsor") else 0) + _n(sc.get("collaborators")),
        "arm group": _n(aim.get("armGroups")),
        "intervention": _n(aim.get("interventions")),
        "eligibility": 1 if isinstance(ps.get("eligibilityModule"), dict) else 0,
        "protocol outcome": sum(_n(om.get(k)) for k in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes")),
        "reference": _n(ps.get("referencesModule", {}).get("references")),
        "location": _n(ps.get("contactsLocationsModule", {}).get("locations")),
        "results group": _n(flow.get("groups")) + _n(base.get("groups")) + _n(ae.get("eventGroups")) + sum(_n(m.get("groups")) for m in oms),
        "outcome measure": len(oms),
        "outcome value": sum(_measurements(m) for m in oms),
        "analysis": sum(_n(m.get("analyses")) for m in oms),
        "baseline value": (_n(base["denoms"][0].get("counts")) if base.get("denoms") else 0) + sum(_measurements(m) for m in base.get("measures", [])),
        "adverse-event count": sum(_n(e.get("stats")) for k in ("seriousEvents", "otherEvents") for e in ae.get(k, [])) + totals,
        "flow count": sum(_n(m.get("achievements")) for p in flow.get("periods", []) for m in p.get("milestones", []))
        + sum(_n(d.get("reasons")) for p in flow.get("periods", []) for d in p.get("dropWithdraws", [])),
    }
    return {k: v for k, v in items.items() if v}


def _study(path: Path) -> dict:
    tree = json.loads(path.read_text(encoding="utf-8"))
    return tree["studies"][0] if "studies" in tree and "protocolSection" not in tree else tree


@pytest.mark.parametrize("path", REAL or [None], ids=lambda p: p.name if p else "absent")
def test_ledger_of_every_real_record(path):
    if path is None:
        pytest.skip(f"{REAL_DIR} is absent: the real ClinicalTrials.gov records in ../shared are not beside this checkout")
    _check_ledger(path)


@pytest.mark.parametrize("path", FIXTURE_RECORDS, ids=lambda p: p.name)
def test_ledger_of_every_fixture(path):
    _check_ledger(path)


def _check_ledger(path: Path) -> None:
    rec = ctgov_to_graph(path)
    expected = json_items(_study(path))
    got = {k: v[0] for k, v in rec.ledger.items() if v[0]}
    assert got == expected
    for kind, (n_in, n_out, n_rej) in rec.ledger.items():
        assert n_in == n_out + n_rej, kind
    assert rec.records_in == rec.entities_out + rec.rejected == sum(expected.values())
    assert rec.rejected == len(rec.rejected_items) == sum(v[2] for v in rec.ledger.values())


def test_every_leaf_of_a_record_is_mapped_or_listed(tmp_path):
    """Paths the loader never read plus paths it read and did not write account for every leaf it did not map;
    a key added to a record appears in the list with its path."""
    path = FIXTURES / "NCT90000002-total-and-dose-groups.json"
    rec = ctgov_to_graph(path)
    unmapped = rec.unmapped()
    assert unmapped["_fixture"] == 1
    assert "protocolSection.identificationModule.nctId" not in unmapped
    tree = json.loads(path.read_text())
    tree["protocolSection"]["oversightModule"] = {"oversightHasDmc": True, "isFdaRegulatedDrug": False}
    tree["resultsSection"]["adverseEventsModule"]["seriousEvents"][0]["assessmentType"] = "SYSTEMATIC_ASSESSMENT"
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps(tree))
    more = ctgov_to_graph(extra).unmapped()
    assert more["protocolSection.oversightModule.oversightHasDmc"] == 1
    assert more["protocolSection.oversightModule.isFdaRegulatedDrug"] == 1
    assert more["resultsSection.adverseEventsModule.seriousEvents[].assessmentType"] == 1
    assert {k: v for k, v in more.items() if k not in unmapped} == {
        "protocolSection.oversightModule.oversightHasDmc": 1, "protocolSection.oversightModule.isFdaRegulatedDrug": 1,
        "resultsSection.adverseEventsModule.seriousEvents[].assessmentType": 1}


def test_values_read_and_not_written_are_listed_with_the_reason():
    rec = ctgov_to_graph(FIXTURES / "NCT90000003-two-doses-one-arm.json")
    assert rec.unmapped()["resultsSection.outcomeMeasuresModule.outcomeMeasures[].unitOfMeasure"] == 0  # 10^9/L has a UCUM code
    rec = ctgov_to_graph(FIXTURES / "NCT90000006-observational.json")
    reasons = dict(rec.dropped)
    assert "free text" in reasons["protocolSection.eligibilityModule.studyPopulation"]
