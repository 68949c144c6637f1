"""Answers to text: a readable table, or the SPARQL 1.1 results formats (JSON, XML, CSV, TSV) and RDF for graphs.

The standard formats are written by pyoxigraph's own serialisers: rows (from any backend, after
column selection) are handed to pyoxigraph as SPARQL JSON results and serialised from there, so
the embedded and the remote store write byte-for-byte the same CSV, TSV, JSON and XML.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from msckg.loader.schema import read_prefixes

from msckg.graph.store.base import Rows

RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                  "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
GRAPH_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
                 "jsonld": ox.RdfFormat.JSON_LD}
TABLE_LIMIT = 20  # rows a table shows unless --limit says otherwise
TABLE_ROW_CAP = 1000  # rows a table shows at most (--limit 0 or a larger --limit): the rest is for --format csv
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "nonNegativeInteger", "positiveInteger", "int", "long")}

_converter = None


class OutputError(ValueError):
    """A format or a column the answer cannot be written in."""


def _prefixes():
    global _converter
    if _converter is None:
        _converter = read_prefixes()
    return _converter


def shorten(term) -> str:
    """A CURIE for an IRI under a declared prefix, the plain value otherwise ('' when unbound)."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return _prefixes().compress(str(term)) or str(term)
    return str(term)


def plain(term):
    """A JSON value for a term: numbers stay numbers, booleans booleans, the rest text."""
    if isinstance(term, Literal):
        v = term.toPython()
        if isinstance(v, bool) or isinstance(v, (int, float)):
            return v
        if isinstance(v, Decimal):
            return float(v)
        return str(term)
    return None if term is None else str(term)


def select_columns(rows: Rows, names: list[str]) -> Rows:
    """The same rows with only the named columns, in that order (unknown names are an error)."""
    missing = [n for n in names if n not in rows.variables]
    if missing:
        raise OutputError(f"no column {', '.join(missing)}; the columns are: {', '.join(rows.variables)}")
    idx = [rows.variables.index(n) for n in names]
    return Rows(names, [tuple(r[i] for i in idx) for r in rows.rows])


def column_names(variables: list[str], fmt: str, columns: str | None = None, default: list[str] | None = None,
                 iris: bool = False) -> list[str]:
    """The columns an answer is shown with.

    `columns` given: those ('all' = every variable). Otherwise a table shows the query's default
    columns (its `#+ columns:` header) and every other format every variable. `iris` puts the
    entity column `X` in front of each label column `X_label` shown. Unknown names are an OutputError.
    """
    if columns and columns.strip().lower() == "all":
        names = list(variables)
    elif columns:
        names = [c.strip() for c in columns.split(",") if c.strip()]
    elif fmt == "table" and default:
        names = [c for c in default if c in variables]
    else:
        names = list(variables)
    if iris:
        with_iris: list[str] = []
        for n in names:
            base = n[: -len("_label")] if n.endswith("_label") else None
            if base and base in variables and base not in names and base not in with_iris:
                with_iris.append(base)
            with_iris.append(n)
        names = with_iris
    missing = [n for n in names if n not in variables]
    if missing:
        raise OutputError(f"no column {', '.join(missing)}; the columns are: {', '.join(variables)}")
    return names


def choose_columns(rows: Rows, fmt: str, columns: str | None = None, default: list[str] | None = None,
                   iris: bool = False) -> Rows:
    """The same rows with only the columns `column_names` chooses, in that order."""
    return select_columns(rows, column_names(rows.variables, fmt, columns, default, iris))


def limit_rows(rows: Rows, limit: int | None) -> tuple[Rows, int]:
    """The first `limit` rows (None or 0: all) and how many were left out."""
    if not limit or limit >= len(rows.rows):
        return rows, 0
    return Rows(rows.variables, rows.rows[:limit]), len(rows.rows) - limit


# ------------------------------------------------------------------------------------ standard formats


def _json_cell(term) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    cell = {"type": "literal", "value": str(term)}
    if term.language:
        cell["xml:lang"] = term.language
    elif term.datatype:
        cell["datatype"] = str(term.datatype)
    return cell


@lru_cache(maxsize=65536)
def _typed_cell(value: str, datatype: str) -> dict:
    return _json_cell(Literal(value, datatype=URIRef(datatype)))  # rdflib's lexical form, as for every other row


def json_cell(term) -> dict:
    """A SPARQL JSON results cell for an rdflib or a pyoxigraph term; a pyoxigraph term gives exactly the cell of
    its rdflib twin (store.terms.to_rdflib), without building one for every IRI and plain string."""
    kind = type(term)
    if kind is ox.NamedNode:
        return {"type": "uri", "value": term.value}
    if kind is ox.BlankNode:
        return {"type": "bnode", "value": term.value}
    if kind is ox.Literal:
        if term.language:
            return {"type": "literal", "value": term.value, "xml:lang": term.language}
        datatype = term.datatype.value
        if datatype == XSD + "string":
            return {"type": "literal", "value": term.value}
        return _typed_cell(term.value, datatype)
    return _json_cell(term)


def results_json(rows: Rows) -> dict:
    """The rows as a SPARQL 1.1 Query Results JSON document (unbound values left out)."""
    return {"head": {"vars": list(rows.variables)},
            "results": {"bindings": [{v: _json_cell(t) for v, t in zip(rows.variables, r) if t is not None}
                                     for r in rows.rows]}}


def serialize_bindings(variables: list[str], bindings: list[dict], fmt: str) -> bytes:
    """SPARQL JSON bindings (variable -> cell) in a SPARQL 1.1 results format (json, xml, csv, tsv), written by pyoxigraph."""
    if fmt not in RESULT_FORMATS:
        raise OutputError(f"unknown format '{fmt}' for rows: use table, {', '.join(RESULT_FORMATS)}")
    document = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
    solutions = ox.parse_query_results(json.dumps(document).encode("utf-8"), ox.QueryResultsFormat.JSON)
    return solutions.serialize(format=RESULT_FORMATS[fmt])


def serialize_rows(rows: Rows, fmt: str) -> str:
    """Rows in a SPARQL 1.1 results format (json, xml, csv, tsv), written by pyoxigraph."""
    return serialize_bindings(rows.variables, results_json(rows)["results"]["bindings"], fmt).decode("utf-8")


def serialize_boolean(value: bool, fmt: str) -> str:
    """An ASK answer: 'true'/'false' for a table, else a SPARQL results document."""
    if fmt == "table":
        return "true" if value else "false"
    if fmt not in RESULT_FORMATS:
        raise OutputError(f"unknown format '{fmt}' for an ASK answer: use table, {', '.join(RESULT_FORMATS)}")
    answer = ox.parse_query_results(json.dumps({"head": {}, "boolean": bool(value)}), ox.QueryResultsFormat.JSON)
    return answer.serialize(format=RESULT_FORMATS[fmt]).decode("utf-8")


def serialize_triples(triples, fmt: str) -> str:
    """A CONSTRUCT or DESCRIBE answer as Turtle (also for 'table'), N-Triples or JSON-LD."""
    rdf_format = GRAPH_FORMATS.get("ttl" if fmt == "table" else fmt)
    if rdf_format is None:
        raise OutputError(f"unknown format '{fmt}' for a graph: use ttl, nt or jsonld")
    triples = list(triples)
    options = {}
    if rdf_format == ox.RdfFormat.TURTLE:  # only the project prefixes the answer uses
        iris = {t.value for tr in triples for t in (tr.subject, tr.predicate, tr.object, getattr(tr.object, "datatype", None))
                if isinstance(t, ox.NamedNode)}
        options["prefixes"] = {p: ns for p, ns in _prefixes().prefix_map.items() if any(i.startswith(ns) for i in iris)}
    return ox.serialize(triples, format=rdf_format, **options).decode("utf-8")


# ------------------------------------------------------------------------------------ tables


def _is_number(term) -> bool:
    return isinstance(term, Literal) and term.datatype is not None and str(term.datatype) in NUMERIC


def cell_text(term) -> str:
    """A cell as a reader wants it: labels as they are, IRIs as CURIEs, yes/no, 1 × 10^6 for big round numbers."""
    if term is None:
        return ""
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype) == XSD + "boolean":
        return "yes" if str(term).lower() in ("true", "1") else "no"
    if _is_number(term):
        try:
            value = Decimal(str(term))
        except InvalidOperation:
            return str(term)
        if abs(value) >= 100000 and value == value.to_integral_value():
            digits = value.normalize().as_tuple()
            exponent = len(digits.digits) - 1 + digits.exponent
            mantissa = value.scaleb(-exponent).normalize()
            return f"{mantissa:f} × 10^{exponent}"
        return str(term)
    return shorten(term)


SHORT_CELL = 16  # a column whose every cell is at most this long is never wrapped (IDs, numbers, short labels)
LONGEST_WORD = 18  # wrapping columns are at least as wide as their longest word, up to this


def render_table(rows: Rows, console: Console, title: str | None = None, left_out: int = 0, total: int | None = None) -> None:
    """Print rows as a table: every value as plain text (never read as rich markup), numbers right-aligned,
    headers and short cells never broken, long text wrapped at words; then how many rows there are."""
    render_page(rows, console, title)
    shown = len(rows.rows)
    more = (total - shown) if total is not None else left_out
    console.print(table_footer(shown, more, "limit" if more else None))


def render_page(rows: Rows, console: Console, title: str | None = None) -> None:
    """Print rows as a table (the footer apart: see table_footer)."""
    cells = [[cell_text(t) for t in r] for r in rows.rows]
    if _narrowest(rows.variables, cells) > console.width:
        _render_records(rows.variables, cells, console, title)
    else:
        _render_columns(rows, cells, console, title)


def table_footer(shown: int, more: int, cut: str | None, stopped: str | None = None) -> Text:
    """The line under a table: how many rows it has, or how many it leaves out and which command gives them all.

    `cut` says what left rows out: "limit" (--limit, or the default page of TABLE_LIMIT rows) or "cap" (the
    TABLE_ROW_CAP rows a table shows at most); `stopped` that counting the rest stopped there (`more` is then
    a lower bound), e.g. "the 60 s --timeout"."""
    every = "--format csv writes every row and column"
    if stopped:
        return Text(f"{shown:,} rows shown; at least {more:,} more (counting them stopped at {stopped}): {every}", style="dim")
    if not more:
        return Text(f"{shown:,} row{'s' if shown != 1 else ''}", style="dim")
    total = shown + more
    if cut == "cap":
        return Text(f"{shown:,} of {total:,} rows shown, the most a table shows; {more:,} more: {every}", style="dim")
    if total <= TABLE_ROW_CAP:
        return Text(f"{shown:,} of {total:,} rows shown; {more:,} more: --limit 0 shows all, {every}", style="dim")
    return Text(f"{shown:,} of {total:,} rows shown; {more:,} more: --limit 0 shows the first {TABLE_ROW_CAP:,}, {every}",
                style="dim")


def _min_width(header: str, column: list[str]) -> int:
    longest = max((len(c) for c in column), default=0)
    if longest <= SHORT_CELL:
        return max(len(header), longest)
    return max(len(header), min(max((len(w) for c in column for w in c.split()), default=0), LONGEST_WORD))


def _column_widths(variables: list[str], cells: list[list[str]], width: int) -> list[int | None]:
    """Each column's width when the table is wider than `width`: its least width (_min_width), then the room
    left shared by the columns that wrap, in proportion to what they lack, none wider than its longest cell.

    rich narrows such a table evenly and then widens each column back to its least width, so the table came
    out wider than the terminal and the console cut the ends of the last column's lines (docs/decisions/0172)."""
    columns = [[c[i] for c in cells] for i in range(len(variables))]
    least = [_min_width(v, col) for v, col in zip(variables, columns)]
    most = [max([cell_len(v)] + [cell_len(c) for c in col]) for v, col in zip(variables, columns)]
    room = width - 2 * (len(variables) - 1)  # one column of padding and one of rule between two columns
    if sum(most) <= room:
        return [None] * len(variables)  # it fits: rich lays it out
    widths = list(least)
    spare = room - sum(widths)
    while spare > 0:
        lacking = [i for i, w in enumerate(widths) if w < most[i]]
        if not lacking:
            break
        need = sum(most[i] - widths[i] for i in lacking)
        given = 0
        for i in lacking:
            share = min(most[i] - widths[i], spare * (most[i] - widths[i]) // need)
            widths[i] += share
            given += share
        if not given:  # shares rounded down to nothing: one column at a time, the one lacking most first
            widths[max(lacking, key=lambda i: most[i] - widths[i])] += 1
            given = 1
        spare -= given
    return widths


def _narrowest(variables: list[str], cells: list[list[str]]) -> int:
    """The least width a table of these columns needs (two characters per column: padding and rule, and a margin rich keeps)."""
    return sum(_min_width(v, [c[i] for c in cells]) for i, v in enumerate(variables)) + 2 * len(variables)


def _render_records(variables: list[str], cells: list[list[str]], console: Console, title: str | None) -> None:
    """Too many columns for the terminal: each row as a block of 'column  value' lines (like psql's \\x)."""
    if title:
        console.print(Text(title))
    for n, row in enumerate(cells, 1):
        console.rule(Text(f"row {n}", style="dim"), align="left", style="dim")
        block = Table.grid(padding=(0, 2))
        block.add_column(style="bold", no_wrap=True)
        block.add_column(overflow="fold")
        for name, value in zip(variables, row):
            if value:
                block.add_row(Text(name), Text(value))
        console.print(block, soft_wrap=False)


def _render_columns(rows: Rows, cells: list[list[str]], console: Console, title: str | None) -> None:
    table = Table(title=Text(title) if title else None, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0),
                  title_justify="left", header_style="bold", show_edge=False)
    widths = _column_widths(rows.variables, cells, console.width)
    for i, v in enumerate(rows.variables):
        values = [r[i] for r in rows.rows if r[i] is not None]
        numeric = bool(values) and all(_is_number(t) for t in values)
        column = [c[i] for c in cells]
        short = max((len(c) for c in column), default=0) <= SHORT_CELL
        table.add_column(Text(v), justify="right" if numeric else "left", overflow="fold",
                         min_width=_min_width(v, column), no_wrap=short, width=widths[i])
    for r in cells:
        table.add_row(*(Text(c) for c in r))
    console.print(table, soft_wrap=False)  # a soft-wrapping console would let the table run past its width


def render(rows: Rows, fmt: str, console: Console | None = None, title: str | None = None) -> str | None:
    """Render rows; 'table' prints to the console and returns None, the other formats return text."""
    if fmt == "table":
        render_table(rows, console or Console(), title)
        return None
    return serialize_rows(rows, fmt)
