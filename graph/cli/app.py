"""The msckg command line: a thin layer of typer commands over the graph package's functions."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Optional

import typer

from msckg.graph import paths

from . import build_cmds, fetch_cmds, ontology_cmds, pool_cmds, query_cmds, search_cmds, serve_cmds
from .common import STATE, out, output_width

app = typer.Typer(
    help="msckg: a knowledge graph of cell-therapy clinical trials.\n\n"
    "Typical use: 'msckg build' once, then 'msckg ask trials' or 'msckg query my.rq'.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(
    store: Optional[Path] = typer.Option(None, "--store", envvar=paths.STORE_ENV, help="Folder of the embedded store (default ./store; env MSCKG_STORE)."),
    endpoint: Optional[str] = typer.Option(None, "--endpoint", envvar="MSCKG_ENDPOINT", help="Use a remote SPARQL 1.1 endpoint instead of the embedded store (query URL; the Graph Store Protocol URL is derived)."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds a remote request may take in all (connect, every byte of the answer, retries on 429/503); then it is abandoned with an error."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Show details and full tracebacks."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only print results and errors."),
):
    """Global options apply to every command."""
    STATE.update(verbose=verbose, quiet=quiet, store=store or paths.default_store(), endpoint=endpoint, timeout=timeout)
    out.width = output_width()  # this invocation's terminal (or COLUMNS), not the one the module was imported under



for _name, _fn in (
    ("check", build_cmds.check), ("build", build_cmds.build), ("validate", build_cmds.validate_cmd),
    ("query", query_cmds.query), ("ask", query_cmds.ask), ("queries", query_cmds.list_queries),
    ("export", build_cmds.export), ("stats", build_cmds.stats), ("reason", ontology_cmds.reason),
    ("search", search_cmds.search_cmd), ("search-eval", search_cmds.search_eval_cmd), ("link", search_cmds.link_cmd),
    ("pool", pool_cmds.pool),
    ("serve", serve_cmds.serve),
    ("describe", serve_cmds.describe),
):
    app.command(_name)(_fn)
app.add_typer(fetch_cmds.fetch_app, name="fetch")


def reflow(doc: str | None) -> str:
    """A docstring with each paragraph's lines joined (typer keeps single line breaks, which wrap raggedly at
    any other width); lines opening with '-', '*', a space or 'Example' stay lines of their own."""
    out = []
    for para in inspect.cleandoc(doc or "").split("\n\n"):
        lines = para.split("\n")
        merged = [lines[0]]
        for line in lines[1:]:
            if line.startswith(("-", "*", " ", "\b", "Example")):
                merged.append(line)
            else:
                merged[-1] += " " + line.strip()
        out.append("\n".join(merged))
    return "\n\n".join(out)


for _info in app.registered_commands + fetch_cmds.fetch_app.registered_commands:
    if _info.help is None and _info.callback is not None:
        _info.help = reflow(_info.callback.__doc__)

if __name__ == "__main__":
    app()
