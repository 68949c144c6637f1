"""Property tests of the curated-record loader: whatever the bytes, only SourceError escapes, and a
record that loads loads the same way twice."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from fuzz.inputs import RECORD
from msckg.graph.build.dataset import canonical_hash
from msckg.loader.errors import SourceError
from msckg.loader.records import load_records
from msckg.loader.schema import default_schema

from . import fuzzing  # noqa: F401  (profiles)

SCHEMA = default_schema()
FIELDS = sorted(SCHEMA.fields) + ["key", "a", "document", "entities", "<<", "?"]
SCALARS = st.one_of(st.text(max_size=30), st.sampled_from(["NCT00000001", "trial/NCT00000001", "Phase1", "msckg:AE_Fever", "MONDO:0008558",
                                                          "12", "60.0", "1e3", "true", "2019-07", "2024-02-30", "", "~", "0x1F", "-0"]),
                    st.integers(), st.floats(allow_nan=True), st.booleans(), st.none())
TREES = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), kids, max_size=5), max_leaves=25)


def _load(tmp_path, data: bytes):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    try:
        return load_records([path], SCHEMA)
    except SourceError as exc:
        assert exc.problems and all(p.file == str(path) for p in exc.problems)
        return None


@given(st.binary(max_size=400))
def test_any_bytes(tmp_path, data):
    _load(tmp_path, data)


@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#%@`,?\n\t ~01.") + ["\u00e9", "\x85", "\ufeff", "\x00"]), max_size=200))
def test_yaml_punctuation(tmp_path, text):
    _load(tmp_path, text.encode("utf-8", "surrogatepass"))


@given(st.dictionaries(st.sampled_from(["document", "entities"]), TREES, max_size=2))
def test_record_shaped_trees(tmp_path, tree):
    _load(tmp_path, json.dumps(tree).encode())  # JSON is YAML 1.2


@given(st.integers(0, len(RECORD) - 1), st.text(max_size=12))
def test_mutated_valid_record_loads_twice_the_same(tmp_path, at, insert):
    data = (RECORD[:at] + insert + RECORD[at:]).encode("utf-8", "surrogatepass")
    first = _load(tmp_path, data)
    if first is not None:
        again = _load(tmp_path, data)
        assert canonical_hash({r.graph_iri: r.graph for r in first}) == canonical_hash({r.graph_iri: r.graph for r in again})
        for r in first:
            assert r.records_in == r.entities_out + r.rejected
