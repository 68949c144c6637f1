"""The curated-record loader: strict YAML, clear errors with file/line/field, deterministic RDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import XSD

from msckg.graph.build.dataset import canonical_hash
from msckg.loader.errors import SourceError
from msckg.loader.records import load_records
from msckg.loader.schema import ID, MSCKG, default_schema

from .conftest import MINI


def files(folder: Path) -> list[Path]:
    return sorted((folder / "entities").glob("*.yaml")) + sorted((folder / "records").glob("*.yaml"))


def load(folder: Path):
    return load_records(files(folder), default_schema(), folder)


def problems_for(folder: Path) -> list[str]:
    with pytest.raises(SourceError) as exc:
        load(folder)
    return [str(p) for p in exc.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text {old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1))


def test_mini_loads_with_counts():
    recs = load(MINI)
    assert [(r.records_in, r.entities_out, r.rejected) for r in recs] == [(6, 6, 0), (3, 3, 0)]


def test_values_typed_by_ontology_range_and_verbatim():
    g = {r.path: r.graph for r in load(MINI)}["records/example-2025.yaml"]
    res = ID["pub/example-2025/result/orr-msc-d28"]
    assert (res, MSCKG["count"], Literal("12", datatype=XSD.nonNegativeInteger)) in g
    assert (res, MSCKG.percent, Literal("60.0", datatype=XSD.decimal)) in g
    # the printed form survives stores that canonicalise decimals
    assert (res, MSCKG.asPrinted, Literal("percent=60.0")) in g
    # evidence nodes point at their document automatically
    assert (res, MSCKG.source, ID["pub/example-2025"]) in g


def test_same_files_give_identical_graphs():
    a = {r.graph_iri: r.graph for r in load(MINI)}
    b = {r.graph_iri: r.graph for r in load(MINI)}
    assert sum(map(len, a.values())) == sum(map(len, b.values()))
    assert canonical_hash(a) == canonical_hash(b)
    assert not any(isinstance(t, type(None)) for g in a.values() for tr in g for t in tr)
    from rdflib import BNode
    assert not any(isinstance(t, BNode) for g in a.values() for tr in g for t in tr), "records must not make blank nodes"


def test_unknown_field_suggests(mini_data):
    edit(mini_data / "records/example-2025.yaml", "    denominator: 20", "    denominater: 20")
    msgs = problems_for(mini_data)
    assert len(msgs) == 1
    assert "records/example-2025.yaml:14:5" in msgs[0]
    assert "unknown field 'denominater'" in msgs[0] and "did you mean 'denominator'" in msgs[0]


def test_duplicate_key_in_mapping(mini_data):
    edit(mini_data / "records/example-2025.yaml", "    count: 12\n", "    count: 12\n    count: 13\n")
    msgs = problems_for(mini_data)
    assert any("duplicate key 'count'" in m and "example-2025.yaml:14:5" in m for m in msgs)


def test_wrong_type(mini_data):
    edit(mini_data / "records/example-2025.yaml", "    count: 12", "    count: twelve")
    (msg,) = problems_for(mini_data)
    assert "field 'count'" in msg and "expected a whole number, got 'twelve'" in msg and ":13:12:" in msg


@pytest.mark.parametrize("value,expect", [("NO", "YAML 1.1"), ("off", "YAML 1.1"), ("012345", "YAML 1.1")])
def test_yaml11_coercions_are_errors(mini_data, value, expect):
    edit(mini_data / "records/example-2025.yaml", "    term: fever", f"    term: {value}")
    (msg,) = problems_for(mini_data)
    assert "field 'term'" in msg and expect in msg


def test_leading_zero_integer_is_an_error(mini_data):
    edit(mini_data / "records/example-2025.yaml", "    atRisk: 20", "    atRisk: 020")
    (msg,) = problems_for(mini_data)
    assert "field 'atRisk'" in msg and "leading zero" in msg


def test_quoted_ambiguous_text_is_fine(mini_data):
    edit(mini_data / "records/example-2025.yaml", "    term: fever", '    term: "NO"')
    g = {r.path: r.graph for r in load(mini_data)}["records/example-2025.yaml"]
    assert (ID["pub/example-2025/ae/fever-msc"], MSCKG["term"], Literal("NO")) in g


def test_malformed_key(mini_data):
    edit(mini_data / "records/example-2025.yaml", "key: pub/example-2025/ae/fever-msc", "key: pub/example 2025/ae")
    msgs = problems_for(mini_data)
    assert any("malformed key" in m and "field 'key'" in m for m in msgs)


def test_unknown_reference(mini_data):
    edit(mini_data / "records/example-2025.yaml", "arm: trial/NCT00000001/arm/msc\n    count", "arm: trial/NCT00000001/arm/mcs\n    count")
    (msg,) = problems_for(mini_data)
    assert "no entity with key 'trial/NCT00000001/arm/mcs'" in msg and "did you mean 'trial/NCT00000001/arm/msc'" in msg


def test_reference_of_wrong_class(mini_data):
    edit(mini_data / "records/example-2025.yaml", "arm: trial/NCT00000001/arm/msc\n    count", "arm: trial/NCT00000001/outcome/orr-d28\n    count")
    (msg,) = problems_for(mini_data)
    assert "is a OutcomeMeasure, but 'arm' expects a Arm" in msg


def test_duplicate_trial_across_files(mini_data):
    (mini_data / "entities/again.yaml").write_text("entities:\n  - key: trial/NCT00000001\n    a: Trial\n    label: again\n")
    msgs = problems_for(mini_data)
    (msg,) = msgs  # files are read in name order, so the second definition is the one reported
    assert msg.startswith("entities/trial-nct00000001.yaml:3:10:")
    assert "key 'trial/NCT00000001' is already defined at entities/again.yaml:2" in msg


def test_unknown_class_and_controlled_value(mini_data):
    edit(mini_data / "entities/trial-nct00000001.yaml", "phase: Phase2", "phase: Phase5")
    edit(mini_data / "entities/trial-nct00000001.yaml", "a: ExperimentalArm", "a: ExperimentalArms")
    msgs = problems_for(mini_data)
    assert any("unknown value 'Phase5'" in m for m in msgs)
    assert any("unknown class 'ExperimentalArms'" in m and "did you mean 'ExperimentalArm'" in m for m in msgs)


def test_undeclared_external_term(mini_data):
    edit(mini_data / "records/example-2025.yaml", "eventClass: msckg:AE_Fever", "eventClass: OAE:9999999")
    (msg,) = problems_for(mini_data)
    assert "OAE:9999999 is not declared in the ontology" in msg


def test_malformed_yaml_names_line(mini_data):
    (mini_data / "records/example-2025.yaml").write_text("document:\n  key: [unclosed\n")
    (msg,) = problems_for(mini_data)
    assert msg.startswith("records/example-2025.yaml:") and "YAML syntax error" in msg


def test_partial_dates_stay_partial(mini_data):
    edit(mini_data / "entities/trial-nct00000001.yaml", "    plannedEnrolment: 40", "    plannedEnrolment: 40\n    startDate: 2019-07\n    endDate: 2021")
    g = {r.path: r.graph for r in load(mini_data)}["entities/trial-nct00000001.yaml"]
    t = ID["trial/NCT00000001"]
    assert (t, MSCKG.startDate, Literal("2019-07", datatype=XSD.gYearMonth)) in g
    assert (t, MSCKG.endDate, Literal("2021", datatype=XSD.gYear)) in g


def test_folded_text_has_no_fold_markers(mini_data):
    edit(mini_data / "records/example-2025.yaml", "    term: fever", "    term: >\n      fever with\n      chills")
    g = {r.path: r.graph for r in load(mini_data)}["records/example-2025.yaml"]
    assert (ID["pub/example-2025/ae/fever-msc"], MSCKG["term"], Literal("fever with chills\n")) in g
