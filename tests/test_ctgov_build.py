"""Generality: the seed records and every real ClinicalTrials.gov record build into one valid graph that the saved queries answer."""

from __future__ import annotations

import pytest

from msckg.graph.build.run import build
from msckg.graph.query.saved import run_saved, saved_queries
from msckg.graph.store.embedded import EmbeddedStore

from .conftest import shared_or_skip


@pytest.fixture(scope="module")
def mixed_store(tmp_path_factory):
    folder = shared_or_skip("ctgov", "v2")
    records = sorted(folder.glob("NCT*.json"))
    store = tmp_path_factory.mktemp("mixed") / "store"
    res = build(store, extra_sources=records)
    return EmbeddedStore(store), res, records


def test_build_with_registry_records_validates(mixed_store):
    _, res, records = mixed_store
    assert res.report.ok
    ctgov = [r for r in res.assembled.reports if r.path.endswith(".json")]
    assert len(ctgov) == len(records)
    assert all(r.records_in == r.entities_out + r.rejected for r in ctgov)


def test_trials_query_lists_registry_trials(mixed_store):
    store, _, _ = mixed_store
    rows = run_saved(store, saved_queries()["trials"])
    ids = {str(r[rows.variables.index("registry_ids")]) for r in rows.rows}
    assert any("NCT04431453" in i for i in ids) and any("NCT04014166" in i for i in ids)


@pytest.mark.parametrize("name", sorted(saved_queries()))
def test_every_saved_query_runs_on_the_mixed_graph(mixed_store, name):
    store, _, _ = mixed_store
    rows = run_saved(store, saved_queries()[name])
    assert rows.variables
