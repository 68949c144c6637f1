"""Shared pieces of every msckg command: console, global state, one-line errors, the selected store, output."""

from __future__ import annotations

import json
import sys
from typing import List

import typer
from rich.console import Console
from rich.markup import escape

from msckg.loader.errors import SourceError

err = Console(stderr=True, soft_wrap=True)
# a pipe or a log has no width: tables get 160 columns there instead of rich's 80
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
STATE = {"verbose": False, "quiet": False, "store": None, "endpoint": None, "timeout": 30.0}

FORMAT_HELP = "Output format: table, csv, tsv or json."


def fail(message: str, hint: str = "", code: int = 1):
    err.print(f"[bold red]error:[/bold red] {escape(message)}")  # messages quote the data: never markup
    if hint:
        err.print(f"[dim]hint: {escape(hint)}[/dim]")
    raise typer.Exit(code)


def info(message: str) -> None:
    if not STATE["quiet"]:
        err.print(message)


def guarded(fn):
    """Turn known errors into one clear line plus a hint (a traceback only with -v)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from msckg.graph.query.binding import BindingError
        from msckg.graph.safety import UnsafeInput
        from msckg.graph.query.saved import ParamError
        from msckg.graph.store.base import StoreError

        from .killable import TIMEOUT_EXIT, QueryTimeout

        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
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
        except (StoreError, ParamError, UnsafeInput, BindingError) as exc:
            if STATE["verbose"]:
                raise
            fail(str(exc))
        except Exception as exc:  # last resort: one line, not a traceback
            if STATE["verbose"]:
                raise
            fail(f"{type(exc).__name__}: {exc}", "run again with -v for the full traceback")

    return wrapper


def open_store(timeout: float | None = None):
    """The store selected by the global options: remote endpoint if given, else the embedded one."""
    if STATE["endpoint"]:
        from msckg.graph.store.remote import RemoteStore

        return RemoteStore(STATE["endpoint"], timeout=timeout or STATE["timeout"])
    from msckg.graph.store.embedded import EmbeddedStore

    return EmbeddedStore(STATE["store"])


def emit(rows, fmt, title=None, columns: str | None = None):
    from msckg.graph.query.output import render, select_columns

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


def print_report(report, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(report.as_json(), indent=2))
        return
    from itertools import groupby

    for rule, items in groupby(report.violations, key=lambda v: v.rule):
        items = list(items)
        sev = items[0].severity
        colour = "red" if sev == "Violation" else "yellow"
        out.print(f"[bold {colour}]{escape(rule)}[/bold {colour}] ({escape(sev)}, {len(items)}): {escape(items[0].message)}")
        for v in items:
            ack = f"  [dim](known source problem: {escape(v.acknowledged)})[/dim]" if v.acknowledged else ""
            out.print(f"  {escape(v.focus)}  {escape(v.path)}  {escape(v.value)}{ack}")
    status = "[green]ok[/green]" if report.ok else f"[red]{len(report.failing)} violation(s)[/red]"
    out.print(f"validation: {status}; {len(report.violations)} finding(s) in all")
