"""Answers written as they come: rows serialised a chunk at a time (CHUNK_ROWS rows or CHUNK_SECONDS), or a
table's first page and then a count of the rows after it, so that memory holds one chunk, never the answer.

Everything goes out through `send(kind, *payload)` (decision 0111): ("bytes", data, rows) for text to print,
("page", Rows) for a table's rows, ("delivered", shown) once everything asked for is written (what follows is
only counting the rows left out), ("counted", n) now and then while counting. The same producers run in the
query worker (send = the pipe to the CLI) and in the CLI itself (a remote store's answer, collected rows).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import islice
from typing import Callable, Iterable

import pyoxigraph as ox

from msckg.graph.query.forms import prepare
from msckg.graph.query.output import (GRAPH_FORMATS, RESULT_FORMATS, TABLE_LIMIT, TABLE_ROW_CAP, OutputError,
                                      column_names, json_cell, serialize_bindings, serialize_boolean, serialize_triples)
from msckg.graph.query.saved import bindings_for, check_known
from msckg.graph.safety import UnsafeInput
from msckg.graph.store.base import Rows, StoreError
from msckg.graph.store.terms import to_rdflib

CHUNK_ROWS = 500  # rows serialised and sent together at most
CHUNK_SECONDS = 0.2  # a chunk is sent once its first row is this old, however few rows it has
SPLICE = {"json": (b"]}}", b","), "xml": (b"</results></sparql>", b""), "csv": (b"", b""), "tsv": (b"", b"")}

Send = Callable[..., None]


@dataclass
class Plan:
    """How an answer is written: the format, the columns (as for output.column_names) and --limit."""

    fmt: str = "table"
    columns: str | None = None
    default: list[str] | None = None
    iris: bool = False
    limit: int | None = None

    def rows_wanted(self) -> int | None:
        """How many rows are written (None: all): a table shows TABLE_LIMIT rows unless --limit says otherwise,
        and never more than TABLE_ROW_CAP; other formats write every row unless --limit is given."""
        if self.limit is not None and self.limit < 0:
            raise OutputError(f"--limit must be 0 (all rows) or more, got {self.limit}")
        if self.fmt == "table":
            return TABLE_LIMIT if self.limit is None else min(self.limit or TABLE_ROW_CAP, TABLE_ROW_CAP)
        return self.limit or None

    def cut(self) -> str:
        """What left rows out when there were more than rows_wanted: 'limit' or 'cap' (the table's row cap)."""
        if self.fmt == "table" and self.limit is not None and (self.limit == 0 or self.limit > TABLE_ROW_CAP):
            return "cap"
        return "limit"


@dataclass
class Summary:
    """What was written: rows shown, how many more the answer has, and what left them out (None: nothing)."""

    shown: int
    more: int = 0
    cut: str | None = None


class Spliced:
    """One SPARQL results document written a chunk of rows at a time, byte for byte the document pyoxigraph writes
    for all the rows at once: its head (the empty document up to its tail), each chunk's rows, then the tail."""

    def __init__(self, variables: list[str], fmt: str):
        self.variables, self.fmt = variables, fmt
        self.tail, self.sep = SPLICE[fmt]
        empty = serialize_bindings(variables, [], fmt)
        if not empty.endswith(self.tail):
            raise OutputError(f"pyoxigraph's empty {fmt} document does not end as expected: {empty[-40:]!r}")
        self.head = empty[:len(empty) - len(self.tail)]
        self.started = False

    def rows(self, bindings: list[dict]) -> bytes:
        """The bytes for these rows (the document's head before the first)."""
        if not bindings:
            return b""
        doc = serialize_bindings(self.variables, bindings, self.fmt)
        if not (doc.startswith(self.head) and doc.endswith(self.tail)):
            raise OutputError(f"pyoxigraph's {self.fmt} document for a chunk of rows does not splice")
        body = doc[len(self.head):len(doc) - len(self.tail)]
        out = (self.sep if self.started else self.head) + body
        self.started = True
        return out

    def end(self) -> bytes:
        return (b"" if self.started else self.head) + self.tail


def _as_rdflib(term):
    return to_rdflib(term) if isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal)) else term


def _count_rest(rows, send: Send) -> int:
    n, last = 0, time.monotonic()
    for _ in rows:
        n += 1
        if not n % 1000 and time.monotonic() - last >= CHUNK_SECONDS:
            send("counted", n)
            last = time.monotonic()
    return n


def write_rows(variables: list[str], rows: Iterable, plan: Plan, send: Send) -> Summary:
    """Rows (tuples or pyoxigraph solutions, in `variables` order) written as the plan says, as they come."""
    names = column_names(variables, plan.fmt, plan.columns, plan.default, plan.iris)
    if plan.fmt != "table" and plan.fmt not in RESULT_FORMATS:
        raise OutputError(f"unknown format '{plan.fmt}' for rows: use table, {', '.join(RESULT_FORMATS)}")
    idx = [variables.index(n) for n in names]
    wanted = plan.rows_wanted()
    rows = iter(rows)
    shown = 0
    if plan.fmt == "table":
        page = [tuple(_as_rdflib(r[i]) for i in idx) for r in islice(rows, wanted)]
        shown = len(page)
        send("page", Rows(names, page))
    else:
        doc, chunk, since = Spliced(names, plan.fmt), [], 0.0
        for r in islice(rows, wanted):
            if not chunk:
                since = time.monotonic()
            chunk.append({n: json_cell(r[i]) for n, i in zip(names, idx) if r[i] is not None})
            if len(chunk) >= CHUNK_ROWS or not shown or time.monotonic() - since >= CHUNK_SECONDS:  # the first row at once
                send("bytes", doc.rows(chunk), len(chunk))
                shown, chunk = shown + len(chunk), []
        send("bytes", doc.rows(chunk) + doc.end(), len(chunk))
        shown += len(chunk)
    send("delivered", shown)
    more = _count_rest(rows, send) if wanted is not None else 0
    return Summary(shown, more, plan.cut() if more else None)


def write_triples(triples: Iterable, fmt: str, send: Send) -> Summary:
    """A CONSTRUCT or DESCRIBE answer: N-Triples a chunk at a time as the triples come; Turtle and JSON-LD (and
    a table, which is Turtle) whole, since their prefixes and nesting depend on every triple."""
    if fmt != "nt":
        triples = list(triples)
        send("bytes", serialize_triples(triples, fmt).encode("utf-8"), len(triples))
        send("delivered", len(triples))
        return Summary(len(triples))
    shown, chunk, since = 0, [], 0.0
    for t in triples:
        if not chunk:
            since = time.monotonic()
        chunk.append(t)
        if len(chunk) >= CHUNK_ROWS or not shown or time.monotonic() - since >= CHUNK_SECONDS:
            send("bytes", ox.serialize(chunk, format=GRAPH_FORMATS["nt"]), len(chunk))
            shown, chunk = shown + len(chunk), []
    send("bytes", ox.serialize(chunk, format=GRAPH_FORMATS["nt"]) if chunk else b"", len(chunk))
    send("delivered", shown + len(chunk))
    return Summary(shown + len(chunk))


def select_source(store, text: str, bindings=None) -> tuple[list[str], Iterable]:
    """The variables and rows of a SELECT: pyoxigraph's lazy solutions on the embedded store, the checked
    rows of the whole answer elsewhere (a remote answer is read and checked before any row is shown)."""
    results = getattr(store, "results", None)
    if results is not None:
        solutions = results(text, bindings)
        if not isinstance(solutions, ox.QuerySolutions):
            raise StoreError("expected a SELECT query")
        return [v.value for v in solutions.variables], solutions
    answer = store.select(text, bindings)
    return answer.variables, answer.rows


def write_query(store, text: str, plan: Plan, send: Send) -> Summary:
    """Any read-only query (SELECT, ASK, CONSTRUCT, DESCRIBE) on a store, its answer written as it comes."""
    text, form = prepare(text)
    if form == "SELECT":
        plan.rows_wanted()  # a bad --limit before the query runs
        variables, rows = select_source(store, text)
        return write_rows(variables, rows, plan, send)
    if form == "ASK":
        send("bytes", serialize_boolean(store.ask(text), plan.fmt).encode("utf-8"), 0)
        send("delivered", 0)
        return Summary(0)
    if plan.fmt != "table" and plan.fmt not in GRAPH_FORMATS:
        raise OutputError(f"unknown format '{plan.fmt}' for a graph: use ttl, nt or jsonld")
    results = getattr(store, "results", None)
    if results is not None:
        triples = results(text, None)
    elif getattr(store, "construct", None) is not None:
        triples = store.construct(text)
    else:
        raise UnsafeInput(f"{form} is not supported by this store")
    return write_triples(triples, plan.fmt, send)


def write_saved(store, query, given: dict[str, str], plan: Plan, send: Send) -> Summary:
    """A saved query with its parameters bound (class parameters checked first), its rows written as they come."""
    plan.rows_wanted()
    bindings = bindings_for(query, given)
    check_known(store, query, bindings)
    variables, rows = select_source(store, query.text, bindings)
    return write_rows(variables, rows, plan, send)
