"""`msckg fetch`: download registry records into a local cache that `msckg build --source-dir` loads (the only
command that uses the network)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .common import STATE, err, fail, guarded, info, out

fetch_app = typer.Typer(help="Download registry records into a local cache folder (the only msckg command that uses the network).",
                        no_args_is_help=True)


@fetch_app.command("ctgov")
@guarded
def ctgov(
    ids: List[str] = typer.Argument(None, help="NCT IDs to fetch (instead of, or besides, a search)."),
    query: Optional[str] = typer.Option(None, "--query", help="Search text (the API's query.term, Essie syntax: AND, OR, quotes)."),
    condition: Optional[str] = typer.Option(None, "--condition", help="Condition or disease (query.cond)."),
    intervention: Optional[str] = typer.Option(None, "--intervention", help="Intervention or treatment (query.intr)."),
    limit: Optional[int] = typer.Option(None, "--max", min=1, help="Fetch at most this many studies."),
    output: Path = typer.Option(Path("ctgov-cache"), "--out", "-o", help="Cache folder: one NCTxxxxxxxx.json per study and manifest.tsv."),
    page_size: int = typer.Option(100, "--page-size", min=1, max=1000, help="Studies per API page."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds before one request is abandoned (and retried)."),
    retries: int = typer.Option(5, "--retries", min=0, help="Retries of a failed page (429, 5xx, timeouts, truncated bodies)."),
    backoff: float = typer.Option(1.0, "--backoff", min=0.0, help="Seconds before the first retry; doubled at each retry (Retry-After wins)."),
    rate: float = typer.Option(40.0, "--rate", min=0.0, help="At most this many requests a minute (the API asks for about 50)."),
    base: Optional[str] = typer.Option(None, "--base-url", help="API base URL (default https://clinicaltrials.gov/api/v2, or $MSCKG_CTGOV_API)."),
    from_file: Optional[Path] = typer.Option(None, "--from-file", help="No network: split a saved API answer (a /studies page) into the cache."),
):
    """Fetch ClinicalTrials.gov API v2 records (with paging) into a cache folder, then build from it.

    Example: msckg fetch ctgov NCT04014166 NCT04431453

    Example: msckg fetch ctgov --query '"umbilical cord" AND mesenchymal' --out ctgov-cache

    Example: msckg build --source-dir ctgov-cache
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from msckg.loader.fetch.ctgov_api import Client, FetchError, Search, fetch, split_file

    try:
        if from_file is not None:
            if ids or query or condition or intervention:
                fail("--from-file reads a saved answer: give no NCT IDs or search options with it")
            result = split_file(from_file, output)
        else:
            if not (ids or query or condition or intervention):
                fail("nothing to fetch", "give NCT IDs, or --query / --condition / --intervention; see msckg fetch ctgov --help")
            search = Search(query, condition, intervention, [i.strip().upper() for i in ids or []], limit, page_size)
            client = Client(base, timeout=timeout, retries=retries, backoff=backoff, per_minute=rate)
            columns = (TextColumn("fetching"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            try:
                with Progress(*columns, console=err, disable=STATE["quiet"], transient=True) as prog:
                    task = prog.add_task("fetch", total=None)
                    result = fetch(search, output, client, lambda done, total: prog.update(task, completed=done, total=total))
            finally:
                client.close()
    except FetchError as exc:
        fail(str(exc), exc.hint)
    if result.not_found:
        err.print(f"[yellow]not found[/yellow]: {', '.join(result.not_found)}")
    total = f" of {result.total} matching" if result.total is not None else ""
    info(f"{result.pages} page(s) read")
    out.print(f"[green]fetched[/green] {len(result.written)} record(s){total} into {output} "
              f"(checksums and fetch times in {output / 'manifest.tsv'})")
    info(f"next: msckg build --source-dir {output}")
