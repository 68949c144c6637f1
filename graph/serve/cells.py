"""Values as the pages show them: labels linked to entity pages, external links only to http(s) IRIs,
readable tables of saved-query answers, and CSV cells guarded against formula injection."""

from __future__ import annotations

import csv
import io
import re
import urllib.parse
from dataclasses import dataclass

from rdflib import Literal, URIRef

from msckg.graph.query.output import shorten

LOCAL = "https://w3id.org/msckg/"
_HTTP = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)
_JOINED_IRIS = re.compile(r"^https?://\S+(; https?://\S+)*$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def entity_url(iri: str) -> str:
    """The entity page of any IRI (the IRI travels as an encoded parameter, never as a path)."""
    return "/entity?" + urllib.parse.urlencode({"iri": iri})


def external_url(iri: str) -> str | None:
    """The IRI itself when it is safe to link to (http or https only; never javascript:, data:, ...)."""
    return iri if _HTTP.match(iri) else None


@dataclass
class Cell:
    text: str
    href: str | None = None       # the entity page
    external: str | None = None   # the IRI itself, for http(s) IRIs outside msckg


def cell_for(term, label: str | None = None, labels: dict | None = None) -> list[Cell]:
    """One or more cells for a term: an IRI as its label linked to its page; "; "-joined IRIs split."""
    if term is None:
        return []
    if isinstance(term, URIRef):
        iri = str(term)
        text = label or (labels or {}).get(iri) or shorten(term)
        ext = external_url(iri)
        return [Cell(text, entity_url(iri), ext if ext and not iri.startswith(LOCAL) else None)]
    text = str(term)
    if isinstance(term, Literal) and _JOINED_IRIS.match(text):
        out = []
        for part in text.split("; "):
            out += cell_for(URIRef(part), None, labels)
        return out
    return [Cell(text)]


def iris_in_values(terms) -> set[str]:
    """Every IRI among terms, including IRIs joined with "; " in a literal (GROUP_CONCAT of documents)."""
    out = set()
    for t in terms:
        if isinstance(t, URIRef):
            out.add(str(t))
        elif isinstance(t, Literal) and _JOINED_IRIS.match(str(t)):
            out.update(str(t).split("; "))
    return out


@dataclass
class AnswerTable:
    """A saved query's answer as the query page shows it."""

    columns: list[str]
    rows: list[list[list[Cell]]]
    default_columns: list[str] | None
    all_columns: bool


def shown_columns(variables: list[str], declared: list[str] | None, all_columns: bool) -> list[str]:
    """The declared `#+ columns:` set (those present), else every column; label columns fold into their entity."""
    folded = [v for v in variables if not (v.endswith("_label") and v[: -len("_label")] in variables)]
    if declared and not all_columns:
        chosen = [c for c in declared if c in variables]
        if chosen:
            return chosen
    return folded


def answer_table(variables, rows, labels, declared: list[str] | None, all_columns: bool) -> AnswerTable:
    cols = shown_columns(variables, declared, all_columns)
    index = {v: i for i, v in enumerate(variables)}
    out = []
    for r in rows:
        line = []
        for c in cols:
            entity = index.get(c[: -len("_label")]) if c.endswith("_label") else None
            if entity is not None and isinstance(r[entity], URIRef):  # a label column: the label, linked to its entity
                line.append(cell_for(r[entity], None if r[index[c]] is None else str(r[index[c]]), labels))
                continue
            term = r[index[c]]
            lab = index.get(f"{c}_label")
            label = str(r[lab]) if lab is not None and r[lab] is not None else None
            line.append(cell_for(term, label, labels))
        out.append(line)
    return AnswerTable(cols, out, declared, all_columns)


def declared_columns(query) -> list[str] | None:
    """A saved query's `#+ columns: a,b,c` header (issue on readable answers), if it has one."""
    text = query.header.get("columns", "")
    cols = [c.strip() for c in re.split(r"[,\s]+", text) if c.strip()]
    return cols or None


def guard_cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (or a tab/CR) gets a leading
    apostrophe; plain numbers such as -0.5 are left as they are (they cannot be formulas)."""
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def guarded_csv(variables: list[str], rows, delimiter: str = ",") -> str:
    """Rows as CSV (or TSV) with every cell guarded; unbound cells are empty."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow([guard_cell(v) for v in variables])
    for r in rows:
        w.writerow(["" if t is None else guard_cell(str(t)) for t in r])
    return buf.getvalue()


def csv_columns(variables: list[str], shown: list[str]) -> list[str]:
    """The download's columns: the shown ones, each entity column beside its label column (the IRI
    first), so a spreadsheet gets both the names and the identifiers."""
    out: list[str] = []
    for c in shown:
        entity = c[: -len("_label")] if c.endswith("_label") else None
        if entity in variables and entity not in out and entity not in shown:
            out.append(entity)
        if c not in out:
            out.append(c)
        if f"{c}_label" in variables and f"{c}_label" not in shown and f"{c}_label" not in out:
            out.append(f"{c}_label")
    return out
