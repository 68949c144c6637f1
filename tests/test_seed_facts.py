"""Seed facts: values read by hand from the five source documents, checked against the built graph.

tests/seed_facts.yaml lists facts as printed in /work/shared/seeds/*.txt (doc, entity key, ontology
property local name, value as printed, where it is printed). Each fact becomes one test: the seed
dataset is assembled in memory once, and a SPARQL query with the entity IRI and the property IRI
bound (VALUES clause built from NamedNode terms) must return exactly the printed value. Numbers are
compared numerically (the store writes "44.40" as "44.4", "1.0e6" is 1000000), text exactly.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
FACTS_FILE = ROOT / "tests" / "seed_facts.yaml"
RECORDS = ROOT / "data" / "records"

ID = "https://w3id.org/msckg/id/"
MSCKG = "https://w3id.org/msckg/"
XSD = "http://www.w3.org/2001/XMLSchema#"
SPECIAL_FIELDS = {  # record fields that are not msckg: properties (data/README.md)
    "label": "http://www.w3.org/2000/01/rdf-schema#label",
    "altLabel": "http://www.w3.org/2004/02/skos/core#altLabel",
    "seeAlso": "http://www.w3.org/2000/01/rdf-schema#seeAlso",
}
# Properties that legitimately hold several values on one entity: the printed value must be one of them.
MULTI_VALUED = {"grantNumber", "altLabel", "inclusionCriterion", "exclusionCriterion", "formulation",
                "tissueSource", "affiliation", "regimen", "includesArm", "seeAlso",
                "patientNumber", "resolution", "ethicalStandard", "informedConsent", "analysisSoftware",
                "manufacturingStep", "funderRole", "fundingCovered", "acknowledges"}
NUMERIC_TYPES = {XSD + t for t in (
    "integer", "decimal", "double", "float", "nonNegativeInteger", "positiveInteger", "negativeInteger",
    "nonPositiveInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte")}
DOCS = ("000", "001", "002", "003", "004")
MIN_FACTS = 80
MIN_PER_DOC = 5
REQUIRED_KEYS = {"doc", "key", "field", "value", "source_says"}


def _load_facts() -> list[dict]:
    if not FACTS_FILE.exists() or not FACTS_FILE.read_text(encoding="utf-8").strip():
        return []
    data = YAML(typ="safe").load(FACTS_FILE.read_text(encoding="utf-8"))
    return list(data or [])


FACTS = _load_facts()
if not FACTS:
    pytest.skip(f"{FACTS_FILE.relative_to(ROOT)} is missing or empty: no seed facts to check",
                allow_module_level=True)
if not RECORDS.is_dir() or not any(RECORDS.glob("*.yaml")):
    pytest.skip(f"{RECORDS.relative_to(ROOT)} holds no record files: nothing to check the seed facts against",
                allow_module_level=True)


def _fact_id(fact: dict) -> str:
    return f"{fact.get('doc')}:{fact.get('key')}:{fact.get('field')}"


@pytest.fixture(scope="module")
def store():
    """The seed dataset (ontology + data/), assembled and loaded into an in-memory store once."""
    from msckg.graph.build.run import assemble, memory_store

    st, _ = memory_store(assemble())
    return st


def _values(store, key: str, field: str) -> list:
    """Every object of (entity, property) in any graph; entity and property bound through VALUES."""
    import pyoxigraph as ox

    subject = ox.NamedNode(ID + key)  # NamedNode checks that these are valid IRIs
    prop = ox.NamedNode(SPECIAL_FIELDS.get(field, MSCKG + field))
    query = f"SELECT ?v WHERE {{ VALUES (?s ?p) {{ ({subject} {prop}) }} ?s ?p ?v }}"
    return [sol["v"] for sol in store.query(query, use_default_graph_as_union=True)]


def _entity_exists(store, key: str) -> bool:
    import pyoxigraph as ox

    subject = ox.NamedNode(ID + key)
    query = f"ASK {{ VALUES ?s {{ {subject} }} ?s ?p ?o }}"
    return bool(store.query(query, use_default_graph_as_union=True))


def _as_decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None


def _matches(term, printed: str) -> bool:
    """Stored term equals the printed value: numerically for numeric literals, else as exact text."""
    value = getattr(term, "value", str(term))
    datatype = getattr(getattr(term, "datatype", None), "value", None)
    if datatype in NUMERIC_TYPES:
        want, got = _as_decimal(printed), _as_decimal(value)
        return want is not None and got is not None and want == got
    return value == printed


def _show(term) -> str:
    datatype = getattr(getattr(term, "datatype", None), "value", "")
    return f"{getattr(term, 'value', term)!r}" + (f"^^{datatype.replace(XSD, 'xsd:')}" if datatype else "")


def test_fact_file_coverage():
    """At least 80 well-formed facts, and at least 5 from each of the five documents."""
    assert len(FACTS) >= MIN_FACTS, f"only {len(FACTS)} seed facts; at least {MIN_FACTS} are required"
    for i, fact in enumerate(FACTS):
        assert isinstance(fact, dict) and REQUIRED_KEYS <= set(fact), f"fact #{i + 1} lacks {REQUIRED_KEYS - set(fact or {})}"
        assert all(isinstance(fact[k], str) for k in REQUIRED_KEYS), f"fact #{i + 1} ({_fact_id(fact)}): every field must be text"
        assert fact["doc"] in DOCS, f"fact #{i + 1}: doc {fact['doc']!r} is not one of {DOCS}"
    per_doc = Counter(f["doc"] for f in FACTS)
    thin = {d: per_doc.get(d, 0) for d in DOCS if per_doc.get(d, 0) < MIN_PER_DOC}
    assert not thin, f"documents with fewer than {MIN_PER_DOC} facts: {thin}"
    ids = Counter(_fact_id(f) for f in FACTS)
    dupes = [i for i, n in ids.items() if n > 1]
    assert not dupes, f"duplicate facts: {dupes}"


@pytest.mark.parametrize("fact", FACTS, ids=[_fact_id(f) for f in FACTS])
def test_seed_fact(store, fact):
    key, field, printed = fact["key"], fact["field"], fact["value"]
    where = f"[doc {fact['doc']}; source: {fact['source_says']}]"
    values = _values(store, key, field)
    if not values:
        if not _entity_exists(store, key):
            pytest.fail(f"entity {ID + key} is not in the graph {where}")
        pytest.fail(f"{key} has no {field}; the source prints {printed!r} {where}")
    shown = ", ".join(_show(v) for v in values)
    if field in MULTI_VALUED:
        assert any(_matches(v, printed) for v in values), \
            f"{key} {field}: printed {printed!r} is not among the stored values [{shown}] {where}"
        return
    assert len(values) == 1, f"{key} {field}: expected one value, the graph holds [{shown}] {where}"
    assert _matches(values[0], printed), \
        f"{key} {field}: graph holds {shown}, the source prints {printed!r} {where}"
