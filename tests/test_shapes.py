"""SHACL shapes and QC checks: nothing fires on valid fixtures; each invalid fixture fires exactly its one rule."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from msckg.graph.build.dataset import ontology_graph
from msckg.graph.paths import ONTOLOGY, QC, SHAPES
from msckg.graph.query.files import read_query_dir
from msckg.graph.validate.run import validate

HERE = Path(__file__).resolve().parent / "shapes"
VALID = sorted((HERE / "valid").glob("*.ttl"))
INVALID = sorted((HERE / "invalid").glob("*.ttl"))


@lru_cache(maxsize=1)
def ontology() -> Graph:
    return ontology_graph(ONTOLOGY)


def all_findings(fixture: Path):
    data = Graph().parse(fixture, format="turtle")
    union = ontology() + data
    store = ox.Store()
    store.load(union.serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
    return validate(store, union).violations


def findings(fixture: Path):
    """What validation reports, less the warning for the curator flag (rule R-NONE) every fixture carries."""
    return [v for v in all_findings(fixture) if not (v.rule == "R-NONE" and "recorded source problem" in v.message)]


def all_rule_ids() -> set[str]:
    text = "\n".join(p.read_text() for p in SHAPES.glob("*.ttl"))
    shacl = set(re.findall(r'"\[(R-[A-Z0-9-]+)\]', text))
    qc = {q.header["rule"] for q in read_query_dir(QC, "*-violation.rq")}
    return shacl | qc


@pytest.mark.parametrize("fixture", VALID, ids=lambda p: p.stem)
def test_valid_fixture_fires_nothing(fixture):
    assert [f"{v.rule} {v.focus} {v.value}" for v in findings(fixture)] == []


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_fires_exactly_its_rule(fixture):
    header = fixture.read_text().splitlines()[:2]
    expected = header[0].removeprefix("# breaks: ").strip()
    assert header[1].startswith("# why: "), "each invalid fixture states its reason"
    fired = {v.rule for v in findings(fixture)}
    assert fired == {expected}


def test_a_recorded_source_problem_is_reported_as_a_warning_never_as_a_violation():
    (flag,) = [v for v in all_findings(VALID[0]) if v.rule == "R-NONE"]
    assert flag.severity == "Warning" and flag.focus.endswith("/baseline/age-msc")
    assert "the range is printed twice" in flag.message


def test_every_rule_has_an_invalid_fixture():
    covered = {p.stem for p in INVALID}
    assert all_rule_ids() - covered == set()
    assert covered - all_rule_ids() == set(), "fixtures name rules that no longer exist"


def test_every_message_opens_with_its_rule_id():
    g = Graph()
    for p in SHAPES.glob("*.ttl"):
        g.parse(p)
    msgs = [str(o) for o in g.objects(None, g.namespace_manager.expand_curie("sh:message"))]
    assert msgs and all(re.match(r"^\[R-[A-Z0-9-]+\] \S", m) for m in msgs)
