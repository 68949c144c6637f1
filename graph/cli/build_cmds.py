"""Commands that make and inspect the graph: check, build, validate, export, stats."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from msckg.graph import paths

from .common import FORMAT_HELP, STATE, err, fail, guarded, info, open_store, out, print_report


SOURCE_ROWS = 40  # above this many sources, the build's table shows one row per folder
MAX_REGISTRY_HELP = "Largest ClinicalTrials.gov file read, in MiB (default 50; larger files are refused before parsing)."


def set_registry_limit(mib: Optional[float]) -> None:
    """Pass --max-registry-mb to the loader (through the environment: the worker processes read it too)."""
    import os

    from msckg.loader.ctgov_read import MAX_MIB_ENV

    if mib is None:
        return
    if mib <= 0:
        fail(f"--max-registry-mb must be a positive number of MiB, got {mib:g}")
    os.environ[MAX_MIB_ENV] = repr(float(mib))


@guarded
def check(
    files: List[Path] = typer.Argument(None, help="Record files to check (default: every file in data/): curated YAML or ClinicalTrials.gov JSON."),
    data: Path = typer.Option(paths.DATA, "--data", help="Folder of curated records the files' references resolve against."),
    max_registry_mb: Optional[float] = typer.Option(None, "--max-registry-mb", help=MAX_REGISTRY_HELP),
):
    """Check record files without building: syntax, fields, types, references (YAML); JSON paths and NCT IDs (JSON).

    References to entities defined in other files resolve against the rest of data/, so one file
    can be checked on its own.

    Example: msckg check data/records/000-chen-2024-sttt.yaml   |   msckg check ctgov-cache/*.json
    """
    set_registry_limit(max_registry_mb)
    from msckg.graph.build.registry import load_registry_records
    from msckg.loader.errors import SourceError
    from msckg.loader.records import load_records
    from msckg.loader.schema import build_schema

    missing = [f for f in files or [] if not f.is_file()]
    if missing:
        fail(f"no such record file: {', '.join(str(f) for f in missing)}")
    files = files or paths.record_files(data)
    registry = [f for f in files if f.suffix == ".json"]
    problems, recs = [], []
    try:
        recs += load_records([f.resolve() for f in files if f.suffix != ".json"], build_schema(paths.ONTOLOGY), paths.ROOT,
                             context=[f.resolve() for f in paths.record_files(data)])
    except SourceError as exc:
        problems += exc.problems
    try:
        recs += load_registry_records(registry, data=data)
    except SourceError as exc:
        problems += exc.problems
    if problems:
        raise SourceError(problems)
    for r in recs:
        info(escape(f"{r.path}: {r.records_in} in, {r.entities_out} entities out, {r.rejected} rejected, {len(r.graph)} triples"))
    out.print(f"[green]ok[/green]: {len(recs)} file(s), {sum(r.entities_out for r in recs)} entities")


def _shown_path(path: str) -> str:
    """A source's path relative to the working folder when it is inside it (shorter in the table), else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


@guarded
def build(
    ctgov: List[Path] = typer.Option([], "--source", "--ctgov", help="Also load a ClinicalTrials.gov API v2 JSON record or an RDF file (.ttl .nt .jsonld .rdf), or every such file in a folder (repeatable)."),
    source_dirs: List[Path] = typer.Option([], "--source-dir", help="Also load every ClinicalTrials.gov record (*.json) of a folder, e.g. a 'msckg fetch ctgov' cache (repeatable)."),
    prefer: Optional[str] = typer.Option(None, "--prefer", help="Two files with one NCT ID: 'newest' keeps the later lastUpdatePostDate (default: an error naming both)."),
    report: Optional[str] = typer.Option(None, "--report", help="'unmapped': per registry record, the ledger per kind, results groups made arms, adverse-event terms without a class and every JSON path not mapped."),
    fmt: str = typer.Option("table", "--format", help="Report format: table or json."),
    data: Path = typer.Option(paths.DATA, "--data", help="Folder of curated records (entities/ and records/)."),
    max_registry_mb: Optional[float] = typer.Option(None, "--max-registry-mb", help=MAX_REGISTRY_HELP),
    full: bool = typer.Option(False, "--full", help="Load and validate every source again, ignoring the build cache in the store folder."),
):
    """Load every source, validate, and write the store (the live store changes only on success).

    Sources unchanged since the last build come from the store folder's build cache and only the checks a
    change can reach run again (docs/incremental.md); --full does everything again.

    Registry records load in one worker process per core (MSCKG_WORKERS sets how many); 'msckg -v build'
    shows the time, CPU and memory of each step.

    With --endpoint, the build is validated here, then pushed to the remote store: in one SPARQL Update
    request that Oxigraph applies whole or not at all; Virtuoso's batched push is not atomic (decision 0101).

    Example: msckg build

    Example: msckg --store /tmp/kg build --source NCT04431453.json

    Example: msckg build --source-dir ctgov-cache --prefer newest --report unmapped
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from msckg.graph.build.registry import PREFER, registry_files
    from msckg.graph.build.run import BuildFailed, build as run_build
    from msckg.graph.cli import registry_report

    set_registry_limit(max_registry_mb)
    if prefer is not None and prefer not in PREFER:
        fail(f"unknown --prefer value '{prefer}'", f"use one of: {', '.join(PREFER)}")
    if report is not None and report != "unmapped":
        fail(f"unknown --report value '{report}'", "use --report unmapped")
    sources = list(ctgov) + [f for d in source_dirs for f in registry_files(d)]
    if STATE["endpoint"]:
        return push_remote(sources, data, fmt, prefer)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err, disable=STATE["quiet"], transient=True) as prog:
        task = prog.add_task("building", total=None)
        try:
            res = run_build(STATE["store"], data=data, extra_sources=sources, progress=lambda s: prog.update(task, description=s),
                            prefer=prefer, full=full)
        except BuildFailed as exc:
            if exc.report:
                print_report(exc.report, fmt)
            fail(str(exc), "see the violations above; 'msckg validate' lists them by rule")
    if fmt == "json":
        def source(r):
            entry = {"file": r.path, "records_in": r.records_in, "entities_out": r.entities_out, "rejected": r.rejected}
            if report and registry_report.registry_records([r]):
                entry.update(registry_report.as_json(r))
            return entry
        print(json.dumps({"store": str(res.store), "triples": res.triples, "graphs": res.graphs, "canonical_hash": res.canonical_hash,
                          "seconds": res.seconds, "phases": [asdict(p) for p in res.phases],
                          "reused_sources": res.reused_sources, "incremental_validation": res.incremental_validation,
                          "replaced_graphs": res.replaced_graphs,
                          "sources": [source(r) for r in res.assembled.reports]}, indent=2))
        return
    if not STATE["quiet"]:
        from rich.table import Table

        from rich import box

        # light rules and short headers: the paths keep the width (records in = entities out + rejected)
        t = Table(title="sources: records in = entities out + rejected", box=box.SIMPLE_HEAD)
        t.add_column("file", overflow="fold", min_width=30)
        for c in ("in", "out", "rejected", "triples"):
            t.add_column(c, justify="right", no_wrap=True)
        rows = [(_shown_path(r.path), r.records_in, r.entities_out, r.rejected, len(r.graph)) for r in res.assembled.reports]
        if len(rows) > SOURCE_ROWS and not STATE["verbose"]:  # thousands of sources: one row per folder and kind
            groups: dict[str, list] = {}
            for row in rows:
                groups.setdefault(f"{Path(row[0]).parent}/*{Path(row[0]).suffix}", []).append(row)
            rows = [(f"{k} ({len(v)} files)", *(sum(x[i] for x in v) for i in range(1, 5))) for k, v in sorted(groups.items())]
            t.title = "sources: records in = entities out + rejected (-v lists every file)"
        for row in rows:
            t.add_row(escape(str(row[0])), *map(str, row[1:]))
        err.print(t)
        acknowledged = [v for v in res.report.violations if v.acknowledged]
        warnings = [v for v in res.report.violations if not v.acknowledged and v.severity != "Violation"]
        if STATE["verbose"]:
            for p in res.phases:
                err.print(f"  {p.name:<36} {p.wall:8.2f} s wall {p.cpu:8.2f} s CPU  peak {p.peak_rss_mb:6.0f} MiB, then {p.rss_mb:6.0f}")
        err.print(f"validation: ok ({len(acknowledged)} source problem(s) flagged by curators, {len(warnings)} other warning(s); 'msckg validate')")
        for line in registry_report.superseded_lines(res.assembled.reports):
            err.print(line)
        if res.reused_sources:
            err.print(f"incremental: {res.reused_sources} of {len(res.assembled.reports)} sources from the build cache, "
                      f"{'only what changed validated again' if res.incremental_validation else 'all validated'} (--full: redo all)")
            if res.replaced_graphs is not None:
                err.print(f"store: the live generation with {res.replaced_graphs} graph(s) replaced (the rest kept as they were)")
        if report:
            registry_report.print_report(err, res.assembled.reports)
        elif registry_report.summary_line(res.assembled.reports):
            err.print(registry_report.summary_line(res.assembled.reports))
    out.print(f"[green]built[/green] {res.triples} triples in {res.graphs} graphs into {escape(str(res.store))} in {res.seconds:.1f}s (hash {res.canonical_hash[:16]})")


def push_remote(ctgov, data, fmt: str = "table", prefer: str | None = None):
    """Load, validate, then replace the remote store's dataset graphs: nothing is pushed if validation fails."""
    import pyoxigraph as ox

    from msckg.loader.sink import fast_graphs

    from msckg.graph.build.run import assemble
    from msckg.graph.validate.run import validate

    store = open_store()
    with fast_graphs():
        assembled = assemble(data, extra_sources=list(ctgov), prefer=prefer)
    mem = ox.Store()
    mem.bulk_load(assembled.nquads(), format=ox.RdfFormat.N_QUADS)
    report = validate(mem)
    if not report.ok:
        print_report(report, fmt)
        fail(f"validation failed: {len(report.failing)} violation(s); nothing was pushed to {STATE['endpoint']}",
             "see the violations above; 'msckg validate' lists them by rule")
    guarantee = store.push_guarantee()
    if store.virtuoso:  # what it cannot guarantee, said before the push starts (decision 0101)
        err.print(escape(guarantee))
    requests = store.replace_graphs(assembled.graphs, progress=info if STATE["verbose"] else None)
    how = f"{requests} SPARQL Update requests" if store.virtuoso else guarantee
    out.print(f"[green]pushed[/green] {assembled.triple_count()} triples in {len(assembled.graphs)} graphs to {escape(STATE['endpoint'])} "
              f"({escape(how)})")


def selected_oxigraph():
    """The Oxigraph store behind the selected store: the embedded one, or a copy of the remote dataset in memory."""
    if STATE["endpoint"]:
        return open_store().to_memory()
    from msckg.graph.store.embedded import EmbeddedStore

    return EmbeddedStore(STATE["store"]).oxigraph


@guarded
def validate_cmd(fmt: str = typer.Option("table", "--format", help="Report format: table or json.")):
    """Validate the built graph: SHACL shapes plus queries/qc/*-violation.rq, grouped by rule.

    Exits 1 when a violation of severity Violation remains that no curator flagged as a source problem.
    With --endpoint, the remote store's dataset is read and validated.
    Example: msckg validate --format json
    """
    from msckg.graph.validate.run import validate

    report = validate(selected_oxigraph())
    print_report(report, fmt)
    if not report.ok:
        raise typer.Exit(1)


@guarded
def export(
    fmt: str = typer.Option("trig", "--format", help="trig or nq (named graphs kept), ttl (all graphs merged), jsonld (named graphs kept, the project's context inline)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (default: standard output)."),
    graph: Optional[str] = typer.Option(None, "--graph", help="Only this named graph (its IRI; 'msckg stats' lists them)."),
    data_only: bool = typer.Option(False, "--data-only", help="Leave the ontology graph out."),
    provenance: bool = typer.Option(False, "--build-record", help="Also the build record (load times; it differs on every build)."),
):
    """Export the dataset: sorted, declared prefixes, canonical blank-node labels, so that two builds of
    the same sources give byte-identical files; with --endpoint, the remote store's named graphs (the load time is in the build record, left out by default).

    Example: msckg export --format trig -o msckg.trig   |   msckg export --format ttl --graph https://w3id.org/msckg/graph/pub/chen-2024-sttt
    """
    from msckg.graph.build.dataset import ONTOLOGY_GRAPH
    from msckg.graph.build.provenance import BUILD_GRAPH
    from msckg.graph.export import rdf

    writers = {"trig": rdf.trig, "nq": rdf.nquads, "ttl": rdf.turtle, "jsonld": None}
    if fmt not in writers:
        fail(f"unknown export format '{fmt}'", "use trig, nq, ttl or jsonld")
    store = selected_oxigraph()
    if graph is not None and not any(g.value == graph for g in store.named_graphs()):
        fail(f"no named graph <{graph}> in {STATE['store']}", "'msckg stats' lists the named graphs")
    leave_out = ([str(ONTOLOGY_GRAPH)] if data_only else []) + ([] if provenance else [str(BUILD_GRAPH)])
    quads = rdf.store_quads(store, graph, leave_out)
    if fmt == "jsonld":
        from msckg.graph.export.jsonld import jsonld

        data = jsonld(quads)
    else:
        data = writers[fmt](quads)
    if output:
        output.write_bytes(data)
        info(f"wrote {len(quads)} statements to {escape(str(output))}")
    else:
        sys.stdout.buffer.write(data)


@guarded
def stats(fmt: str = typer.Option("table", "--format", help=FORMAT_HELP)):
    """Triples per named graph and entities per class.

    Example: msckg stats
    """
    from msckg.graph.paths import QUERIES
    from msckg.graph.query.files import read_query_file

    from .printer import emit

    store = open_store()
    for name in ("stats-graphs", "stats-classes"):
        q = read_query_file(QUERIES / "internal" / f"{name}.rq")
        emit(store.select(q.text), fmt, q.summary if fmt == "table" else None, limit=0)
