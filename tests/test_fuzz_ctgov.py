"""Property tests of the ClinicalTrials.gov loader's public entry point ctgov_to_graph: whatever the JSON,
only SourceError escapes. The registry loader is being rewritten (issue on ClinicalTrials.gov): what
this finds is reported with a reproducer under fuzz/findings/, not fixed here."""

from __future__ import annotations

import copy
import json

from hypothesis import given
from hypothesis import strategies as st

from fuzz.inputs import STUDY
from msckg.loader.ctgov import ctgov_to_graph
from msckg.loader.errors import SourceError

from . import fuzzing  # noqa: F401  (profiles)

LEAF = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.sampled_from(
    ["NCT01234567", "PHASE1", "RANDOMIZED", "EG000", "OG000", "FG000", "18 Years", "2020-01", "Participants", "NA", ""])
JSON = st.recursive(LEAF, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3), max_leaves=12)


def _paths(tree, prefix=()):
    yield prefix
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _paths(v, prefix + (i,))


PATHS = [p for p in _paths(STUDY) if p]


def _set(tree, path, value):
    for k in path[:-1]:
        tree = tree[k]
    tree[path[-1]] = value


def load(tmp_path, data: bytes):
    path = tmp_path / "NCT01234567.json"
    path.write_bytes(data)
    try:
        ctgov_to_graph(path)
    except SourceError as exc:
        assert exc.problems


@given(st.lists(st.tuples(st.sampled_from(PATHS), JSON), min_size=1, max_size=3))
def test_study_with_wrong_types(tmp_path, changes):
    study = copy.deepcopy(STUDY)
    for path, value in changes:
        try:
            _set(study, path, value)
        except (KeyError, IndexError, TypeError):
            pass
    load(tmp_path, json.dumps(study).encode())
