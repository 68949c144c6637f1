"""Commands that publish the graph: serve (SPARQL endpoint + curator web application) and describe (VoID + DCAT)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .common import STATE, fail, guarded, info, open_store


@guarded
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default; 0.0.0.0 opens it to the network)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    deadline: float = typer.Option(30.0, "--deadline", help="Seconds a query may run before its worker is killed (503)."),
    memory_cap: int = typer.Option(2048, "--memory-cap", help="MiB of memory a query's worker may use before it is killed (503; 0: no cap)."),
    row_cap: int = typer.Option(10_000, "--row-cap", help="Most rows (or triples) in one answer; the cap is reported, never silent."),
    max_body: int = typer.Option(1_000_000, "--max-body", help="Most bytes in a request body (413 beyond)."),
    workers: int = typer.Option(2, "--workers", help="Worker processes that run queries."),
    search_workers: int = typer.Option(1, "--search-workers", help="Worker processes that run searches (their own lane)."),
    allow_service: List[str] = typer.Option([], "--allow-service", help="An endpoint IRI SERVICE may reach (repeatable; none by default)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="Public address, for the service and dataset descriptions (default http://HOST:PORT)."),
):
    """Serve the graph: a read-only SPARQL 1.1 endpoint at /sparql and a curator's web application at /.

    The embedded store is served (--store), or a remote SPARQL endpoint fronted with the same rules
    (global --endpoint URL). Every query runs in a worker process that is killed at the deadline.

    Example: msckg serve --port 8000    then open http://127.0.0.1:8000/
    """
    import uvicorn

    from msckg.graph.serve.app import create_app
    from msckg.graph.serve.settings import Settings

    if STATE["endpoint"] is None and not (Path(STATE["store"]) / "current").exists():
        fail(f"no graph at {STATE['store']}", "run 'msckg build' first (or give --store DIR / --endpoint URL)")
    if row_cap < 1 or workers < 1 or search_workers < 1 or deadline <= 0 or max_body < 1:
        fail("--row-cap, --workers, --search-workers, --deadline and --max-body must be positive")
    if memory_cap < 0:
        fail(f"--memory-cap must be 0 (no cap) or a number of MiB, got {memory_cap}")
    settings = Settings(store=None if STATE["endpoint"] else Path(STATE["store"]), endpoint=STATE["endpoint"],
                        host=host, port=port, deadline=deadline, memory_cap_mb=memory_cap, row_cap=row_cap, max_body=max_body, workers=workers, search_workers=search_workers,
                        allow_service=tuple(allow_service), base_url=base_url, remote_timeout=max(STATE["timeout"], deadline))
    if STATE["endpoint"] and (Path(STATE["store"]) / "current" / "search").exists():
        settings = Settings(**{**settings.__dict__, "store": Path(STATE["store"])})  # search index beside a remote store
    where = STATE["endpoint"] or STATE["store"]
    info(f"serving {where} at http://{host}:{port}/ (SPARQL at /sparql; deadline {deadline:g} s, row cap {row_cap:,}, "
         f"{workers} worker(s), {memory_cap:,} MiB each); Ctrl-C stops")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning" if STATE["quiet"] else "info",
                access_log=STATE["verbose"], timeout_graceful_shutdown=3)


@guarded
def describe(
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (default: standard output)."),
    fmt: str = typer.Option("ttl", "--format", help="ttl, nt or jsonld."),
    endpoint_url: Optional[str] = typer.Option(None, "--sparql-endpoint", help="The public SPARQL endpoint to name in the description."),
):
    """Describe the built dataset in VoID + DCAT: triples, named graphs, classes with instance counts,
    sources with checksums and licences, the ontology version.

    Example: msckg describe -o void.ttl --sparql-endpoint https://example.org/sparql
    """
    from msckg.graph.serve.void import describe as void_describe

    names = {"ttl": "longturtle", "turtle": "longturtle", "nt": "nt", "jsonld": "json-ld", "json-ld": "json-ld"}
    if fmt not in names:
        fail(f"unknown format '{fmt}'", "use ttl, nt or jsonld")
    graph = void_describe(open_store(), endpoint_url=endpoint_url)
    text = graph.serialize(format=names[fmt])
    if fmt == "nt":
        text = "".join(sorted(text.splitlines(keepends=True)))
    if output:
        output.write_text(text, encoding="utf-8")
        info(f"dataset description written to {output} ({len(graph)} statements)")
    else:
        typer.echo(text.rstrip("\n"))
