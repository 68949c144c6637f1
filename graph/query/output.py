"""Rows to text: a readable table, CSV, TSV or JSON, with IRIs shortened by the declared prefixes."""

from __future__ import annotations

import csv
import io
import json

from rdflib import Literal, URIRef
from rich.console import Console
from rich.table import Table

from msckg.loader.schema import read_prefixes

from msckg.graph.store.base import Rows

_converter = None


def shorten(term) -> str:
    """A CURIE for an IRI under a declared prefix, the plain value otherwise ('' when unbound)."""
    global _converter
    if term is None:
        return ""
    if isinstance(term, URIRef):
        if _converter is None:
            _converter = read_prefixes()
        return _converter.compress(str(term)) or str(term)
    return str(term)


def plain(term):
    """A JSON value for a term: numbers stay numbers, booleans booleans, the rest text."""
    if isinstance(term, Literal):
        v = term.toPython()
        if isinstance(v, bool) or isinstance(v, (int, float)):
            return v
        if v.__class__.__name__ == "Decimal":
            return float(v)
        return str(term)
    return None if term is None else str(term)


def select_columns(rows: Rows, names: list[str]) -> Rows:
    """The same rows with only the named columns, in that order (unknown names are an error)."""
    missing = [n for n in names if n not in rows.variables]
    if missing:
        raise ValueError(f"no column {', '.join(missing)}; the columns are: {', '.join(rows.variables)}")
    idx = [rows.variables.index(n) for n in names]
    return Rows(names, [tuple(r[i] for i in idx) for r in rows.rows])


def render(rows: Rows, fmt: str, console: Console | None = None, title: str | None = None) -> str | None:
    """Render rows; 'table' prints to the console and returns None, the others return text."""
    if fmt == "table":
        table = Table(title=title, show_lines=False)
        for v in rows.variables:
            table.add_column(v, overflow="fold")
        for r in rows.rows:
            table.add_row(*(shorten(t) for t in r))
        (console or Console()).print(table)
        (console or Console()).print(f"[dim]{len(rows.rows)} row(s)[/dim]")
        return None
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        w = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        w.writerow(rows.variables)
        for r in rows.rows:
            w.writerow(["" if t is None else str(t) for t in r])
        return buf.getvalue()
    if fmt == "json":
        return json.dumps({"variables": rows.variables, "rows": [dict(zip(rows.variables, map(plain, r))) for r in rows.rows]}, indent=2, ensure_ascii=False)
    raise ValueError(f"unknown format '{fmt}' (table, csv, tsv, json)")
