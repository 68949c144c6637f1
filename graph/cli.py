"""The msckg command line: a thin layer of typer commands over the graph package's functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from loader.errors import SourceError

from . import paths

app = typer.Typer(
    help="msckg: a knowledge graph of cell-therapy clinical trials.\n\n"
    "Typical use: 'msckg build' once, then 'msckg ask trials' or 'msckg query my.rq'.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True, soft_wrap=True)
# a pipe or a log has no width: tables get 160 columns there instead of rich's 80
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
STATE = {"verbose": False, "quiet": False, "store": None, "endpoint": None, "timeout": 30.0}

FORMAT_HELP = "Output format: table, csv, tsv or json."


@app.callback()
def main(
    store: Optional[Path] = typer.Option(None, "--store", envvar=paths.STORE_ENV, help="Folder of the embedded store (default ./store; env MSCKG_STORE)."),
    endpoint: Optional[str] = typer.Option(None, "--endpoint", envvar="MSCKG_ENDPOINT", help="Use a remote SPARQL 1.1 endpoint instead of the embedded store (query URL; the Graph Store Protocol URL is derived)."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds before a remote request is abandoned."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Show details and full tracebacks."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only print results and errors."),
):
    """Global options apply to every command."""
    STATE.update(verbose=verbose, quiet=quiet, store=store or paths.default_store(), endpoint=endpoint, timeout=timeout)


def fail(message: str, hint: str = "", code: int = 1):
    err.print(f"[bold red]error:[/bold red] {message}")
    if hint:
        err.print(f"[dim]hint: {hint}[/dim]")
    raise typer.Exit(code)


def info(message: str) -> None:
    if not STATE["quiet"]:
        err.print(message)


def guarded(fn):
    """Turn known errors into one clear line plus a hint (a traceback only with -v)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .binding import BindingError
        from .safety import UnsafeInput
        from .saved import ParamError
        from .store import StoreError

        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except SourceError as exc:
            if STATE["verbose"]:
                raise
            for p in exc.problems[:50]:
                err.print(f"[red]{p}[/red]")
            more = len(exc.problems) - 50
            fail(f"{len(exc.problems)} problem(s) in the sources" + (f" ({more} more not shown)" if more > 0 else ""),
                 "fix the files named above; 'msckg check FILE...' re-checks them without building")
        except (StoreError, ParamError, UnsafeInput, BindingError) as exc:
            if STATE["verbose"]:
                raise
            fail(str(exc))
        except Exception as exc:  # last resort: one line, not a traceback
            if STATE["verbose"]:
                raise
            fail(f"{type(exc).__name__}: {exc}", "run again with -v for the full traceback")

    return wrapper


def open_store():
    """The store selected by the global options: remote endpoint if given, else the embedded one."""
    if STATE["endpoint"]:
        from .remote import RemoteStore

        return RemoteStore(STATE["endpoint"], timeout=STATE["timeout"])
    from .store import EmbeddedStore

    return EmbeddedStore(STATE["store"])


@app.command()
@guarded
def check(files: List[Path] = typer.Argument(None, help="Record files to check (default: every file in data/).")):
    """Check curated record files without building: syntax, fields, types, references.

    Example: msckg check data/entities/*.yaml data/records/000-chen-2024-sttt.yaml
    """
    from loader.records import load_records
    from loader.schema import build_schema

    files = files or paths.record_files()
    recs = load_records([f.resolve() for f in files], build_schema(paths.ONTOLOGY), paths.ROOT)
    for r in recs:
        info(f"{r.path}: {r.records_in} in, {r.entities_out} entities out, {r.rejected} rejected, {len(r.graph)} triples")
    out.print(f"[green]ok[/green]: {len(recs)} file(s), {sum(r.entities_out for r in recs)} entities")


@app.command()
@guarded
def build(
    ctgov: List[Path] = typer.Option([], "--source", "--ctgov", help="Also load a ClinicalTrials.gov API v2 JSON record or an RDF file (.ttl .nt .jsonld .rdf; repeatable)."),
    fmt: str = typer.Option("table", "--format", help="Report format: table or json."),
    data: Path = typer.Option(paths.DATA, "--data", help="Folder of curated records (entities/ and records/)."),
):
    """Load every source, validate, and write the store (the live store changes only on success).

    Example: msckg build   |   msckg --store /tmp/kg build --ctgov NCT04431453.json
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from .build import BuildFailed, build as run_build

    if STATE["endpoint"]:
        return push_remote(ctgov, data)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err, disable=STATE["quiet"], transient=True) as prog:
        task = prog.add_task("building", total=None)
        try:
            res = run_build(STATE["store"], data=data, extra_sources=list(ctgov), progress=lambda s: prog.update(task, description=s))
        except BuildFailed as exc:
            if exc.report:
                print_report(exc.report, fmt)
            fail(str(exc), "see the violations above; 'msckg validate' lists them by rule")
    if fmt == "json":
        print(json.dumps({"store": str(res.store), "triples": res.triples, "graphs": res.graphs, "canonical_hash": res.canonical_hash,
                          "sources": [{"file": r.path, "records_in": r.records_in, "entities_out": r.entities_out, "rejected": r.rejected} for r in res.assembled.reports]}, indent=2))
        return
    if not STATE["quiet"]:
        from rich.table import Table

        t = Table(title="sources")
        t.add_column("file", overflow="fold", min_width=30)
        for c in ("records in", "entities out", "rejected", "triples"):
            t.add_column(c, justify="right")
        for r in res.assembled.reports:
            t.add_row(r.path, str(r.records_in), str(r.entities_out), str(r.rejected), str(len(r.graph)))
        err.print(t)
        acknowledged = [v for v in res.report.violations if v.acknowledged]
        warnings = [v for v in res.report.violations if not v.acknowledged and v.severity != "Violation"]
        err.print(f"validation: ok ({len(acknowledged)} known source problem(s) flagged by curators, {len(warnings)} warning(s); 'msckg validate' shows them)")
    out.print(f"[green]built[/green] {res.triples} triples in {res.graphs} graphs into {res.store} in {res.seconds:.1f}s (hash {res.canonical_hash[:16]})")


def push_remote(ctgov, data):
    from .build import assemble

    store = open_store()
    assembled = assemble(data, extra_sources=list(ctgov))
    store.replace_graphs(assembled.graphs)
    out.print(f"[green]pushed[/green] {assembled.triple_count()} triples in {len(assembled.graphs)} graphs to {STATE['endpoint']}")


def print_report(report, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(report.as_json(), indent=2))
        return
    from itertools import groupby

    for rule, items in groupby(report.violations, key=lambda v: v.rule):
        items = list(items)
        sev = items[0].severity
        colour = "red" if sev == "Violation" else "yellow"
        out.print(f"[bold {colour}]{rule}[/bold {colour}] ({sev}, {len(items)}): {items[0].message}")
        for v in items:
            ack = f"  [dim](known source problem: {v.acknowledged})[/dim]" if v.acknowledged else ""
            out.print(f"  {v.focus}  {v.path}  {v.value}{ack}")
    status = "[green]ok[/green]" if report.ok else f"[red]{len(report.failing)} violation(s)[/red]"
    out.print(f"validation: {status}; {len(report.violations)} finding(s) in all")


@app.command("validate")
@guarded
def validate_cmd(fmt: str = typer.Option("table", "--format", help="Report format: table or json.")):
    """Validate the built graph: SHACL shapes plus queries/qc/*-violation.rq, grouped by rule.

    Exits 1 when a violation of severity Violation remains that no curator flagged as a source problem.
    Example: msckg validate --format json
    """
    from .store import EmbeddedStore
    from .validate import validate

    store = EmbeddedStore(STATE["store"])
    report = validate(store.oxigraph)
    print_report(report, fmt)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@guarded
def query(
    file: str = typer.Argument(..., help="A .rq file, or - to read the query from standard input."),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
    columns: Optional[str] = typer.Option(None, "--columns", help="Only these columns, comma-separated, in this order."),
):
    """Run any read-only SPARQL query (SERVICE and updates are refused).

    Example: echo 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' | msckg query -
    """
    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    rows = open_store().select(text)
    emit(rows, fmt, columns=columns)


def emit(rows, fmt, title=None, columns: str | None = None):
    from .output import render, select_columns

    if columns:
        rows = select_columns(rows, [c.strip() for c in columns.split(",") if c.strip()])
    text = render(rows, fmt, out, title)
    if text is not None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def parse_params(params: List[str]) -> dict:
    given = {}
    for p in params:
        if "=" not in p:
            fail(f"--param expects name=value, got {p!r}")
        k, v = p.split("=", 1)
        given[k.strip()] = v
    return given


@app.command()
@guarded
def ask(
    name: str = typer.Argument(..., help="Name of a saved query (see 'msckg queries')."),
    param: List[str] = typer.Option([], "--param", "-p", help="Parameter as name=value (repeatable)."),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw the answer to a PNG (queries tagged 'plot')."),
    columns: Optional[str] = typer.Option(None, "--columns", help="Only these columns, comma-separated, in this order."),
):
    """Answer a saved cross-study question.

    Example: msckg ask adverse-events --param min_grade=3 --param class=msckg:AE_Haemorrhage
    """
    from difflib import get_close_matches

    from .saved import run_saved, saved_queries

    queries = saved_queries()
    if name not in queries:
        close = get_close_matches(name, list(queries), n=1)
        fail(f"no saved query named '{name}'", f"did you mean '{close[0]}'? 'msckg queries' lists them" if close else "'msckg queries' lists them")
    q = queries[name]
    rows = run_saved(open_store(), q, parse_params(param))
    emit(rows, fmt, q.summary if fmt == "table" else None, columns)
    if plot:
        from .plots import plot_rows

        plot_rows(q, rows, plot)
        info(f"plot written to {plot}")


@app.command("queries")
@guarded
def list_queries(fmt: str = typer.Option("table", "--format", help="table or json.")):
    """List the saved queries with their summaries and parameters.

    Example: msckg queries
    """
    from rich.table import Table

    from .saved import saved_queries

    qs = saved_queries()
    if fmt == "json":
        print(json.dumps([{"name": q.name, "summary": q.summary, "tags": q.tags,
                           "params": [{"name": p.name, "type": p.type, "default": p.default, "doc": p.doc} for p in q.params]} for q in qs.values()], indent=2))
        return
    t = Table(title="saved queries (msckg ask NAME)")
    for c in ("name", "summary", "parameters"):
        t.add_column(c, overflow="fold")
    for q in qs.values():
        t.add_row(q.name, q.summary, ", ".join(f"{p.name}:{p.type}" + (f"={p.default}" if p.default else "") for p in q.params))
    out.print(t)


@app.command()
@guarded
def export(
    fmt: str = typer.Option("trig", "--format", help="trig or nq (named graphs kept), ttl (all graphs merged)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (default: standard output)."),
):
    """Export the whole dataset.

    Example: msckg export --format trig -o msckg.trig
    """
    import pyoxigraph as ox

    from loader.schema import read_prefixes

    from .store import EmbeddedStore

    formats = {"trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS, "ttl": ox.RdfFormat.TURTLE}
    if fmt not in formats:
        fail(f"unknown export format '{fmt}'", "use trig, nq or ttl")
    store = EmbeddedStore(STATE["store"]).oxigraph
    if fmt == "ttl":  # Turtle has no named graphs: every graph merged into one
        triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, None)}, key=str)
        data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=read_prefixes().prefix_map)
    else:
        data = store.dump(format=formats[fmt])
    if output:
        output.write_bytes(data)
        info(f"wrote {output}")
    else:
        sys.stdout.buffer.write(data)


@app.command()
@guarded
def stats(fmt: str = typer.Option("table", "--format", help=FORMAT_HELP)):
    """Triples per named graph and entities per class.

    Example: msckg stats
    """
    from .paths import QUERIES
    from .queryfiles import read_query_file

    store = open_store()
    for name in ("stats-graphs", "stats-classes"):
        q = read_query_file(QUERIES / "internal" / f"{name}.rq")
        emit(store.select(q.text), fmt, q.summary if fmt == "table" else None)


@app.command()
@guarded
def reason():
    """Check the ontology with HermiT (via owlready2; needs Java): consistency and unsatisfiable classes.

    Example: msckg reason
    """
    from .reason import reason as run_reason

    res = run_reason()
    if not res.consistent:
        fail("the ontology is inconsistent (HermiT)", "run 'python -m graph.reason' for the explanation")
    if res.unsatisfiable:
        fail(f"{len(res.unsatisfiable)} unsatisfiable class(es): {', '.join(res.unsatisfiable)}")
    out.print(f"[green]consistent[/green]: {res.classes} classes, {res.properties} properties, no unsatisfiable classes (HermiT, {res.seconds:.1f}s)")


from .cli_search import register as _register_search  # noqa: E402  (search, search-eval, link)

_register_search(app)

if __name__ == "__main__":
    app()
