"""Commands that answer questions: query (any read-only SPARQL), ask (a saved query), queries (the list)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .common import COLUMNS_HELP, FORMAT_HELP, LIMIT_HELP, STATE, err, fail, guarded, info, open_store, out, parse_params

QUERY_FORMAT_HELP = FORMAT_HELP + " CONSTRUCT and DESCRIBE: ttl (also for table), nt or jsonld."

EMBEDDED_TIMEOUT = 60.0
TIMEOUT_HELP = ("Seconds the query may run: then it is stopped, with a message and exit code 124 (default 60 on the "
                "embedded store, the global --timeout on a remote one; 0: no limit). Ctrl-C stops it at once.")
MEMORY_HELP = "MiB of memory the query may use on the embedded store: then it is stopped, exit code 124 (0: no cap)."


def _limits(timeout: float | None, memory_cap: float) -> float | None:
    """The embedded store's time limit (None: none), once both options are checked."""
    if timeout is not None and timeout < 0:
        fail(f"--timeout must be 0 (no limit) or a positive number of seconds, got {timeout:g}")
    if memory_cap < 0:
        fail(f"--memory-cap must be 0 (no cap) or a number of MiB, got {memory_cap:g}")
    limit = EMBEDDED_TIMEOUT if timeout is None else timeout
    return limit or None


def answer(call, timeout: float | None, memory_cap: float = 4096):
    """`call(store)` on the selected store within the limits: a remote store's request carries the deadline
    itself; an embedded query runs in a worker process killed at the deadline, over the cap or at Ctrl-C."""
    from .killable import run_killable

    limit = _limits(timeout, memory_cap)
    if STATE["endpoint"]:
        return call(open_store(timeout or None))
    return run_killable(lambda: call(open_store()), timeout=limit, memory_mib=memory_cap)


def stream(producer, plan, title: str | None, timeout: float | None, memory_cap: float = 4096) -> None:
    """`producer(store, plan, send)` (a producer of graph/query/stream.py) printed as it comes: on the embedded store
    from a worker process killed at the deadline, over the cap or at Ctrl-C; a remote store's answer is read
    whole and checked before its first row is printed (its request carries the deadline)."""
    from .killable import QueryTimeout, run_killable
    from .printer import Printer

    limit = _limits(timeout, memory_cap)
    try:
        plan.rows_wanted()  # a bad --limit is refused before the query runs
    except ValueError as exc:
        fail(str(exc))
    printer = Printer(plan, title)
    if STATE["endpoint"]:
        printer.finish(producer(open_store(timeout or None), plan, printer))
        return
    try:
        summary = run_killable(lambda send: producer(open_store(), plan, send), timeout=limit, memory_mib=memory_cap,
                               on_message=printer)
    except QueryTimeout as exc:
        if printer.stopped(exc):  # everything asked for was written; only counting the rest was cut short
            return
        raise
    printer.finish(summary)


@guarded
def query(
    file: str = typer.Argument(..., help="A .rq file, or - to read the query from standard input."),
    fmt: str = typer.Option("table", "--format", help=QUERY_FORMAT_HELP),
    columns: Optional[str] = typer.Option(None, "--columns", help=COLUMNS_HELP),
    limit: Optional[int] = typer.Option(None, "--limit", help=LIMIT_HELP),
    timeout: Optional[float] = typer.Option(None, "--timeout", help=TIMEOUT_HELP),
    memory_cap: float = typer.Option(4096, "--memory-cap", help=MEMORY_HELP),
):
    """Run any read-only SPARQL query: SELECT, ASK, CONSTRUCT or DESCRIBE (updates, LOAD and SERVICE are refused).

    The project's prefixes (msckg:, rdfs:, obo:, ... see ontology/prefixes.ttl) may be used without PREFIX lines.

    Rows are written as the query gives them (csv, tsv, json, xml; nt for graphs); a table shows its first rows and says how many more there are.

    Example: echo 'SELECT ?t ?id WHERE { ?t msckg:registration/msckg:registryId ?id }' | msckg query - --format csv

    Example: echo 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' | msckg query --timeout 10 -
    """
    from msckg.graph.query.stream import Plan, write_query

    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    stream(lambda store, plan, send: write_query(store, text, plan, send), Plan(fmt, columns, limit=limit), None,
           timeout, memory_cap)


@guarded
def ask(
    name: str = typer.Argument(..., help="Name of a saved query (see 'msckg queries')."),
    param: List[str] = typer.Option([], "--param", "-p", help="Parameter as name=value (repeatable)."),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
    columns: Optional[str] = typer.Option(None, "--columns", help=COLUMNS_HELP + " A table shows the query's default columns."),
    iris: bool = typer.Option(False, "--iris", help="Also show the IRI of each entity next to its label (tables)."),
    per_source: bool = typer.Option(False, "--per-source", help="One row per source document instead of one row per value."),
    limit: Optional[int] = typer.Option(None, "--limit", help=LIMIT_HELP),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw the answer to a .png, .svg or .pdf file (queries tagged 'plot')."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help=TIMEOUT_HELP),
    memory_cap: float = typer.Option(4096, "--memory-cap", help=MEMORY_HELP),
):
    """Answer a saved cross-study question.

    A value reported by several documents is one row, with every document in 'reported_by';
    --per-source lists each document's row.

    Example: msckg ask adverse-events --param min_grade=3 --param class=msckg:AE_Haemorrhage
    """
    from difflib import get_close_matches

    from msckg.graph.query.saved import run_saved, saved_queries

    queries = saved_queries()
    if name not in queries:
        close = get_close_matches(name, list(queries), n=1)
        fail(f"no saved query named '{name}'", f"did you mean '{close[0]}'? 'msckg queries' lists them" if close else "'msckg queries' lists them")
    q = queries[name]
    given = parse_params(param)
    if per_source:
        if q.param("per_source") is None:
            fail(f"'{name}' has no --per-source view: each of its rows already stands for one entity, not a value "
                 "reported by several documents")
        given["per_source"] = "true"
    if plot:
        from msckg.graph.query.plots import check_plot_path

        try:
            check_plot_path(q, plot)  # before the query runs, not after
        except ValueError as exc:
            fail(str(exc))
    title = q.summary if fmt == "table" else None
    if plot:  # a plot needs every row: they are gathered (saved answers with plots are small), then printed
        from msckg.graph.query.plots import plot_rows

        from .printer import emit

        rows = answer(lambda store: run_saved(store, q, given), timeout, memory_cap)
        emit(rows, fmt, title, columns, q.columns, iris, limit)
        result = plot_rows(q, rows, plot)
        info(f"plot written to {escape(', '.join(str(p) for p in result.files))}")
    else:
        from msckg.graph.query.stream import Plan, write_saved

        stream(lambda store, plan, send: write_saved(store, q, given, plan, send), Plan(fmt, columns, q.columns, iris, limit),
               title, timeout, memory_cap)
    if fmt == "table" and q.next_steps and not STATE["quiet"]:
        sys.stdout.flush()  # the answer first, then the hints (stderr), also when both go to one log
        err.print(Text("next:", style="dim"))
        for line in q.next_steps:
            err.print(Text(f"  {line}", style="dim"))


@guarded
def list_queries(fmt: str = typer.Option("table", "--format", help="table or json.")):
    """List the saved queries with their summaries and parameters.

    Example: msckg queries
    """
    from msckg.graph.query.saved import saved_queries

    qs = saved_queries()
    if fmt == "json":
        print(json.dumps([{"name": q.name, "summary": q.summary, "tags": q.tags, "columns": q.columns,
                           "params": [{"name": p.name, "type": p.type, "default": p.default, "doc": p.doc} for p in q.params]} for q in qs.values()], indent=2))
        return
    t = Table(title="saved queries (msckg ask NAME)", title_justify="left")
    for c in ("name", "summary", "parameters"):
        t.add_column(c, overflow="fold")
    for q in qs.values():
        t.add_row(Text(q.name), Text(q.summary), Text(", ".join(f"{p.name}:{p.type}" + (f"={p.default}" if p.default else "") for p in q.params)))
    out.print(t)
