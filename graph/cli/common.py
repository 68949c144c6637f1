"""Shared pieces of every msckg command: console, global state, one-line errors, the selected store, output."""

from __future__ import annotations

import json
import os
import sys
from typing import List

import typer
from rich.console import Console
from rich.markup import escape

from msckg.loader.errors import SourceError


class _Output(Console):
    """Standard output's console: a reader that went away is a BrokenPipeError, which `guarded` ends quietly."""

    def on_broken_pipe(self) -> None:  # rich's own exits with status 1
        self.quiet = True
        raise BrokenPipeError


def output_width() -> int | None:
    """The width tables are drawn at: COLUMNS when set, the terminal's (None: rich asks it), else 160 (a pipe
    or a log has no width; rich would take 80)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if sys.stdout.isatty() else 160


err = Console(stderr=True, soft_wrap=True)
out = _Output(soft_wrap=True, width=output_width())  # fitted again by every command (cli/app.py: main)
STATE = {"verbose": False, "quiet": False, "store": None, "endpoint": None, "timeout": 30.0}

FORMAT_HELP = ("Output format: table (labels, for reading), or the SPARQL 1.1 results formats json, xml, csv, tsv "
               "(every column unless --columns says otherwise).")
LIMIT_HELP = ("Write at most N rows (0 = all) and say how many were left out; a table shows 20 unless told, and "
              "at most 1,000 (--format csv writes every row).")
COLUMNS_HELP = "Only these columns, comma-separated, in this order; 'all' for every column."


def fail(message: str, hint: str = "", code: int = 1):
    """One line saying what is wrong (and a hint): the text is printed as it is, never read as markup."""
    err.print(f"[bold red]error:[/bold red] {escape(message)}")
    if hint:
        err.print(f"[dim]hint: {escape(hint)}[/dim]")
    raise typer.Exit(code)


def info(message: str) -> None:
    """A progress or status line on stderr (silenced by -q); callers escape any data they put in it."""
    if not STATE["quiet"]:
        err.print(message)


def guarded(fn):
    """Turn known errors into one clear line plus a hint (a traceback only with -v)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from msckg.graph.query.binding import BindingError
        from msckg.graph.query.forms import QueryTextError
        from msckg.graph.query.output import OutputError
        from msckg.graph.safety import UnsafeInput
        from msckg.graph.query.saved import ParamError
        from msckg.graph.store.base import StoreError

        from .killable import TIMEOUT_EXIT, QueryTimeout

        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except BrokenPipeError:  # the reader went away (`| head -1`): stop quietly, as a killed writer would
            _quiet_stdout()
            raise typer.Exit(141) from None
        except KeyboardInterrupt:  # Ctrl-C: one line, the shell's exit status for SIGINT, no traceback
            err.print("interrupted (Ctrl-C)")
            raise typer.Exit(130) from None
        except QueryTimeout as exc:
            fail(str(exc), exc.hint, code=TIMEOUT_EXIT)
        except SourceError as exc:
            if STATE["verbose"]:
                raise
            for p in exc.problems[:50]:
                err.print(f"[red]{escape(str(p))}[/red]")
            more = len(exc.problems) - 50
            fail(f"{len(exc.problems)} problem(s) in the sources" + (f" ({more} more not shown)" if more > 0 else ""),
                 "fix the files named above; 'msckg check FILE...' re-checks them without building")
        except (StoreError, ParamError, UnsafeInput, BindingError, QueryTextError, OutputError) as exc:
            if STATE["verbose"]:
                raise
            fail(str(exc))
        except SyntaxError as exc:  # pyoxigraph's parser: the message says where
            if STATE["verbose"]:
                raise
            fail(f"the query does not parse: {_first_line(exc)}")
        except OSError as exc:
            if STATE["verbose"]:
                raise
            fail(f"{exc.strerror or _first_line(exc)}" + (f": {exc.filename}" if exc.filename else ""))
        except Exception as exc:  # last resort: one line, not a traceback (and no Python class name)
            if STATE["verbose"]:
                raise
            fail(_first_line(exc) or "unexpected error", "run again with -v for the full traceback")

    return wrapper


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that the flush at exit finds no closed pipe to complain about."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no file descriptor (a test runner's stdout)
        pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def open_store(timeout: float | None = None):
    """The store selected by the global options: remote endpoint if given, else the embedded one."""
    if STATE["endpoint"]:
        from msckg.graph.store.remote import RemoteStore

        return RemoteStore(STATE["endpoint"], timeout=timeout or STATE["timeout"])
    from msckg.graph.store.embedded import EmbeddedStore

    return EmbeddedStore(STATE["store"])


def write(text: str) -> None:
    """Text to standard output, ending in a newline."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def parse_params(params: List[str]) -> dict:
    given = {}
    for p in params:
        if "=" not in p:
            fail(f"--param expects name=value, got {p!r}")
        k, v = p.split("=", 1)
        given[k.strip()] = v
    return given


def print_report(report, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(report.as_json(), indent=2))
        return
    from itertools import groupby

    from msckg.graph.query.output import shorten
    from rdflib import URIRef

    for rule, items in groupby(report.violations, key=lambda v: v.rule):
        items = list(items)
        severities = {v.severity for v in items}
        colour = "red" if "Violation" in severities else "yellow"
        counts = ", ".join(f"{sev} {sum(v.severity == sev for v in items)}" for sev in sorted(severities, reverse=True))
        shared = len({v.message for v in items}) == 1
        out.print(f"[bold {colour}]{escape(rule)}[/bold {colour}] ({counts})" + (f": {escape(items[0].message)}" if shared else ""))
        for v in items:
            focus = shorten(URIRef(v.focus)) if v.focus.startswith(("http://", "https://")) else v.focus
            path = shorten(URIRef(v.path)) if v.path.startswith(("http://", "https://")) else v.path
            out.print("  " + escape("  ".join(x for x in (focus, path, v.value) if x)))
            if not shared:
                out.print(f"      {escape(v.message)}")
            if v.acknowledged and v.acknowledged not in v.message:
                out.print(f"      [dim]known source problem: {escape(v.acknowledged)}[/dim]")
    status = "[green]ok[/green]" if report.ok else f"[red]{len(report.failing)} violation(s)[/red]"
    out.print(f"validation: {status}; {len(report.violations)} finding(s) in all")
