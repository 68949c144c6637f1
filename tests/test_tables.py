"""Every saved query's default table fits a 100-column terminal on the seed graph, with labels, not IRIs."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from msckg.graph.paths import DATA
from msckg.graph.query.output import LONGEST_WORD, TABLE_LIMIT, cell_text, choose_columns, limit_rows, render_table
from msckg.graph.query.saved import run_saved, saved_queries

from .test_query_params import OxigraphMemoryStore

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def seed_store():
    if not any((DATA / "records").glob("*.yaml")):
        pytest.skip("data/records is empty: no seed graph to render")
    from msckg.graph.build.run import assemble, memory_store

    store, _ = memory_store(assemble())
    return OxigraphMemoryStore(store)


def render(rows, title, width=100) -> list[str]:
    buf = io.StringIO()
    # soft_wrap as the CLI console has it (graph/cli/common.py), which must not let a table run wide
    console = Console(file=buf, width=width, color_system=None, legacy_windows=False, soft_wrap=True)
    shown, left_out = limit_rows(rows, TABLE_LIMIT)
    render_table(shown, console, title, left_out)
    return buf.getvalue().splitlines()


@pytest.mark.parametrize("name", sorted(saved_queries()))
def test_default_table_fits_100_columns(seed_store, name):
    q = saved_queries()[name]
    rows = choose_columns(run_saved(seed_store, q), "table", default=q.columns)
    assert rows.rows, f"{name}: no rows on the seed graph"
    lines = render(rows, q.summary)
    assert max(len(line) for line in lines) <= 100, f"{name}: a line is wider than 100 columns"
    rule = next((i for i, line in enumerate(lines) if line.startswith("─")), None)
    assert rule, f"{name}: not a column table (one record per row): its default columns do not fit"
    header = lines[rule - 1]
    for column in rows.variables:  # a column table, headers whole (not a record per row, not broken)
        assert column in header.split(), f"{name}: header '{column}' is broken or missing: {header!r}"
    body = "\n".join(lines)
    assert "https://w3id.org/msckg/id/" not in body and "id:trial/" not in body, f"{name}: IRIs in the default table"
    # nothing cut off: every word of every shown cell is in the table, whole (rich once laid out a table wider
    # than the terminal and the console cut the ends of the last column's lines: docs/decisions/0172)
    shown, _ = limit_rows(rows, TABLE_LIMIT)
    words = {w for r in shown.rows for t in r for w in cell_text(t).split() if len(w) <= LONGEST_WORD}
    lost = sorted(w for w in words if w not in body)
    assert not lost, f"{name}: words missing from the table: {lost[:10]}"
    assert lines[-1].startswith((f"{len(rows.rows)} row", f"{TABLE_LIMIT} of {len(rows.rows)} rows shown"))


def test_too_many_columns_become_one_record_per_row(seed_store):
    q = saved_queries()["response-rates"]
    rows = choose_columns(run_saved(seed_store, q), "table", columns="all")
    lines = render(rows, q.summary)
    assert max(len(line) for line in lines) <= 100
    assert any(line.startswith("row 1 ") for line in lines) and any(line.startswith("evidence ") for line in lines)
