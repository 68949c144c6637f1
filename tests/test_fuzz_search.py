"""Property tests of the search query parser: whatever the text, types and limit, only SearchError escapes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz.inputs import SEARCH_WORDS
from msckg.graph.search.rank import SearchError, Searcher

from . import fuzzing  # noqa: F401  (profiles)


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    import shutil

    from msckg.graph.build.run import build
    from msckg.graph.search import live_folder

    from .conftest import MINI

    root = tmp_path_factory.mktemp("fuzz-search")
    shutil.copytree(MINI, root / "data")
    build(root / "store", data=root / "data")
    return Searcher(live_folder(root / "store"), embedder=None)


QUERY = st.one_of(st.text(max_size=60), st.lists(st.sampled_from(SEARCH_WORDS) | st.text(max_size=4), max_size=30).map(" ".join),
                  st.text(alphabet=st.characters(codec="utf-8"), min_size=400, max_size=700))


@given(QUERY)
def test_parse(searcher, text):
    try:
        variants, notes, cleaned = searcher.parse(text)
    except SearchError:
        return
    assert variants and len(cleaned) <= 500


@given(QUERY, st.lists(st.sampled_from(["Trial", "AdverseEventCount", "msckg:Arm", "nonsense", "", "https://w3id.org/msckg/Trial"]) | st.text(max_size=5), max_size=2),
       st.one_of(st.integers(-5, 1005), st.sampled_from(["3", "x", None])), st.sampled_from(["auto", "lexical", "blended", "bad"]))
def test_search(searcher, text, types, limit, mode):
    try:
        res = searcher.search(text, types=types or None, limit=limit, mode=mode)
    except SearchError:
        return
    assert len(res.hits) <= int(limit)
