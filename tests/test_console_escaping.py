"""Text from the data is printed as text: labels, titles and values holding rich markup ('[/]', '[bold]')
neither crash a command nor change how it prints (every command that prints them, as a table too)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from msckg.graph.build.run import build
from msckg.graph.cli import app

HOSTILE = "[/] [bold]b[/bold] [red] [link=http://127.0.0.1:9]l[/link] \\[x]"


def _hostile(data) -> None:
    """Every label, term and locator of the mini data set made hostile (quoted, so still text)."""
    for f in data.rglob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        text = re.sub(r"^(\s+)(label|term|locator|timePoint): (.+)$", lambda m: f"{m[1]}{m[2]}: '{m[3]} {HOSTILE}'", text, flags=re.M)
        f.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    import shutil

    from .conftest import MINI

    root = tmp_path_factory.mktemp("hostile")
    data = root / "data"
    shutil.copytree(MINI, data)
    _hostile(data)
    build(root / "store", data=data)
    return root / "store", data


def run(*args):
    res = CliRunner().invoke(app, list(args), env={"COLUMNS": "240"})  # wide enough that no cell wraps the markup
    text = res.output
    assert "MarkupError" not in text and "Traceback" not in text, text
    return res, text


def test_the_data_really_holds_the_markup(hostile_store):
    from msckg.graph.store.embedded import EmbeddedStore

    store, _ = hostile_store
    rows = EmbeddedStore(store).select("SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }")
    assert any(HOSTILE in str(r[0]) for r in rows.rows)


def test_check_and_build_reports(hostile_store, tmp_path):
    _, data = hostile_store
    files = sorted(str(f) for f in data.rglob("*.yaml"))
    res, text = run("check", *files)
    assert res.exit_code == 0, text
    res, text = run("--store", str(tmp_path / "s"), "build", "--data", str(data))
    assert res.exit_code == 0 and "built" in text, text


def test_errors_that_quote_the_data(hostile_store, tmp_path):
    _, data = hostile_store
    bad = tmp_path / "bad[bold].yaml"
    bad.write_text(f"entities:\n  - key: org/x\n    a: Organisation\n    '{HOSTILE}': 1\n    label: {HOSTILE.replace('[', 'x')}\n", encoding="utf-8")
    res, text = run("check", str(bad))
    assert res.exit_code == 1 and f"unknown field '{HOSTILE}'" in text and "bad[bold].yaml" in text, text


def test_validation_report_quotes_values(hostile_store, tmp_path):
    import shutil

    _, data = hostile_store
    d = tmp_path / "data"
    shutil.copytree(data, d)
    rec = next((d / "records").glob("*.yaml"))
    rec.write_text(re.sub(r"doi: .*", f"doi: '10.1000/[/]{HOSTILE}'", rec.read_text(encoding="utf-8")), encoding="utf-8")
    res, text = run("--store", str(tmp_path / "s"), "build", "--data", str(d))
    assert res.exit_code == 1 and "R-PUB-DOI" in text and f"10.1000/[/]{HOSTILE}" in text, text


def test_search_and_link_tables(hostile_store):
    store, _ = hostile_store
    res, text = run("--store", str(store), "search", "overall response")
    assert res.exit_code == 0 and "[/]" in text and "[bold]b[/bold]" in text, text
    res, text = run("--store", str(store), "search", HOSTILE)
    assert res.exit_code == 0, text
    res, text = run("--store", str(store), "search", "fever", "--type", HOSTILE)
    assert res.exit_code == 1 and HOSTILE.split()[0] in text, text
    res, text = run("--store", str(store), "link", f"aplastic anaemia {HOSTILE}")
    assert res.exit_code == 0 and "[bold]b[/bold]" in text, text


def test_parameter_values_in_errors(hostile_store):
    store, _ = hostile_store
    res, text = run("--store", str(store), "ask", "adverse-events", "--param", f"class={HOSTILE}")
    assert res.exit_code == 1 and "[/]" in text, text
    res, text = run("--store", str(store), "ask", "adverse-events", "--param", HOSTILE)
    assert res.exit_code == 1 and "[bold]b[/bold]" in text, text
    res, text = run("--store", str(store), "ask", HOSTILE)
    assert res.exit_code == 1 and "[/]" in text, text


# Saved-query tables print their cells as rich markup on main (graph/query/output.py); the issue-#10
# rewrite of that module escapes them. Strict: once it lands these pass, and the lead empties the set.
MARKUP_IN_TABLES: set[str] = set()  # saved queries whose tables still read data as markup (issue 10 fixed the last ones)


def _saved_names():
    from msckg.graph.query.saved import saved_queries

    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="output.py prints cells as markup until issue #10 lands"))
            if n in MARKUP_IN_TABLES else n for n in sorted(saved_queries())]


@pytest.mark.parametrize("name", _saved_names())
def test_every_saved_query_prints_hostile_titles_as_a_table(hostile_store, name):
    store, _ = hostile_store
    res, text = run("--store", str(store), "ask", name)
    assert res.exit_code == 0, text
