"""Same trial, several sources: a registry record and the curated records of one seed trial meet on one trial node,
stay in separate named graphs, correspond arm by arm through msckg:registryArmLabel, and source-conflicts shows where
they disagree. The registry record is written by hand for these tests (its values are not facts about the trial)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from msckg.graph.build.run import BuildFailed, build
from msckg.graph.paths import DATA
from msckg.graph.query.saved import run_saved, saved_queries
from msckg.graph.store.embedded import EmbeddedStore

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "ctgov" / "NCT04014166-written-for-tests.json"
TRIAL = "https://w3id.org/msckg/id/trial/NCT04014166"
ARM = "https://w3id.org/msckg/id/trial/NCT04014166/arm/all-uc-msc"


def seed_data_naming_the_registry_arm(tmp_path: Path, label: str = "UC-MSC") -> Path:
    """A copy of data/ whose single-arm entity names the registry arm it is."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    f = data / "entities" / "trial-nct04014166.yaml"
    text = f.read_text(encoding="utf-8")
    anchor = "    label: UC-MSCs, all dose cohorts (the study's single arm)\n"
    assert anchor in text
    f.write_text(text.replace(anchor, anchor + f"    registryArmLabel: {label}\n"), encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sources")
    store = tmp / "store"
    res = build(store, data=seed_data_naming_the_registry_arm(tmp), extra_sources=[FIXTURE])
    return EmbeddedStore(store), res


def test_one_trial_node_in_separate_named_graphs(both):
    store, _ = both
    rows = store.select(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{TRIAL}> ?p ?o }} }}").rows
    graphs = {str(r[0]) for r in rows}
    assert "https://w3id.org/msckg/graph/ctgov/NCT04014166" in graphs
    assert "https://w3id.org/msckg/graph/entities/trial-nct04014166" in graphs
    # the registry's arm is its own node; the curated arm names it
    label = store.select(f"SELECT ?l WHERE {{ <{ARM}> <https://w3id.org/msckg/registryArmLabel> ?l }}").rows
    assert [str(r[0]) for r in label] == ["UC-MSC"]


def test_source_conflicts_shows_registry_against_curated(both):
    store, _ = both
    rows = run_saved(store, saved_queries()["source-conflicts"])
    got = [dict(zip(rows.variables, (None if v is None else str(v) for v in r))) for r in rows.rows]
    mine = {(r["quantity"], r["value_a"], r["value_b"]) for r in got if r["kind"] == "registry and curated differ"}
    reg = json.loads(FIXTURE.read_text())
    enrolled = str(reg["protocolSection"]["designModule"]["enrollmentInfo"]["count"])
    start = reg["protocolSection"]["statusModule"]["startDateStruct"]["date"]
    ae = reg["resultsSection"]["adverseEventsModule"]
    assert ("trial: actual enrolment", "18", enrolled) in mine
    assert ("trial: start date", "2019-11", start) in mine
    assert any(q.startswith("arm size: UC-MSCs, all dose cohorts") and (a, b) == ("18", "20") for q, a, b in mine)
    assert ("adverse event fatigue: subjects affected", "5", str(ae["otherEvents"][0]["stats"][0]["numAffected"])) in mine
    assert ("adverse event adverse event (serious): subjects affected", "4", str(ae["eventGroups"][0]["seriousNumAffected"])) in mine
    # where they agree there is no row: phase, allocation and masking are the same in both
    assert not [q for q, _, _ in mine if q in ("trial: phase", "trial: allocation", "trial: masking")]
    for r in got:
        if r["kind"] == "registry and curated differ":
            assert r["trial"] == TRIAL and r["source_b"] == "https://w3id.org/msckg/id/pub/ctgov-NCT04014166"


def test_a_curated_arm_naming_no_registry_arm_fails_validation(tmp_path):
    with pytest.raises(BuildFailed) as exc:
        build(tmp_path / "store", data=seed_data_naming_the_registry_arm(tmp_path, "No such arm"), extra_sources=[FIXTURE])
    assert {v.rule for v in exc.value.report.failing} == {"R-ARM-REGISTRY-LABEL"}
