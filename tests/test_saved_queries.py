"""Saved queries (queries/*.rq) on the hand-written synthetic dataset (tests/fixtures/synthetic.trig).

Every query runs on two engines, Oxigraph (the store) and rdflib (the second implementation),
with the ontology in its own named graph and the default graph as the union of all graphs, and
parameters bound the way graph.query.saved binds them. The two answers must be the same rows; then the
rows the fixture was written to produce are checked one by one.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Literal, URIRef

from msckg.graph.build.dataset import ONTOLOGY_GRAPH
from msckg.graph.query.files import read_query_file
from msckg.graph.query.saved import bindings_for, saved_queries
from msckg.graph.store.base import Rows
from msckg.graph.store.terms import to_oxigraph, to_rdflib
from msckg.loader.schema import ontology_files

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib 7's Dataset internals

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "synthetic.trig"
QUERIES = ROOT / "queries"
ID = "https://w3id.org/msckg/id/"
MSCKG = "https://w3id.org/msckg/"

EXPECTED_QUERIES = {
    "trials": ["trial", "trial_label", "registry_ids", "title", "phase", "allocation", "masking", "design", "conditions",
               "conditions_label", "enrolled", "products", "products_label", "manufacturers", "manufacturers_label"],
    "shared-manufacturers": ["manufacturer", "manufacturer_label", "trial_count", "trials", "trials_label", "products_label"],
    "cell-dose-by-regimen": ["trial", "trial_label", "arm", "arm_label", "regimen", "regimen_label", "dose_per_kg", "unit",
                             "administrations", "frequency", "dose_per_kg_per_week", "cumulative_dose_per_kg", "reported_by", "sources"],
    "response-rates": ["trial", "trial_label", "arm", "arm_label", "population", "population_label", "group_label", "outcome",
                       "outcome_label", "timepoint", "responders", "denominator", "percent", "proportion", "definition",
                       "reported_by", "sources", "locators", "evidence"],
    "controlled-comparisons": ["trial", "trial_label", "outcome", "outcome_label", "population", "population_label",
                               "experimental_arm", "experimental_arm_label", "control_arm", "control_arm_label", "statistic",
                               "estimate", "ci_lower", "ci_upper", "ci_95", "p_value", "p", "reported_by", "sources", "evidence"],
    "adverse-events": ["trial", "trial_label", "arm", "arm_label", "population", "population_label", "group_label", "term",
                       "event_class", "event_class_label", "grade", "serious", "affected", "at_risk", "percent", "proportion",
                       "reported_by", "sources", "locators", "evidence"],
    "infusion-reactions": ["trial", "trial_label", "arm", "arm_label", "group_label", "event", "grade", "affected", "at_risk",
                           "reported_by", "sources", "evidence"],
    "paediatric-trials": ["trial", "trial_label", "min_age", "max_age", "basis", "reported_by", "sources"],
    "add-on-designs": ["trial", "trial_label", "arm", "arm_label", "cell_therapy", "cell_therapy_label", "background_therapy",
                       "background_therapy_label", "reported_by", "sources"],
    "funding-and-conflicts": ["trial", "trial_label", "funder", "funder_label", "funder_kind", "grants", "conflict_statement",
                              "conflict_comment", "acknowledged_label"],
    "product-characterisation": ["product", "product_label", "manufacturer", "manufacturer_label", "positive_markers",
                                 "negative_markers", "isct_complete", "missing"],
    "publications": ["trial", "trial_label", "publication_count", "publications", "publications_label", "listed_in_label"],
    "source-conflicts": ["trial", "trial_label", "quantity", "source_a", "source_a_label", "value_a", "source_b",
                         "source_b_label", "value_b", "reported_by", "sources"],
    "time-to-response": ["trial", "trial_label", "arm", "arm_label", "group_label", "outcome", "outcome_label", "median",
                         "unit", "range", "reported_by", "sources", "evidence"],
}
# queries whose rows are values that several documents may report: one row per value, or per document
PER_SOURCE = ["response-rates", "adverse-events", "controlled-comparisons", "infusion-reactions", "time-to-response"]

# every query with its default parameters, plus the parameter combinations worth comparing
CASES = [(name, {}) for name in EXPECTED_QUERIES] + [
    ("adverse-events", {"min_grade": "3"}),
    ("adverse-events", {"min_grade": "2"}),
    ("adverse-events", {"serious_only": "true"}),
    ("adverse-events", {"class": "msckg:AE_Haemorrhage"}),
    ("adverse-events", {"class": "msckg:AE_GastrointestinalHaemorrhage"}),
    ("adverse-events", {"class": "https://w3id.org/msckg/AE_Haemorrhage", "min_grade": "3", "serious_only": "true"}),
    ("adverse-events", {"class": "obo:OAE_0000001"}),
] + [(name, {"per_source": "true"}) for name in PER_SOURCE]


# ------------------------------------------------------------------------------------------ engines


@pytest.fixture(scope="module")
def oxigraph_store() -> ox.Store:
    store = ox.Store()
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    graph = ox.NamedNode(str(ONTOLOGY_GRAPH))
    for f in ontology_files():
        store.load(path=str(f), format=ox.RdfFormat.TURTLE, to_graph=graph)
    return store


@pytest.fixture(scope="module")
def rdflib_dataset() -> Dataset:
    ds = Dataset(default_union=True)
    ds.parse(str(FIXTURE), format="trig")
    onto = ds.graph(ONTOLOGY_GRAPH)
    for f in ontology_files():
        onto.parse(str(f), format="turtle")
    return ds


def run_oxigraph(store: ox.Store, name: str, params: dict[str, str] | None = None) -> Rows:
    q = read_query_file(QUERIES / f"{name}.rq")
    subs = {ox.Variable(k): to_oxigraph(v) for k, v in bindings_for(q, params or {}).items()}
    res = store.query(q.text, use_default_graph_as_union=True, substitutions=subs)
    names = [v.value for v in res.variables]
    return Rows(names, [tuple(to_rdflib(sol[n]) for n in names) for sol in res])


def run_rdflib(ds: Dataset, name: str, params: dict[str, str] | None = None) -> Rows:
    q = read_query_file(QUERIES / f"{name}.rq")
    res = ds.query(q.text, initBindings=bindings_for(q, params or {}))
    names = [str(v) for v in res.vars]
    return Rows(names, [tuple(row) for row in res])


# ------------------------------------------------------------------------------------------ values


def norm(term):
    """A comparable value: numbers as rounded floats, booleans as bool, '; '-joined lists sorted."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return ("iri", str(term))
    if isinstance(term, BNode):
        return ("bnode",)
    if isinstance(term, Literal):
        v = term.toPython()
        if isinstance(v, bool):
            return ("bool", v)
        if isinstance(v, (int, float, Decimal)):
            return ("num", round(float(v), 6))
        return ("str", joined_sorted(str(term)))
    return ("other", str(term))


def joined_sorted(text: str) -> str:
    """A joined list with its parts sorted (GROUP_CONCAT's order is not defined by SPARQL): IRIs
    joined with " ", locators with " | ", everything else with "; "."""
    parts = text.split(" ")
    if len(parts) > 1 and all(p.startswith(("http://", "https://")) for p in parts):
        return " ".join(sorted(parts))
    if " | " in text:
        return " | ".join(sorted(text.split(" | ")))
    return "; ".join(sorted(text.split("; ")))


def normalised(rows: Rows) -> Counter:
    return Counter(tuple(norm(t) for t in row) for row in rows.rows)


def py(term):
    """A plain Python value for asserting: IRIs as text, numbers as float, lists as sets."""
    if term is None:
        return None
    if isinstance(term, Literal):
        v = term.toPython()
        if isinstance(v, bool):
            return v
        if isinstance(v, (int, float, Decimal)):
            return float(v)
        return str(term)
    return str(term)


def records(rows: Rows) -> list[dict]:
    return [{k: py(v) for k, v in zip(rows.variables, row)} for row in rows.rows]


def as_set(text: str | None) -> set[str]:
    return set() if not text else set(text.split("; "))


def by(rows: Rows, key: str) -> dict:
    out = {}
    for r in records(rows):
        assert r[key] not in out, f"{key}={r[key]} appears twice"
        out[r[key]] = r
    return out


def iri(key: str) -> str:
    return ID + key


@pytest.fixture(scope="module")
def answer(oxigraph_store):
    """answer(name, **params): the Oxigraph rows of a saved query on the fixture."""
    return lambda name, **params: run_oxigraph(oxigraph_store, name, {k: str(v) for k, v in params.items()})


# ------------------------------------------------------------------------------------------ files


def test_every_expected_query_exists_with_a_header():
    queries = saved_queries(QUERIES)
    missing = set(EXPECTED_QUERIES) - set(queries)
    assert not missing, f"saved queries missing: {sorted(missing)}"
    for name, q in queries.items():
        assert q.summary, f"{name}: no '#+ summary:' line"
        assert q.header.get("description"), f"{name}: no '#+ description:' line"
        assert q.tags, f"{name}: no '#+ tags:' line"


@pytest.mark.parametrize("name", sorted(EXPECTED_QUERIES))
def test_query_names_no_individual_and_reasons_in_the_query(name):
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert ID not in body and "id:" not in body, f"{name} names a specific trial, product or organisation"
    assert "Marker_" not in body, f"{name} restates markers the ontology defines"
    q = read_query_file(QUERIES / f"{name}.rq")
    for p in q.params:
        assert not re.search(rf"BOUND\s*\(\s*\?{p.name}\s*\)", body, re.I), f"{name}: parameters are always bound"
    # class membership goes through the class hierarchy (rdf:type/rdfs:subClassOf*), never a bare
    # rdf:type test that would miss subclasses
    bare = re.findall(r"(?:\brdf:type|\sa)\s+(?:msckg|obo):\w+", body)
    assert not bare, f"{name}: type tests without rdfs:subClassOf*: {bare}"


@pytest.mark.parametrize("name,params", CASES, ids=[f"{n}{'-' + '-'.join(f'{k}={v}' for k, v in p.items()) if p else ''}" for n, p in CASES])
def test_both_engines_give_the_same_rows(name, params, oxigraph_store, rdflib_dataset):
    a = run_oxigraph(oxigraph_store, name, params)
    b = run_rdflib(rdflib_dataset, name, params)
    assert a.variables == b.variables
    for col in EXPECTED_QUERIES[name]:
        assert col in a.variables, f"{name}: column '{col}' missing"
    assert a.rows, f"{name} {params}: no rows on the synthetic dataset"
    only_ox = normalised(a) - normalised(b)
    only_rdflib = normalised(b) - normalised(a)
    assert not only_ox and not only_rdflib, f"{name} {params}: Oxigraph only {only_ox}; rdflib only {only_rdflib}"


# ------------------------------------------------------------------------------------------ rows


def test_trials(answer):
    rows = by(answer("trials"), "trial")
    assert set(rows) == {iri("trial/NCT09000001"), iri("trial/NCT09000002"), iri("trial/NCT09000003")}
    a = rows[iri("trial/NCT09000001")]
    assert a["registry_ids"] == "NCT09000001" and a["trial_label"] == "NCT09000001"
    assert a["title"].startswith("Alpha-MSC added to ruxolitinib")
    assert (a["phase"], a["allocation"], a["masking"]) == ("phase 2", "randomized", "double blind")
    assert a["design"] == "phase 2, randomized, double blind, placebo control"
    assert a["conditions_label"] == "steroid-refractory acute GVHD" and a["conditions"] == iri("condition/synth-sr-agvhd")
    assert a["enrolled"] == 80 and a["enrolment_kind"] == "actual"
    assert a["products_label"] == "Alpha-MSC" and a["manufacturers_label"] == "SynthCell Therapeutics Ltd"
    assert a["products"] == iri("product/synth-alpha") and a["manufacturers"] == iri("org/synthcell")
    b = rows[iri("trial/NCT09000002")]
    assert as_set(b["registry_ids"]) == {"NCT09000002", "ChiCTR2100000002"}
    assert b["trial_label"] == "ChiCTR2100000002"  # the first registry ID in alphabetical order
    assert b["phase"] == "phase 1" and b["enrolled"] == 9
    c = rows[iri("trial/NCT09000003")]
    assert c["phase"] == "phase 4" and c["enrolled"] == 20 and c["enrolment_kind"] == "actual"
    assert c["manufacturers_label"] == "OtherCell University Hospital GMP Unit"


def test_shared_manufacturers(answer):
    rows = records(answer("shared-manufacturers"))
    assert len(rows) == 1
    (row,) = rows
    assert row["manufacturer"] == iri("org/synthcell")
    assert row["manufacturer_label"] == "SynthCell Therapeutics Ltd"
    assert row["trial_count"] == 2
    assert set(row["trials"].split(" ")) == {iri("trial/NCT09000001"), iri("trial/NCT09000002")}
    assert as_set(row["trials_label"]) == {"NCT09000001", "NCT09000002", "ChiCTR2100000002"}
    assert as_set(row["products_label"]) == {"Alpha-MSC", "Beta-MSC"}


def test_cell_dose_by_regimen(answer):
    rows = by(answer("cell-dose-by-regimen"), "regimen")
    # cell-therapy regimens only: no drug, no placebo regimen
    assert set(rows) == {iri(k) for k in ("trial/NCT09000001/regimen/msc", "trial/NCT09000001/regimen/msc-ext",
                                          "trial/NCT09000002/regimen/dose-low", "trial/NCT09000002/regimen/dose-high",
                                          "trial/NCT09000003/regimen/gamma")}
    expected = {  # regimen: (dose/kg, administrations, per week, cumulative, is_extension)
        "trial/NCT09000001/regimen/msc": (1_000_000, 4, 2_000_000, 4_000_000, False),
        "trial/NCT09000001/regimen/msc-ext": (1_000_000, 4, 1_000_000, 4_000_000, True),
        "trial/NCT09000002/regimen/dose-low": (500_000, 4, 500_000, 2_000_000, False),
        "trial/NCT09000002/regimen/dose-high": (2_000_000, 4, 2_000_000, 8_000_000, False),
        "trial/NCT09000003/regimen/gamma": (2_000_000, 1, None, 2_000_000, False),
    }
    for key, (dose, n, week, cumulative, ext) in expected.items():
        r = rows[iri(key)]
        assert (r["dose_per_kg"], r["administrations"], r["dose_per_kg_per_week"], r["cumulative_dose_per_kg"], r["is_extension"]) == (dose, n, week, cumulative, ext), key
        assert r["unit"] == "cells per kilogram body weight"
    ext = rows[iri("trial/NCT09000001/regimen/msc-ext")]
    assert ext["arm"] == iri("trial/NCT09000001/arm/msc")  # found through msckg:extensionOf alone
    assert ext["arm_label"] == "Alpha-MSC plus ruxolitinib" and ext["trial_label"] == "NCT09000001"
    assert ext["extension_of"] == iri("trial/NCT09000001/regimen/msc")
    assert ext["extension_of_label"] == "Alpha-MSC 1 x 10^6 cells/kg twice weekly x 4"
    assert ext["extension_condition"] == "Partial response at day 28"
    assert ext["reported_by"] == "Synth A et al. 2024" and ext["sources"] == iri("pub/synth-a-2024")
    assert ext["locators"] == "Synth A et al. 2024: Methods ¶4"
    assert rows[iri("trial/NCT09000001/regimen/msc")]["frequency"] == "twice weekly"
    assert rows[iri("trial/NCT09000003/regimen/gamma")]["frequency"] == "single administration"
    assert rows[iri("trial/NCT09000003/regimen/gamma")]["product_label"] == "Gamma-MSC"


def _one_per_value(rows) -> dict:
    """Rows by the single evidence node they stand for (rows standing for several are keyed by the tuple)."""
    out = {}
    for r in records(rows):
        key = tuple(sorted(r["evidence"].split(" ")))
        assert key not in out, f"{key} appears twice"
        out[key if len(key) > 1 else key[0]] = r
    return out


def test_response_rates(answer):
    rows = _one_per_value(answer("response-rates"))
    assert len(rows) == 7
    assert iri("pub/synth-c-2021/result/platelets-d90-msc") not in rows  # a laboratory outcome, not a response
    # the issue listing reprints the article's figure: one row, both documents, both locators
    both = (iri("pub/synth-a-2024-listing/result/orr-d28-placebo"), iri("pub/synth-a-2024/result/orr-d28-placebo"))
    r = rows[both]
    assert r["trial"] == iri("trial/NCT09000001") and r["trial_label"] == "NCT09000001"
    assert (r["arm"], r["arm_label"], r["population"]) == (iri("trial/NCT09000001/arm/placebo"), "Placebo plus ruxolitinib", None)
    assert r["group_label"] == "Placebo plus ruxolitinib"
    assert (r["responders"], r["denominator"], r["percent"], r["proportion"]) == (14, 40, 35.0, 0.35)
    assert as_set(r["reported_by"]) == {"Synth A et al. 2024", "Synth Journal 12(3) issue listing"}
    assert set(r["sources"].split(" ")) == {iri("pub/synth-a-2024"), iri("pub/synth-a-2024-listing")}
    assert set(r["locators"].split(" | ")) == {'Synth A et al. 2024: Table 2, row "ORR day 28", column "Placebo"',
                                               "Synth Journal 12(3) issue listing: Article entry, abstract, sentence 5"}
    assert r["timepoint"] == "day 28" and r["outcome_label"] == "Overall response at day 28"
    assert r["definition"].startswith("Complete or partial response of acute GVHD")
    assert r["response_kind"] == "overall response"
    high = rows[iri("pub/synth-b-2022/result/cr-w12-high")]
    assert (high["responders"], high["denominator"], high["percent"], high["proportion"]) == (2, 6, 33.3, 0.333)
    assert high["response_kind"] == "complete response" and high["timepoint"] == "week 12"
    low = rows[iri("pub/synth-b-2022/result/cr-w12-low")]
    assert (low["responders"], low["proportion"]) == (0, 0)
    # values that differ stay apart, each with its own document
    abstract = rows[iri("pub/synth-a-2023-abstract/result/orr-d28-msc")]
    assert (abstract["responders"], abstract["percent"], abstract["reported_by"]) == (25, 62.5, "Synth A et al. 2023 (conference abstract)")
    article = rows[iri("pub/synth-a-2024/result/orr-d28-msc")]
    assert (article["responders"], article["percent"], article["reported_by"]) == (24, 60.0, "Synth A et al. 2024")


def test_response_rates_per_source(answer):
    rows = records(answer("response-rates", per_source="true"))
    assert len(rows) == 8  # the reprinted figure now once per document
    placebo = [r for r in rows if r["arm"] == iri("trial/NCT09000001/arm/placebo")]
    assert {r["reported_by"] for r in placebo} == {"Synth A et al. 2024", "Synth Journal 12(3) issue listing"}
    assert all(len(r["evidence"].split(" ")) == 1 for r in rows)


def test_controlled_comparisons(answer):
    rows = records(answer("controlled-comparisons"))
    assert len(rows) == 1
    (r,) = rows
    assert r["trial"] == iri("trial/NCT09000001") and r["trial_label"] == "NCT09000001"
    assert r["statistic"] == "odds ratio"
    assert (r["estimate"], r["ci_lower"], r["ci_upper"], r["p_value"], r["ci_95"], r["p"]) == (2.79, 1.12, 6.94, 0.027, "1.12–6.94", "0.027")
    # both arms and the population named by label, not only by IRI
    assert (r["experimental_arm"], r["experimental_arm_label"]) == (iri("trial/NCT09000001/arm/msc"), "Alpha-MSC plus ruxolitinib")
    assert (r["control_arm"], r["control_arm_label"]) == (iri("trial/NCT09000001/arm/placebo"), "Placebo plus ruxolitinib")
    assert (r["population"], r["population_label"]) == (iri("trial/NCT09000001/population/itt"), "Intention-to-treat population")
    assert (r["outcome"], r["outcome_label"]) == (iri("trial/NCT09000001/outcome/orr-d28"), "Overall response at day 28")
    assert r["reported_by"] == "Synth A et al. 2024"


def _aes(answer, **params) -> dict:
    return _one_per_value(answer("adverse-events", **params))


def test_adverse_events_default_lists_every_event(answer):
    rows = _aes(answer)
    assert len(rows) == 14
    gi = rows[iri("pub/synth-a-2024/ae/gi-bleeding-msc")]
    assert (gi["trial"], gi["arm"], gi["term"], gi["grade"], gi["serious"], gi["affected"], gi["at_risk"]) == (
        iri("trial/NCT09000001"), iri("trial/NCT09000001/arm/msc"), "gastrointestinal bleeding", "3", True, 2, 40)
    assert (gi["trial_label"], gi["group_label"], gi["event_class_label"]) == ("NCT09000001", "Alpha-MSC plus ruxolitinib", "gastrointestinal haemorrhage")
    assert gi["proportion"] == 0.05 and gi["percent"] is None  # nothing printed, so no percent
    band = rows[iri("pub/synth-a-2024/ae/infusion-reaction-msc")]
    assert (band["grade"], band["grade_min"], band["grade_max"]) == ("1-2", 1, 2)
    death = rows[iri("pub/synth-c-2021/ae/death-safety")]
    assert (death["arm"], death["population"]) == (None, iri("trial/NCT09000003/population/safety"))
    assert death["group_label"] == "Safety set (both groups)" and death["trial"] == iri("trial/NCT09000003")
    headache = rows[iri("pub/synth-b-2022/ae/headache-trial")]
    assert headache["arm"] is None and headache["group_label"] is None and headache["trial"] == iri("trial/NCT09000002")
    # the article's table row, the text restating it and the listing reprinting it: one row, three locators
    pneumonia = rows[tuple(sorted(iri(k) for k in ("pub/synth-a-2024/ae/pneumonia-msc", "pub/synth-a-2024/ae/pneumonia-msc-text",
                                                   "pub/synth-a-2024-listing/ae/pneumonia-msc")))]
    assert (pneumonia["term"], pneumonia["grade"], pneumonia["affected"], pneumonia["at_risk"]) == ("pneumonia", "3-4", 5, 40)
    assert as_set(pneumonia["reported_by"]) == {"Synth A et al. 2024", "Synth Journal 12(3) issue listing"}
    assert len(pneumonia["locators"].split(" | ")) == 3
    # a restatement that prints another number is its own row
    text = rows[iri("pub/synth-a-2024/ae/infusion-reaction-msc-text")]
    assert (text["term"], text["affected"]) == ("infusion reaction", 4)


def test_adverse_events_per_source(answer):
    rows = records(answer("adverse-events", per_source="true"))
    assert len(rows) == 16
    assert all(len(r["evidence"].split(" ")) == 1 for r in rows)


def test_adverse_events_min_grade(answer):
    grade3 = set(_aes(answer, min_grade=3))
    pneumonia = tuple(sorted(iri(k) for k in ("pub/synth-a-2024/ae/pneumonia-msc", "pub/synth-a-2024/ae/pneumonia-msc-text",
                                              "pub/synth-a-2024-listing/ae/pneumonia-msc")))
    assert grade3 == {iri(k) for k in (
        "pub/synth-a-2024/ae/gi-bleeding-msc", "pub/synth-a-2024/ae/gi-bleeding-placebo",
        "pub/synth-a-2023-abstract/ae/gi-bleeding-msc",
        "pub/synth-a-2024/ae/pneumonia-placebo", "pub/synth-b-2022/ae/alt-high", "pub/synth-c-2021/ae/death-safety")} | {pneumonia}
    grade2 = set(_aes(answer, min_grade=2))
    # a band passes when its highest grade reaches min_grade (grade 1-2 at min_grade 2)
    assert iri("pub/synth-a-2024/ae/infusion-reaction-msc") in grade2
    assert iri("pub/synth-c-2021/ae/epistaxis-msc") in grade2
    assert iri("pub/synth-c-2021/ae/melaena-control") in grade2
    assert iri("pub/synth-b-2022/ae/fever-low") not in grade2
    assert iri("pub/synth-c-2021/ae/chills-msc") not in grade2
    assert set(_aes(answer, min_grade=5)) == {iri("pub/synth-c-2021/ae/death-safety")}
    # a band that only reaches min_grade says so
    assert _aes(answer, min_grade=2)[iri("pub/synth-a-2024/ae/infusion-reaction-msc")]["wholly_at_or_above_min_grade"] is False
    assert _aes(answer, min_grade=3)[pneumonia]["wholly_at_or_above_min_grade"] is True


def test_adverse_events_grouped_through_the_ontology(answer):
    haemorrhages = _aes(answer, **{"class": "msckg:AE_Haemorrhage"})
    assert set(haemorrhages) == {iri(k) for k in (
        "pub/synth-a-2024/ae/gi-bleeding-msc", "pub/synth-a-2024/ae/gi-bleeding-placebo",
        "pub/synth-a-2023-abstract/ae/gi-bleeding-msc",
        "pub/synth-c-2021/ae/epistaxis-msc",     # a subclass declared outside the ontology graph
        "pub/synth-c-2021/ae/melaena-control")}  # recorded with the external OAE class (skos:exactMatch)
    assert {r["term"] for r in haemorrhages.values()} == {"gastrointestinal bleeding", "GI haemorrhage", "epistaxis", "melaena"}
    gi = _aes(answer, **{"class": "msckg:AE_GastrointestinalHaemorrhage"})
    assert iri("pub/synth-c-2021/ae/epistaxis-msc") not in gi and iri("pub/synth-c-2021/ae/melaena-control") in gi
    severe = _aes(answer, **{"class": "msckg:AE_Haemorrhage", "min_grade": 3, "serious_only": "true"})
    assert len(severe) == 3 and all(r["term"] in ("gastrointestinal bleeding", "GI haemorrhage") for r in severe.values())
    # the external root class reaches every local event class
    assert len(_aes(answer, **{"class": "obo:OAE_0000001"})) == 14
    assert _aes(answer, **{"class": "msckg:AE_Malignancy"}) == {}


def test_adverse_events_serious_only(answer):
    serious = _aes(answer, serious_only="true")
    assert len(serious) == 6 and all(r["serious"] is True for r in serious.values())
    assert len(_aes(answer, serious_only="false")) == 14


def test_infusion_reactions(answer):
    rows = _one_per_value(answer("infusion-reactions"))
    assert set(rows) == {iri("pub/synth-a-2024/ae/infusion-reaction-msc"), iri("pub/synth-a-2024/ae/infusion-reaction-msc-text"),
                         iri("pub/synth-b-2022/ae/alt-high"), iri("pub/synth-c-2021/ae/chills-msc")}
    ir = rows[iri("pub/synth-a-2024/ae/infusion-reaction-msc")]
    assert (ir["event"], ir["grade"], ir["affected"], ir["at_risk"]) == ("infusion reaction", "1-2", 3, 40)
    assert ir["infusion_reaction_class"] is True and ir["group_label"] == "Alpha-MSC plus ruxolitinib"
    dlt = rows[iri("pub/synth-b-2022/ae/alt-high")]
    assert (dlt["dose_limiting"], dlt["infusion_related"], dlt["grade"], dlt["arm"]) == (True, False, "3", iri("trial/NCT09000002/arm/dose-high"))
    assert dlt["arm_label"] == "Dose cohort 2 (2 x 10^6 cells/kg)"
    chills = rows[iri("pub/synth-c-2021/ae/chills-msc")]
    assert (chills["infusion_related"], chills["infusion_reaction_class"]) == (True, False)


def test_paediatric_trials(answer):
    rows = records(answer("paediatric-trials"))
    got = {(r["trial"], r["basis"], r["min_age"], r["max_age"]) for r in rows}
    b, c = iri("trial/NCT09000002"), iri("trial/NCT09000003")
    assert (b, "eligibility: minimum age under 18", 12, 65) in got
    assert (c, "baseline: youngest participant under 18", 3, 16) in got
    assert (c, "baseline: youngest participant under 18", 3.5, 16.5) in got  # printed in months
    assert (c, "eligibility: minimum age under 18", 0.5, 17) in got  # printed as 6 and 204 months
    assert (c, "condition: paediatric qualifier", 0.5, 17) in got
    assert len(rows) == 5
    # adults only: the 'Percentage of marrow cellularity' row (range 5-25) is not an age
    assert iri("trial/NCT09000001") not in {r["trial"] for r in rows}
    assert {r["trial_label"] for r in rows} == {"ChiCTR2100000002", "NCT09000003"}
    eligibility = [r for r in rows if r["trial"] == c and r["basis"].startswith("eligibility")]
    assert eligibility[0]["reported_by"] == "Synth C et al. 2021"
    assert eligibility[0]["locators"] == "Synth C et al. 2021: Methods, Eligibility ¶1"


def test_add_on_designs(answer):
    rows = by(answer("add-on-designs"), "cell_regimen")
    assert set(rows) == {iri("trial/NCT09000001/regimen/msc"), iri("trial/NCT09000003/regimen/gamma")}
    a = rows[iri("trial/NCT09000001/regimen/msc")]
    assert (a["trial"], a["cell_therapy"], a["background_therapy"]) == (
        iri("trial/NCT09000001"), iri("trial/NCT09000001/intervention/alpha-msc"), iri("trial/NCT09000001/intervention/ruxolitinib"))
    assert (a["cell_therapy_label"], a["background_therapy_label"], a["start_day"]) == ("Alpha-MSC infusion", "Ruxolitinib", 7)
    assert (a["trial_label"], a["arm_label"], a["starts_relative_to_label"]) == ("NCT09000001", "Alpha-MSC plus ruxolitinib", "Ruxolitinib 10 mg daily (MSC arm)")
    c = rows[iri("trial/NCT09000003/regimen/gamma")]
    assert c["background_therapy_label"] == "Ciclosporin" and c["arm"] == iri("trial/NCT09000003/arm/msc")


def test_funding_and_conflicts(answer):
    rows = records(answer("funding-and-conflicts"))
    assert len(rows) == 4
    index = {(r["trial"], r["funder"]): r for r in rows}
    a_industry = index[(iri("trial/NCT09000001"), iri("org/synthcell"))]
    assert a_industry["funder_kind"] == "industry" and a_industry["grants"] is None
    # the declaration as printed, after its document
    assert a_industry["conflict_statement"] == ("Synth A et al. 2024: Two authors are employees of SynthCell Therapeutics; "
                                                "the others declare no competing interests.")
    assert a_industry["conflict_with_industry"] is True and a_industry["conflict_comment"] is None
    a_public = index[(iri("trial/NCT09000001"), iri("org/synth-research-council"))]
    assert a_public["funder_kind"] == "public funder" and a_public["funder_label"] == "Synthetic Research Council"
    assert as_set(a_public["grants"]) == {"SRC-2020-001", "SRC-2021-002"}
    b = index[(iri("trial/NCT09000002"), iri("org/synth-research-council"))]
    assert (b["grants"], b["conflict_statement"], b["conflict_with_industry"]) == ("SRC-2022-010", "Synth B et al. 2022: none declared", False)
    # thanked in the acknowledgements only: named, but not a funder
    assert b["acknowledged_label"] == "Synthetic Patients' Foundation"
    assert (iri("trial/NCT09000002"), iri("org/synth-patients-foundation")) not in index
    c = index[(iri("trial/NCT09000003"), None)]  # no funder stated: still a row, with its declared conflict
    assert c["funder_label"] is None
    # the printed declaration and the curator's comment are kept apart
    assert c["conflict_statement"] == "Synth C et al. 2021: The authors declare no competing interests."
    assert c["conflict_comment"] == "Synth C et al. 2021: One author holds shares in the product manufacturer (author affiliations)"
    assert c["conflict_organisations_label"] == "OtherCell University Hospital GMP Unit" and c["conflict_with_industry"] is False


def test_product_characterisation(answer):
    rows = by(answer("product-characterisation"), "product")
    assert set(rows) == {iri("product/synth-alpha"), iri("product/synth-beta"), iri("product/synth-gamma")}
    alpha = rows[iri("product/synth-alpha")]
    assert alpha["isct_complete"] is True and alpha["missing"] is None
    assert as_set(alpha["positive_markers"]) == {"CD73", "CD90", "CD105", "CD44"}
    assert as_set(alpha["negative_markers"]) == {"CD34", "CD45", "HLA-DR"}
    assert alpha["manufacturer"] == iri("org/synthcell") and alpha["manufacturer_label"] == "SynthCell Therapeutics Ltd"
    assert alpha["product_label"] == "Alpha-MSC"
    beta = rows[iri("product/synth-beta")]
    assert beta["isct_complete"] is False and as_set(beta["missing"]) == {"CD105+", "CD34-", "HLA-DR-"}
    assert beta["flagged_incomplete"] is True
    gamma = rows[iri("product/synth-gamma")]
    assert gamma["isct_complete"] is False and gamma["missing"] == "HLA-DR-"
    assert all(r["is_msc_product"] is True for r in rows.values())


def test_product_characterisation_reads_the_isct_set_from_the_ontology(oxigraph_store):
    """Change the ontology's ISCT list in a copy of the store: the answer follows."""
    store = ox.Store()
    store.extend(oxigraph_store.quads_for_pattern(None, None, None, None))
    store.update("""
        PREFIX msckg: <https://w3id.org/msckg/>
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        DELETE { GRAPH ?g { ?cell rdf:first msckg:Marker_CD105 } }
        INSERT { GRAPH ?g { ?cell rdf:first msckg:Marker_CD44 } }
        WHERE { GRAPH ?g { msckg:IsctPositiveMarkers owl:equivalentClass/owl:oneOf/rdf:rest* ?cell .
                           ?cell rdf:first msckg:Marker_CD105 } }""")
    rows = by(run_oxigraph(store, "product-characterisation"), "product")
    assert as_set(rows[iri("product/synth-gamma")]["missing"]) == {"CD44+", "HLA-DR-"}
    assert as_set(rows[iri("product/synth-beta")]["missing"]) == {"CD34-", "HLA-DR-"}
    assert rows[iri("product/synth-alpha")]["isct_complete"] is True


def test_publications(answer):
    rows = by(answer("publications"), "trial")
    # the issue listing lists the article: it is not a report of the trial
    assert {k: r["publication_count"] for k, r in rows.items()} == {
        iri("trial/NCT09000001"): 2, iri("trial/NCT09000002"): 1, iri("trial/NCT09000003"): 1}
    a = rows[iri("trial/NCT09000001")]
    assert as_set(a["publications_label"]) == {"Synth A et al. 2024", "Synth A et al. 2023 (conference abstract)"}
    assert set(a["publications"].split(" ")) == {iri("pub/synth-a-2024"), iri("pub/synth-a-2023-abstract")}
    assert a["dois"] == "10.9999/synth.a.2024"  # the abstract has no DOI: the other one still shows
    assert as_set(a["kinds"]) == {"journal article", "conference abstract"}
    assert a["listed_in_label"] == "Synth Journal 12(3) issue listing" and a["trial_label"] == "NCT09000001"


def test_source_conflicts(answer):
    rows = records(answer("source-conflicts"))
    differ = {(r["trial"], r["quantity"], r["value_a"], r["value_b"], r["source_a"], r["source_b"]) for r in rows if r["kind"] == "values differ"}
    a, c = iri("trial/NCT09000001"), iri("trial/NCT09000003")
    abstract, article = iri("pub/synth-a-2023-abstract"), iri("pub/synth-a-2024")
    assert differ == {
        (a, "Overall response at day 28: count", 25, 24, abstract, article),
        (a, "Overall response at day 28: percentage as printed", 62.5, 60.0, abstract, article),
        (a, "adverse event gastrointestinal haemorrhage: subjects affected", 3, 2, abstract, article),
        # within one source: the text and a table of the same paper
        (c, "Time to haematological response: median", 30, 28, iri("pub/synth-c-2021"), iri("pub/synth-c-2021")),
        # a restatement the curator linked to its table row, printing another number
        (a, "adverse event infusion-related reaction: subjects affected", 3, 4, article, article),
    }
    labelled = next(r for r in rows if r["kind"] == "values differ" and r["value_a"] == 25)
    assert (labelled["source_a_label"], labelled["source_b_label"], labelled["trial_label"]) == (
        "Synth A et al. 2023 (conference abstract)", "Synth A et al. 2024", "NCT09000001")
    assert as_set(labelled["reported_by"]) == {"Synth A et al. 2023 (conference abstract)", "Synth A et al. 2024"}
    flagged = {r["rule"]: r for r in rows if r["kind"] == "flagged by curator"}
    assert set(flagged) == {"R-SOURCE-CONFLICT", "R-NAME-VARIANT"}
    f = flagged["R-SOURCE-CONFLICT"]
    assert (f["trial"], f["node_a"], f["source_a"], f["locator_a"]) == (
        a, iri("pub/synth-a-2023-abstract/result/orr-d28-msc"), abstract, "Results ¶1")
    assert "responder count" in f["problem"]
    # a flag with no msckg:source, on an organisation: document and trial come from its graph
    g = flagged["R-NAME-VARIANT"]
    assert (g["trial"], g["node_a"], g["source_a"], g["source_a_label"]) == (c, iri("org/othercell"), iri("pub/synth-c-2021"), "Synth C et al. 2021")


def test_time_to_response(answer):
    rows = _one_per_value(answer("time-to-response"))
    assert len(rows) == 3
    a = rows[iri("pub/synth-a-2024/result/ttr-msc")]
    assert (a["trial"], a["arm"], a["median"], a["unit"], a["range"], a["range_low"], a["range_high"]) == (
        iri("trial/NCT09000001"), iri("trial/NCT09000001/arm/msc"), 14, "day", "7–28", 7, 28)
    assert a["outcome"] == iri("trial/NCT09000001/outcome/ttr") and a["outcome_label"] == "Time to first response"
    assert {r["median"] for r in rows.values()} == {14, 30, 28}


def test_every_entity_column_has_a_label_and_every_view_is_declared(answer):
    """The label contract other tools read: X beside X_label, and the #+ columns header names real columns."""
    for name, q in saved_queries(QUERIES).items():
        rows = answer(name)
        assert q.columns, f"{name}: no '#+ columns:' header"
        missing = [c for c in q.columns if c not in rows.variables]
        assert not missing, f"{name}: #+ columns names {missing}, which the query does not return"
        for i, var in enumerate(rows.variables):
            values = [r[i] for r in rows.rows if r[i] is not None]
            if values and all(isinstance(v, URIRef) for v in values) and var not in ("event_class", "class", "evidence", "node_a", "node_b"):
                assert f"{var}_label" in rows.variables, f"{name}: entity column '{var}' has no '{var}_label'"
            if var.endswith("_label"):
                assert not any(isinstance(v, URIRef) for v in values), f"{name}: {var} holds IRIs"
        if {"sources", "reported_by"} & set(rows.variables):
            assert {"sources", "reported_by"} <= set(rows.variables), name
        for col in q.columns:
            assert not col.endswith(("_iri",)) and col not in ("sources", "evidence"), f"{name}: IRIs in the default view"


# ------------------------------------------------------------------------------------------ plots


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _slide_sized(path: Path) -> None:
    width, height = _png_size(path)
    assert 900 <= width <= 1400 and 250 <= height <= 760, f"{path.name}: {width} x {height} px"


def test_response_rates_forest_plot(answer, tmp_path):
    from msckg.graph.query.plot_common import ROLE_COLOURS
    from msckg.graph.query.plot_forest import wilson_interval
    from msckg.graph.query.plots import plot_rows

    q = read_query_file(QUERIES / "response-rates.rq")
    rows = answer("response-rates")
    out = tmp_path / "rr.png"
    result = plot_rows(q, rows, out)
    assert result.files == [out] and result.drawn == 7 and result.left_out == []
    _slide_sized(out)
    fig = result.figures[0]
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 7  # one line per row drawn
    # rows grouped by trial and outcome under a header line drawn across the plot
    headers = {t.get_text() for t in ax.texts}
    assert headers == {"NCT09000001 · Overall response at day 28", "ChiCTR2100000002 · Complete response at week 12",
                       "NCT09000003 · Overall response at 6 months"}
    # the article and the abstract disagree: two rows, each naming its document
    article, abstract = "Alpha-MSC plus ruxolitinib (Synth A et al.\n2024)", "Alpha-MSC plus ruxolitinib (Synth A et al.\n2023 (conference abstract))"
    assert article in labels and abstract in labels
    assert "Placebo plus ruxolitinib" in labels
    # within a group: experimental arms first, coloured by role
    assert labels.index(article) < labels.index("Placebo plus ruxolitinib")
    colours = {t.get_text(): t.get_color() for t in ax.get_yticklabels()}
    assert colours["Placebo plus ruxolitinib"] == ROLE_COLOURS["control"]
    assert colours[article] == ROLE_COLOURS["experimental"]
    numbers = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert "24/40  60.0% (44.6–73.7)" in numbers and "0/3  0.0% (0.0–56.1)" in numbers
    assert "Wilson" in ax.get_xlabel() and "%" in ax.get_xlabel()
    # Wilson score interval, checked against the closed form for 0 successes: z²/(n+z²)
    p, lo, hi = wilson_interval(0, 3)
    assert (p, lo) == (0, 0) and hi == pytest.approx(1.959963984540054 ** 2 / (3 + 1.959963984540054 ** 2))
    # 24/40 by hand: centre (0.6 + z²/80) / (1 + z²/40) = 0.59124, half-width 0.14528
    p, lo, hi = wilson_interval(24, 40)
    assert (round(lo, 4), round(hi, 4)) == (0.446, 0.7365)


def test_forest_plot_shows_printed_percentages_and_says_what_it_left_out(answer, tmp_path):
    from msckg.graph.query.plots import plot_rows

    q = read_query_file(QUERIES / "response-rates.rq")
    rows = answer("response-rates")
    i = rows.variables.index
    changed = []
    for r in rows.rows:
        r = list(r)
        if str(r[i("group_label")]) == "Gamma-MSC plus ciclosporin":  # a percentage printed without counts
            r[i("responders")] = r[i("denominator")] = None
        if str(r[i("group_label")]) == "Ciclosporin alone":  # a count without denominator or percentage
            r[i("denominator")] = r[i("percent")] = None
        changed.append(tuple(r))
    result = plot_rows(q, Rows(rows.variables, changed), tmp_path / "rr.svg")
    assert result.drawn == 6 and len(result.left_out) == 1
    assert "Ciclosporin alone" in result.left_out[0] and "no denominator" in result.left_out[0]
    fig = result.figures[0]
    assert "Not shown (1)" in fig.get_supxlabel() and "Ciclosporin alone" in fig.get_supxlabel()
    numbers = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert "70% as printed (no counts)" in numbers
    assert (tmp_path / "rr.svg").read_text().lstrip().startswith("<?xml")


def test_forest_plot_wraps_labels_and_splits_long_answers_into_pages(answer, tmp_path):
    from msckg.graph.query.plot_forest import PAGE_LINES
    from msckg.graph.query.plots import plot_rows

    q = read_query_file(QUERIES / "response-rates.rq")
    rows = answer("response-rates")
    i = rows.variables.index
    long_label = "A cohort with a label much longer than a slide can hold on one line without wrapping it"
    many = []
    for k in range(40):  # 40 cohorts of one trial: more than one page holds
        r = list(rows.rows[0])
        r[i("group_label")] = Literal(f"{long_label} {k}")
        r[i("evidence")] = Literal(f"https://example.org/r{k}")
        many.append(tuple(r))
    result = plot_rows(q, Rows(rows.variables, many), tmp_path / "many.pdf")
    assert len(result.files) >= 2 and result.drawn == 40
    assert [f.name for f in result.files] == [f"many-{n}.pdf" for n in range(1, len(result.files) + 1)]
    assert all(f.read_bytes()[:4] == b"%PDF" for f in result.files)
    drawn = [t.get_text() for fig in result.figures for t in fig.axes[0].get_yticklabels()]
    assert len(drawn) == 40 and all(len(fig.axes[0].get_yticklabels()) < PAGE_LINES for fig in result.figures)
    for text in drawn:  # wrapped at words, never cut: every word of the label is there
        assert "\n" in text and text.replace("\n", " ").startswith(long_label)
    png = plot_rows(q, Rows(rows.variables, many), tmp_path / "many.png")
    for f in png.files:
        _slide_sized(f)


def test_adverse_events_bar_chart(answer, tmp_path):
    from msckg.graph.query.plots import plot_rows

    q = read_query_file(QUERIES / "adverse-events.rq")
    rows = answer("adverse-events", **{"class": "msckg:AE_Haemorrhage"})
    out = tmp_path / "ae.png"
    result = plot_rows(q, rows, out)
    assert result.files == [out] and result.drawn == 5
    _slide_sized(out)
    ax = result.figures[0].axes[0]
    assert {t.get_text() for t in ax.get_yticklabels()} == {
        "gastrointestinal bleeding (grade 3)", "GI haemorrhage (grade 3)", "epistaxis (grade 1-2)", "melaena (grade 2)"}
    assert ax.get_xlabel().startswith("% of subjects at risk affected")
    assert "class: haemorrhage" in ax.get_title(loc="left")
    # the filter in the title, the axis at top and bottom, n/N on every bar
    assert all(t.label1.get_visible() and t.label2.get_visible() for t in ax.xaxis.get_major_ticks())
    assert sorted(t.get_text() for t in ax.texts) == sorted(["2/40", "1/40", "3/40", "1/10", "2/10"])
    legend = [t.get_text() for t in result.figures[0].legends[0].get_texts()]
    assert legend == ["NCT09000001 · Alpha-MSC plus ruxolitinib", "NCT09000001 · Placebo plus ruxolitinib",
                      "NCT09000003 · Gamma-MSC plus ciclosporin", "NCT09000003 · Ciclosporin alone"]  # experimental first
    widths = sorted(round(p.get_width(), 2) for p in ax.patches)
    assert widths == [2.5, 5.0, 7.5, 10.0, 20.0]
    severe = plot_rows(q, answer("adverse-events", min_grade=3, serious_only="true"), tmp_path / "severe.png")
    assert "grade ≥ 3" in severe.figures[0].axes[0].get_title(loc="left") and "serious only" in severe.figures[0].axes[0].get_title(loc="left")


def test_adverse_event_chart_keeps_a_slide_size_at_any_filter(answer, tmp_path):
    from msckg.graph.query.plots import plot_rows

    q = read_query_file(QUERIES / "adverse-events.rq")
    rows = answer("adverse-events")
    i = rows.variables.index
    many = []
    for k in range(90):
        r = list(rows.rows[k % len(rows.rows)])
        r[i("term")] = Literal(f"event term {k:02d}")
        many.append(tuple(r))
    result = plot_rows(q, Rows(rows.variables, many), tmp_path / "all.png")
    assert len(result.files) >= 3 and result.drawn == 90
    for f in result.files:
        _slide_sized(f)


def test_queries_without_a_plot_are_refused(answer, tmp_path):
    from msckg.graph.query.plots import plot_rows

    q = read_query_file(QUERIES / "trials.rq")
    with pytest.raises(ValueError, match="'trials' has no plot"):
        plot_rows(q, answer("trials"), tmp_path / "t.png")
    assert not (tmp_path / "t.png").exists()
    rr = read_query_file(QUERIES / "response-rates.rq")
    with pytest.raises(ValueError, match="no rows"):
        plot_rows(rr, Rows(answer("response-rates").variables, []), tmp_path / "e.png")
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf"):
        plot_rows(rr, answer("response-rates"), tmp_path / "rr.gif")
    with pytest.raises(ValueError, match="does not exist"):
        plot_rows(rr, answer("response-rates"), tmp_path / "no-such-folder" / "rr.png")
    # every query that has a plot says so in its tags, and only those
    from msckg.graph.query.plots import PLOTTERS

    tagged = {name for name, q in saved_queries(QUERIES).items() if "plot" in q.tags}
    assert tagged == set(PLOTTERS)
