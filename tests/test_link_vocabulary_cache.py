"""The MONDO/CL/UBERON link vocabulary is built once per user, not once per store (graph.paths.user_cache)."""

from __future__ import annotations

import sqlite3

import pytest

from msckg.graph.search import link_vocabulary
from msckg.graph.search.expand import ExternalOntologies


def _terms(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT COUNT(*), MIN(iri), MAX(iri) FROM lterm").fetchone()
    finally:
        con.close()


def test_a_second_store_copies_the_vocabulary_from_the_user_cache(tmp_path, monkeypatch):
    if not ExternalOntologies.available():
        pytest.skip("cellxgene-ontology-guide is not installed")
    monkeypatch.setenv("MSCKG_CACHE_DIR", str(tmp_path / "user"))
    monkeypatch.setattr(link_vocabulary, "_BASE_FILES", {})
    first = link_vocabulary.external_vocabulary(tmp_path / "store-a" / ".search-cache")
    kept = list((tmp_path / "user").glob("link-vocabulary-*.sqlite"))
    in_a = list((tmp_path / "store-a" / ".search-cache").glob("link-vocabulary-*.sqlite"))
    assert len(kept) == 1 and len(in_a) == 1

    def refuse(path):
        raise AssertionError("built again although the user cache holds it")

    monkeypatch.setattr(link_vocabulary, "_write_base", refuse)
    monkeypatch.setattr(link_vocabulary, "_BASE_FILES", {})  # as in a new process
    second = link_vocabulary.external_vocabulary(tmp_path / "store-b" / ".search-cache")
    in_b = list((tmp_path / "store-b" / ".search-cache").glob("link-vocabulary-*.sqlite"))
    assert len(in_b) == 1
    assert _terms(second) == _terms(first) == _terms(in_a[0]) == _terms(in_b[0]) and _terms(first)[0] > 10_000


def test_off_means_no_user_cache(tmp_path, monkeypatch):
    from msckg.graph.paths import user_cache

    monkeypatch.setenv("MSCKG_CACHE_DIR", "off")
    assert user_cache() is None
    monkeypatch.delenv("MSCKG_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_cache() == tmp_path / "msckg"
