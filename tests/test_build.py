"""Builds are atomic and repeatable: a failed build (bad input, violation, crash) leaves the live store as it was."""

from __future__ import annotations

import hashlib
import shutil

import pyoxigraph as ox
import pytest

from msckg.graph.build.run import FAIL_ENV, STEPS, BuildFailed, build
from msckg.graph.paths import ONTOLOGY
from msckg.graph.store.base import StoreError
from msckg.graph.store.embedded import EmbeddedStore
from msckg.graph.store.generations import StoreLock
from msckg.loader.errors import SourceError


def fingerprint(store_folder) -> tuple[str, str]:
    """What the live store holds (hash of its sorted quads) and which generation is live."""
    s = EmbeddedStore(store_folder)
    data = sorted(s.dump(ox.RdfFormat.N_QUADS).decode().splitlines())
    live = (store_folder / "current").resolve().name
    del s
    return hashlib.sha256("\n".join(data).encode()).hexdigest(), live


def test_build_then_query(built_mini):
    store, _, res = built_mini
    s = EmbeddedStore(store)
    rows = s.select("PREFIX msckg: <https://w3id.org/msckg/> SELECT ?n WHERE { ?r a msckg:ProportionResult ; msckg:count ?n }")
    assert [int(r[0]) for r in rows.rows] == [12]
    assert "https://w3id.org/msckg/graph/pub/example-2025" in s.graphs()
    assert "https://w3id.org/msckg/graph/ontology" in s.graphs()
    assert res.report.ok


def test_rebuild_is_identical(built_mini, tmp_path):
    store, data, first = built_mini
    second = build(tmp_path / "other", data=data)
    assert (first.triples, first.canonical_hash) == (second.triples, second.canonical_hash)


@pytest.mark.parametrize("step", [s for s in STEPS if s != "cache"])
def test_injected_crash_leaves_store_untouched(built_mini, monkeypatch, step):
    store, data, _ = built_mini
    before = fingerprint(store)
    (data / "records" / "example-2025.yaml").write_text((data / "records" / "example-2025.yaml").read_text().replace("Results ¶2", "Results ¶3"))
    monkeypatch.setenv(FAIL_ENV, step)
    with pytest.raises(RuntimeError, match=f"injected failure at step '{step}'"):
        build(store, data=data)
    assert fingerprint(store) == before
    monkeypatch.delenv(FAIL_ENV)
    build(store, data=data)  # the store is still usable and the change now lands
    assert fingerprint(store) != before


def test_second_writer_is_refused(built_mini):
    store, data, _ = built_mini
    with StoreLock(store):
        with pytest.raises(StoreError, match="store in use"):
            build(store, data=data)


def _break(data, rel, old, new):
    p = data / rel
    p.write_text(p.read_text().replace(old, new, 1))


BAD_INPUTS = {
    "malformed yaml": ("records/example-2025.yaml", "  a: JournalArticle", "  a: [JournalArticle", "records/example-2025.yaml:"),
    "duplicate key": ("records/example-2025.yaml", "    count: 12\n", "    count: 12\n    count: 12\n", "duplicate key 'count'"),
    "unknown field": ("records/example-2025.yaml", "    atRisk: 20", "    atrisk: 20", "unknown field 'atrisk' (did you mean 'atRisk'?)"),
    "wrong type": ("records/example-2025.yaml", "    atRisk: 20", "    atRisk: many", "field 'atRisk': expected a whole number"),
    "missing reference": ("records/example-2025.yaml", "reports: trial/NCT00000001", "reports: trial/NCT00000002", "no entity with key 'trial/NCT00000002'"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_names_file_and_field_and_keeps_store(built_mini, case):
    store, data, _ = built_mini
    before = fingerprint(store)
    rel, old, new, expected = BAD_INPUTS[case]
    _break(data, rel, old, new)
    with pytest.raises(SourceError) as exc:
        build(store, data=data)
    text = str(exc.value)
    assert expected in text and rel.split("/")[-1] in text
    assert fingerprint(store) == before


def test_duplicate_trial_id_across_files_keeps_store(built_mini):
    store, data, _ = built_mini
    before = fingerprint(store)
    (data / "entities" / "copy.yaml").write_text("entities:\n  - key: trial/NCT00000001\n    a: Trial\n    label: copy\n")
    with pytest.raises(SourceError, match="key 'trial/NCT00000001' is already defined"):
        build(store, data=data)
    assert fingerprint(store) == before


def test_shape_violation_fails_build_and_keeps_store(built_mini):
    store, data, _ = built_mini
    before = fingerprint(store)
    _break(data, "records/example-2025.yaml", "    count: 12", "    count: 21")  # 21 of 20
    with pytest.raises(BuildFailed) as exc:
        build(store, data=data)
    rules = {v.rule for v in exc.value.report.failing}
    assert "R-COUNT-DENOMINATOR" in rules
    assert fingerprint(store) == before


def test_malformed_turtle_in_ontology_names_line(built_mini, tmp_path):
    store, data, _ = built_mini
    before = fingerprint(store)
    onto = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, onto)
    (onto / "terms" / "broken.ttl").write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<http://x> a owl:Class ;\n  <http://y> \"unclosed .\n")
    with pytest.raises(SourceError) as exc:
        build(store, data=data, ontology=onto)
    msg = str(exc.value)
    assert "broken.ttl:3:" in msg and "Turtle syntax error" in msg
    assert fingerprint(store) == before


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="run 'msckg build' first"):
        EmbeddedStore(tmp_path / "nowhere")


def test_malformed_ctgov_json_names_line_and_keeps_store(built_mini, tmp_path):
    store, data, _ = built_mini
    before = fingerprint(store)
    bad = tmp_path / "NCT00000009.json"
    bad.write_text('{"protocolSection": {"identificationModule": {"nctId": "NCT00000009",}}}')
    with pytest.raises(SourceError) as exc:
        build(store, data=data, extra_sources=[bad])
    assert "NCT00000009.json:1:" in str(exc.value)
    assert fingerprint(store) == before


REVIEWED_MAPPING = (
    "# curie_map:\n#   id: https://w3id.org/msckg/id/\n#   NCIT: http://purl.obolibrary.org/obo/NCIT_\n"
    "# mapping_set_id: https://w3id.org/msckg/mappings/test.sssom.tsv\n"
    "subject_id\tpredicate_id\tobject_id\tmapping_justification\treviewer_id\n"
    "id:trial/NCT00000001/outcome/orr-d28\tskos:closeMatch\tNCIT:C96643\tsemapv:LexicalMatching\tA Curator\n"
    "id:trial/NCT00000001/arm/msc\tskos:closeMatch\tNCIT:C174266\tsemapv:LexicalMatching\t\n"
)


def _ontology_with_mappings(tmp_path, text: str):
    onto = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, onto)
    (onto / "mappings").mkdir(exist_ok=True)
    (onto / "mappings" / "test.sssom.tsv").write_text(text, encoding="utf-8")
    return onto


def test_reviewed_sssom_rows_become_mapping_triples_in_the_next_build(built_mini, tmp_path):
    store, data, _ = built_mini
    assert "https://w3id.org/msckg/graph/mappings" not in EmbeddedStore(store).graphs()
    build(store, data=data, ontology=_ontology_with_mappings(tmp_path, REVIEWED_MAPPING))
    rows = EmbeddedStore(store).select(
        "SELECT ?s ?p ?o WHERE { GRAPH <https://w3id.org/msckg/graph/mappings> { ?s ?p ?o } }").rows
    assert [tuple(str(v) for v in r) for r in rows] == [(
        "https://w3id.org/msckg/id/trial/NCT00000001/outcome/orr-d28",
        "http://www.w3.org/2004/02/skos/core#closeMatch",
        "http://purl.obolibrary.org/obo/NCIT_C96643")]  # the unreviewed row is not loaded


def test_a_bad_reviewed_mapping_fails_the_build_and_keeps_store(built_mini, tmp_path):
    store, data, _ = built_mini
    before = fingerprint(store)
    bad = REVIEWED_MAPPING.replace("NCIT:C96643", "NOPE:1")
    with pytest.raises(SourceError) as exc:
        build(store, data=data, ontology=_ontology_with_mappings(tmp_path, bad))
    msg = str(exc.value)
    assert "test.sssom.tsv:6:3:" in msg and "object_id" in msg and "NOPE:1" in msg
    assert fingerprint(store) == before
