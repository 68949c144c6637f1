"""The Python API: docs/python.md runs as written (doctest), answers carry labels, pandas is optional."""

from __future__ import annotations

import doctest
import os
import shutil
import sys
from pathlib import Path

import pytest

import msckg
from msckg.graph.api import Answer, Term
from msckg.graph.store.base import Rows

ROOT = Path(__file__).resolve().parent.parent


def test_docs_python_page_runs_as_written(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MSCKG_STORE", raising=False)
    res = doctest.testfile(str(ROOT / "docs" / "python.md"), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 12 and res.failed == 0, f"{res.failed} of {res.attempted} examples in docs/python.md failed"


def test_api_modules_have_runnable_docstrings():
    import msckg.graph.api.answer as answer

    res = doctest.testmod(answer)
    assert res.attempted >= 1 and res.failed == 0


def test_answer_rows_terms_and_labels():
    from rdflib import Literal, URIRef

    rows = Rows(["x", "n"], [(URIRef("https://w3id.org/msckg/Phase1"), Literal(3)), (None, Literal("2.5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal")))])
    a = Answer(rows, {"https://w3id.org/msckg/Phase1": "phase 1"})
    assert a.columns == ["x", "n"] and len(a) == 2
    assert isinstance(a[0]["x"], Term) and a[0]["x"].label == "phase 1" and a[0]["x"].curie == "msckg:Phase1"
    assert a[0]["n"] == 3 and a[1]["x"] is None and a[1]["n"] == 2.5


def test_to_pandas_adds_label_columns_or_says_how_to_install(monkeypatch):
    from rdflib import URIRef

    a = Answer(Rows(["x"], [(URIRef("https://w3id.org/msckg/Phase1"),)]), {"https://w3id.org/msckg/Phase1": "phase 1"})
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            a.to_pandas()
        return
    df = a.to_pandas()
    assert list(df.columns) == ["x", "x_label"] and df.loc[0, "x_label"] == "phase 1"
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    with pytest.raises(ImportError, match="pip install pandas"):
        a.to_pandas()


def test_unknown_question_and_missing_store(tmp_path):
    from msckg.graph.store.base import StoreError

    kg = msckg.open(store=tmp_path / "none")
    with pytest.raises(KeyError, match="no saved query named 'trails'"):
        kg.ask("trails")
    with pytest.raises(StoreError, match="run 'msckg build' first"):
        kg.ask("trials")


def test_default_store_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MSCKG_STORE", str(tmp_path / "kg"))
    assert msckg.open().folder == tmp_path / "kg"
    assert os.environ["MSCKG_STORE"].endswith("kg")
