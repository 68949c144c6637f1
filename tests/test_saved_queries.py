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
    "trials": ["trial", "registry_ids", "title", "phase", "allocation", "masking", "conditions", "enrolled", "products", "manufacturers"],
    "shared-manufacturers": ["manufacturer", "trial_count", "trials"],
    "cell-dose-by-regimen": ["trial", "arm", "dose_per_kg", "unit", "administrations", "frequency", "dose_per_kg_per_week", "cumulative_dose_per_kg"],
    "response-rates": ["trial", "arm_or_population", "outcome", "timepoint", "responders", "denominator", "proportion", "definition", "computed_proportion"],
    "controlled-comparisons": ["trial", "outcome", "population", "experimental_arm", "control_arm", "statistic", "estimate", "ci_lower", "ci_upper", "p_value"],
    "adverse-events": ["trial", "arm", "term", "grade", "serious", "affected", "at_risk"],
    "infusion-reactions": ["trial", "arm", "event", "grade", "affected", "at_risk"],
    "paediatric-trials": ["trial", "min_age", "max_age", "basis"],
    "add-on-designs": ["trial", "cell_therapy", "background_therapy"],
    "funding-and-conflicts": ["trial", "funder", "funder_kind", "grants", "conflict_statement"],
    "product-characterisation": ["product", "manufacturer", "positive_markers", "negative_markers", "isct_complete", "missing"],
    "publications": ["trial", "publication_count", "publications"],
    "source-conflicts": ["trial", "quantity", "source_a", "value_a", "source_b", "value_b"],
    "time-to-response": ["trial", "arm", "outcome", "median", "unit", "range"],
}

# every query with its default parameters, plus the parameter combinations worth comparing
CASES = [(name, {}) for name in EXPECTED_QUERIES] + [
    ("adverse-events", {"min_grade": "3"}),
    ("adverse-events", {"min_grade": "2"}),
    ("adverse-events", {"serious_only": "true"}),
    ("adverse-events", {"class": "msckg:AE_Haemorrhage"}),
    ("adverse-events", {"class": "msckg:AE_GastrointestinalHaemorrhage"}),
    ("adverse-events", {"class": "https://w3id.org/msckg/AE_Haemorrhage", "min_grade": "3", "serious_only": "true"}),
    ("adverse-events", {"class": "obo:OAE_0000001"}),
]


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
        text = str(term)
        return ("str", "; ".join(sorted(text.split("; "))))
    return ("other", str(term))


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
    assert a["registry_ids"] == "NCT09000001"
    assert a["title"].startswith("Alpha-MSC added to ruxolitinib")
    assert (a["phase"], a["allocation"], a["masking"]) == ("phase 2", "randomized", "double blind")
    assert a["conditions"] == "steroid-refractory acute GVHD"
    assert a["enrolled"] == 80 and a["enrolment_kind"] == "actual"
    assert a["products"] == "Alpha-MSC" and a["manufacturers"] == "SynthCell Therapeutics Ltd"
    b = rows[iri("trial/NCT09000002")]
    assert as_set(b["registry_ids"]) == {"NCT09000002", "ChiCTR2100000002"}
    assert b["phase"] == "phase 1" and b["enrolled"] == 9
    c = rows[iri("trial/NCT09000003")]
    assert c["phase"] == "phase 4" and c["enrolled"] == 20 and c["enrolment_kind"] == "actual"
    assert c["manufacturers"] == "OtherCell University Hospital GMP Unit"


def test_shared_manufacturers(answer):
    rows = records(answer("shared-manufacturers"))
    assert len(rows) == 1
    (row,) = rows
    assert row["manufacturer"] == iri("org/synthcell")
    assert row["manufacturer_label"] == "SynthCell Therapeutics Ltd"
    assert row["trial_count"] == 2
    assert as_set(row["trials"]) == {iri("trial/NCT09000001"), iri("trial/NCT09000002")}
    assert as_set(row["products"]) == {"Alpha-MSC", "Beta-MSC"}


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
    assert ext["extension_of"] == iri("trial/NCT09000001/regimen/msc")
    assert ext["extension_condition"] == "Partial response at day 28"
    assert rows[iri("trial/NCT09000001/regimen/msc")]["frequency"] == "twice weekly"
    assert rows[iri("trial/NCT09000003/regimen/gamma")]["frequency"] == "single administration"


def test_response_rates(answer):
    rows = by(answer("response-rates"), "result")
    assert len(rows) == 7
    assert iri("pub/synth-c-2021/result/platelets-d90-msc") not in rows  # a laboratory outcome, not a response
    r = rows[iri("pub/synth-a-2024/result/orr-d28-placebo")]
    assert r["trial"] == iri("trial/NCT09000001")
    assert r["arm_or_population"] == iri("trial/NCT09000001/arm/placebo")
    assert (r["responders"], r["denominator"], r["proportion"], r["computed_proportion"]) == (14, 40, 35.0, 35.0)
    assert r["timepoint"] == "day 28"
    assert r["definition"].startswith("Complete or partial response of acute GVHD")
    assert r["response_kind"] == "overall response"
    high = rows[iri("pub/synth-b-2022/result/cr-w12-high")]
    assert (high["responders"], high["denominator"], high["proportion"], high["computed_proportion"]) == (2, 6, 33.3, 33.3)
    assert high["response_kind"] == "complete response" and high["timepoint"] == "week 12"
    low = rows[iri("pub/synth-b-2022/result/cr-w12-low")]
    assert (low["responders"], low["computed_proportion"]) == (0, 0)
    abstract = rows[iri("pub/synth-a-2023-abstract/result/orr-d28-msc")]
    assert (abstract["responders"], abstract["proportion"], abstract["source"]) == (25, 62.5, iri("pub/synth-a-2023-abstract"))


def test_controlled_comparisons(answer):
    rows = records(answer("controlled-comparisons"))
    assert len(rows) == 1
    (r,) = rows
    assert r["trial"] == iri("trial/NCT09000001")
    assert r["statistic"] == "odds ratio"
    assert (r["estimate"], r["ci_lower"], r["ci_upper"], r["p_value"]) == (2.79, 1.12, 6.94, 0.027)
    assert r["experimental_arm"] == iri("trial/NCT09000001/arm/msc")
    assert r["control_arm"] == iri("trial/NCT09000001/arm/placebo")
    assert r["population"] == iri("trial/NCT09000001/population/itt")
    assert r["outcome"] == iri("trial/NCT09000001/outcome/orr-d28")


def _aes(answer, **params) -> dict:
    return by(answer("adverse-events", **params), "ae")


def test_adverse_events_default_lists_every_event(answer):
    rows = _aes(answer)
    assert len(rows) == 13
    gi = rows[iri("pub/synth-a-2024/ae/gi-bleeding-msc")]
    assert (gi["trial"], gi["arm"], gi["term"], gi["grade"], gi["serious"], gi["affected"], gi["at_risk"]) == (
        iri("trial/NCT09000001"), iri("trial/NCT09000001/arm/msc"), "gastrointestinal bleeding", "3", True, 2, 40)
    assert gi["percent_affected"] == 5.0
    band = rows[iri("pub/synth-a-2024/ae/infusion-reaction-msc")]
    assert (band["grade"], band["grade_min"], band["grade_max"]) == ("1-2", 1, 2)
    death = rows[iri("pub/synth-c-2021/ae/death-safety")]
    assert death["arm"] == iri("trial/NCT09000003/population/safety") and death["trial"] == iri("trial/NCT09000003")
    headache = rows[iri("pub/synth-b-2022/ae/headache-trial")]
    assert headache["arm"] is None and headache["arm_label"] is None and headache["trial"] == iri("trial/NCT09000002")


def test_adverse_events_min_grade(answer):
    grade3 = set(_aes(answer, min_grade=3))
    assert grade3 == {iri(k) for k in (
        "pub/synth-a-2024/ae/gi-bleeding-msc", "pub/synth-a-2024/ae/gi-bleeding-placebo",
        "pub/synth-a-2023-abstract/ae/gi-bleeding-msc", "pub/synth-a-2024/ae/pneumonia-msc",
        "pub/synth-a-2024/ae/pneumonia-placebo", "pub/synth-b-2022/ae/alt-high", "pub/synth-c-2021/ae/death-safety")}
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
    assert _aes(answer, min_grade=3)[iri("pub/synth-a-2024/ae/pneumonia-msc")]["wholly_at_or_above_min_grade"] is True


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
    assert len(_aes(answer, **{"class": "obo:OAE_0000001"})) == 13
    assert _aes(answer, **{"class": "msckg:AE_Malignancy"}) == {}


def test_adverse_events_serious_only(answer):
    serious = _aes(answer, serious_only="true")
    assert len(serious) == 6 and all(r["serious"] is True for r in serious.values())
    assert len(_aes(answer, serious_only="false")) == 13


def test_infusion_reactions(answer):
    rows = by(answer("infusion-reactions"), "ae")
    assert set(rows) == {iri("pub/synth-a-2024/ae/infusion-reaction-msc"), iri("pub/synth-b-2022/ae/alt-high"),
                         iri("pub/synth-c-2021/ae/chills-msc")}
    ir = rows[iri("pub/synth-a-2024/ae/infusion-reaction-msc")]
    assert (ir["event"], ir["grade"], ir["affected"], ir["at_risk"]) == ("infusion reaction", "1-2", 3, 40)
    assert ir["infusion_reaction_class"] is True
    dlt = rows[iri("pub/synth-b-2022/ae/alt-high")]
    assert (dlt["dose_limiting"], dlt["infusion_related"], dlt["grade"], dlt["arm"]) == (True, False, "3", iri("trial/NCT09000002/arm/dose-high"))
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


def test_add_on_designs(answer):
    rows = by(answer("add-on-designs"), "cell_regimen")
    assert set(rows) == {iri("trial/NCT09000001/regimen/msc"), iri("trial/NCT09000003/regimen/gamma")}
    a = rows[iri("trial/NCT09000001/regimen/msc")]
    assert (a["trial"], a["cell_therapy"], a["background_therapy"]) == (
        iri("trial/NCT09000001"), iri("trial/NCT09000001/intervention/alpha-msc"), iri("trial/NCT09000001/intervention/ruxolitinib"))
    assert (a["cell_therapy_label"], a["background_therapy_label"], a["start_day"]) == ("Alpha-MSC infusion", "Ruxolitinib", 7)
    c = rows[iri("trial/NCT09000003/regimen/gamma")]
    assert c["background_therapy_label"] == "Ciclosporin" and c["arm"] == iri("trial/NCT09000003/arm/msc")


def test_funding_and_conflicts(answer):
    rows = records(answer("funding-and-conflicts"))
    assert len(rows) == 4
    index = {(r["trial"], r["funder"]): r for r in rows}
    a_industry = index[(iri("trial/NCT09000001"), iri("org/synthcell"))]
    assert a_industry["funder_kind"] == "industry" and a_industry["grants"] is None
    assert a_industry["conflict_statement"] == "Two authors are employees of the product manufacturer"
    assert a_industry["conflict_with_industry"] is True
    a_public = index[(iri("trial/NCT09000001"), iri("org/synth-research-council"))]
    assert a_public["funder_kind"] == "public funder"
    assert as_set(a_public["grants"]) == {"SRC-2020-001", "SRC-2021-002"}
    b = index[(iri("trial/NCT09000002"), iri("org/synth-research-council"))]
    assert (b["grants"], b["conflict_statement"], b["conflict_with_industry"]) == ("SRC-2022-010", "none declared", False)
    c = index[(iri("trial/NCT09000003"), None)]  # no funder stated: still a row, with its declared conflict
    assert c["funder_label"] is None and c["conflict_statement"] == "One author holds shares in the product manufacturer"
    assert c["conflict_organisations"] == "OtherCell University Hospital GMP Unit" and c["conflict_with_industry"] is False


def test_product_characterisation(answer):
    rows = by(answer("product-characterisation"), "product")
    assert set(rows) == {iri("product/synth-alpha"), iri("product/synth-beta"), iri("product/synth-gamma")}
    alpha = rows[iri("product/synth-alpha")]
    assert alpha["isct_complete"] is True and alpha["missing"] is None
    assert as_set(alpha["positive_markers"]) == {"CD73", "CD90", "CD105", "CD44"}
    assert as_set(alpha["negative_markers"]) == {"CD34", "CD45", "HLA-DR"}
    assert alpha["manufacturer"] == iri("org/synthcell")
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
    assert {k: r["publication_count"] for k, r in rows.items()} == {
        iri("trial/NCT09000001"): 2, iri("trial/NCT09000002"): 1, iri("trial/NCT09000003"): 1}
    a = rows[iri("trial/NCT09000001")]
    assert as_set(a["publications"]) == {"Synth A et al. 2024", "Synth A et al. 2023 (conference abstract)"}
    assert a["dois"] == "10.9999/synth.a.2024"  # the abstract has no DOI: the other one still shows
    assert as_set(a["kinds"]) == {"journal article", "conference abstract"}


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
    }
    flagged = {r["rule"]: r for r in rows if r["kind"] == "flagged by curator"}
    assert set(flagged) == {"R-SOURCE-CONFLICT", "R-NAME-VARIANT"}
    f = flagged["R-SOURCE-CONFLICT"]
    assert (f["trial"], f["node_a"], f["source_a"], f["locator_a"]) == (
        a, iri("pub/synth-a-2023-abstract/result/orr-d28-msc"), abstract, "Results ¶1")
    assert "responder count" in f["problem"]
    # a flag with no msckg:source, on an organisation: document and trial come from its graph
    g = flagged["R-NAME-VARIANT"]
    assert (g["trial"], g["node_a"], g["source_a"]) == (c, iri("org/othercell"), iri("pub/synth-c-2021"))


def test_time_to_response(answer):
    rows = by(answer("time-to-response"), "result")
    assert len(rows) == 3
    a = rows[iri("pub/synth-a-2024/result/ttr-msc")]
    assert (a["trial"], a["arm"], a["median"], a["unit"], a["range"], a["range_low"], a["range_high"]) == (
        iri("trial/NCT09000001"), iri("trial/NCT09000001/arm/msc"), 14, "day", "7–28", 7, 28)
    assert a["outcome"] == iri("trial/NCT09000001/outcome/ttr")
    assert {r["median"] for r in rows.values()} == {14, 30, 28}


# ------------------------------------------------------------------------------------------ plots


def test_response_rates_forest_plot(answer, tmp_path):
    from msckg.graph.query.plots import plot_rows, wilson_interval

    q = read_query_file(QUERIES / "response-rates.rq")
    rows = answer("response-rates")
    out = tmp_path / "rr.png"
    fig = plot_rows(q, rows, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 7
    assert "NCT09000001 · Placebo plus ruxolitinib · Overall response at day 28" in labels
    # the same arm and outcome from two documents: each line names its document
    assert "NCT09000001 · Alpha-MSC plus ruxolitinib · Overall response at day 28 [synth-a-2023-abstract]" in labels
    assert "NCT09000002 · Dose cohort 1 (0.5 x 10^6 cells/kg) · Complete response at week 12" in labels
    numbers = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert "24/40  60.0% (44.6–73.7)" in numbers
    assert "0/3  0.0% (0.0–56.1)" in numbers
    assert "Wilson" in ax.get_xlabel() and "%" in ax.get_xlabel()
    assert ax.get_title() == "Response rates by trial and arm"  # nothing left out on the fixture
    # Wilson score interval, checked against the closed form for 0 successes: z²/(n+z²)
    p, lo, hi = wilson_interval(0, 3)
    assert (p, lo) == (0, 0) and hi == pytest.approx(1.959963984540054 ** 2 / (3 + 1.959963984540054 ** 2))
    # 24/40 by hand: centre (0.6 + z²/80) / (1 + z²/40) = 0.59124, half-width 0.14528
    p, lo, hi = wilson_interval(24, 40)
    assert (round(lo, 4), round(hi, 4)) == (0.446, 0.7365)


def test_adverse_events_bar_chart(answer, tmp_path):
    from msckg.graph.query.plots import plot_rows

    q = read_query_file(QUERIES / "adverse-events.rq")
    rows = answer("adverse-events", **{"class": "msckg:AE_Haemorrhage"})
    out = tmp_path / "ae.png"
    fig = plot_rows(q, rows, out)
    assert out.exists() and out.read_bytes()[:4] == b"\x89PNG"
    ax = fig.axes[0]
    assert {t.get_text() for t in ax.get_yticklabels()} == {
        "gastrointestinal bleeding (grade 3)", "GI haemorrhage (grade 3)", "epistaxis (grade 1-2)", "melaena (grade 2)"}
    assert ax.get_xlabel() == "% of subjects at risk affected"
    legend = {t.get_text() for t in fig.legends[0].get_texts()}
    assert legend == {"NCT09000001 · Alpha-MSC plus ruxolitinib", "NCT09000001 · Placebo plus ruxolitinib",
                      "NCT09000003 · Gamma-MSC plus ciclosporin", "NCT09000003 · Ciclosporin alone"}
    widths = sorted(round(p.get_width(), 2) for p in ax.patches)
    assert widths == [2.5, 5.0, 7.5, 10.0, 20.0]


def test_queries_without_a_plot_are_refused(answer, tmp_path):
    from msckg.graph.query.plots import plot_rows

    q = read_query_file(QUERIES / "trials.rq")
    with pytest.raises(ValueError, match="'trials' has no plot"):
        plot_rows(q, answer("trials"), tmp_path / "t.png")
    assert not (tmp_path / "t.png").exists()
    rr = read_query_file(QUERIES / "response-rates.rq")
    with pytest.raises(ValueError, match="no rows"):
        plot_rows(rr, Rows(answer("response-rates").variables, []), tmp_path / "e.png")
    with pytest.raises(ValueError, match="PNG"):
        plot_rows(rr, answer("response-rates"), tmp_path / "rr.pdf")
    # every query that has a plot says so in its tags, and only those
    from msckg.graph.query.plots import PLOTTERS

    tagged = {name for name, q in saved_queries(QUERIES).items() if "plot" in q.tags}
    assert tagged == set(PLOTTERS)
