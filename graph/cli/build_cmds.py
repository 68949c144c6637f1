"""Commands that make and inspect the graph: check, build, validate, export, stats."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from msckg.graph import paths

from .common import FORMAT_HELP, STATE, emit, err, fail, guarded, info, open_store, out, print_report


@guarded
def check(
    files: List[Path] = typer.Argument(None, help="Record files to check (default: every file in data/)."),
    data: Path = typer.Option(paths.DATA, "--data", help="Folder of curated records the files' references resolve against."),
):
    """Check curated record files without building: syntax, fields, types, references.

    References to entities defined in other files resolve against the rest of data/, so one file
    can be checked on its own.

    Example: msckg check data/records/000-chen-2024-sttt.yaml
    """
    from msckg.loader.records import load_records
    from msckg.loader.schema import build_schema

    missing = [f for f in files or [] if not f.is_file()]
    if missing:
        fail(f"no such record file: {', '.join(str(f) for f in missing)}")
    files = files or paths.record_files(data)
    recs = load_records([f.resolve() for f in files], build_schema(paths.ONTOLOGY), paths.ROOT,
                        context=[f.resolve() for f in paths.record_files(data)])
    for r in recs:
        info(escape(f"{r.path}: {r.records_in} in, {r.entities_out} entities out, {r.rejected} rejected, {len(r.graph)} triples"))
    out.print(f"[green]ok[/green]: {len(recs)} file(s), {sum(r.entities_out for r in recs)} entities")


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

    from msckg.graph.build.run import BuildFailed, build as run_build

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
        err.print(f"validation: ok ({len(acknowledged)} source problem(s) flagged by curators, {len(warnings)} other warning(s); 'msckg validate')")
    out.print(f"[green]built[/green] {res.triples} triples in {res.graphs} graphs into {res.store} in {res.seconds:.1f}s (hash {res.canonical_hash[:16]})")


def push_remote(ctgov, data):
    from msckg.graph.build.run import assemble

    store = open_store()
    assembled = assemble(data, extra_sources=list(ctgov))
    store.replace_graphs(assembled.graphs)
    out.print(f"[green]pushed[/green] {assembled.triple_count()} triples in {len(assembled.graphs)} graphs to {STATE['endpoint']}")


@guarded
def validate_cmd(fmt: str = typer.Option("table", "--format", help="Report format: table or json.")):
    """Validate the built graph: SHACL shapes plus queries/qc/*-violation.rq, grouped by rule.

    Exits 1 when a violation of severity Violation remains that no curator flagged as a source problem.
    Example: msckg validate --format json
    """
    from msckg.graph.store.embedded import EmbeddedStore
    from msckg.graph.validate.run import validate

    store = EmbeddedStore(STATE["store"])
    report = validate(store.oxigraph)
    print_report(report, fmt)
    if not report.ok:
        raise typer.Exit(1)


@guarded
def export(
    fmt: str = typer.Option("trig", "--format", help="trig or nq (named graphs kept), ttl (all graphs merged)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (default: standard output)."),
):
    """Export the whole dataset.

    Example: msckg export --format trig -o msckg.trig
    """
    import pyoxigraph as ox

    from msckg.loader.schema import read_prefixes

    from msckg.graph.store.embedded import EmbeddedStore

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


@guarded
def stats(fmt: str = typer.Option("table", "--format", help=FORMAT_HELP)):
    """Triples per named graph and entities per class.

    Example: msckg stats
    """
    from msckg.graph.paths import QUERIES
    from msckg.graph.query.files import read_query_file

    store = open_store()
    for name in ("stats-graphs", "stats-classes"):
        q = read_query_file(QUERIES / "internal" / f"{name}.rq")
        emit(store.select(q.text), fmt, q.summary if fmt == "table" else None, limit=0)
