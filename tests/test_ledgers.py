"""Idempotence and ledgers of the curated-record loader: loading twice (in any order) gives the same
canonical hash, and for every file records in = entities out + rejected, each rejection named."""

from __future__ import annotations

import shutil

import pytest

from msckg.graph.build.dataset import canonical_hash
from msckg.graph.paths import DATA, record_files
from msckg.loader.records import index_files, load_records, record_to_graph
from msckg.loader.schema import default_schema

from .conftest import MINI


def _hash(recs) -> str:
    return canonical_hash({r.graph_iri: r.graph for r in recs})


@pytest.mark.parametrize("folder", [DATA, MINI], ids=["data", "mini"])
def test_loading_twice_in_any_order_gives_the_same_canonical_hash(folder):
    files = record_files(folder)
    schema = default_schema()
    first = load_records(files, schema, load_time="2025-01-01T00:00:00+00:00")
    again = load_records(list(reversed(files)), schema, load_time="2026-06-30T12:00:00+00:00")
    assert _hash(first) == _hash(again)
    for r in first:
        assert r.records_in == r.entities_out + r.rejected and r.rejected == 0


def test_ledger_counts_and_names_every_rejection(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    rec = next((data / "records").glob("*.yaml"))
    rec.write_text(rec.read_text(encoding="utf-8")
                   .replace("count: 12", "count: twelve")             # wrong type
                   .replace("term: fever", "term: fever\n    colour: red")  # unknown field
                   + "  - just text\n"                                 # not a mapping
                   + "  - key: pub/example-2025/x\n    a: NoSuchClass\n", encoding="utf-8")  # unknown class
    schema = default_schema()
    files = record_files(data)
    index, trees, _ = index_files(files, schema)
    ledger = record_to_graph(rec, schema, index, trees[rec])
    assert ledger.records_in == ledger.entities_out + ledger.rejected
    assert ledger.rejected == 4
    named = {(p.record, p.field) for p in ledger.problems}
    assert named >= {("pub/example-2025/result/orr-msc-d28", "count"), ("pub/example-2025/ae/fever-msc", "colour"),
                     ("", "entities"), ("pub/example-2025/x", "a")}
    assert all(p.file == str(rec) and p.line > 0 and p.column > 0 for p in ledger.problems)
