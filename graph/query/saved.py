"""Running saved queries: parameters typed and validated, then bound (never pasted into the text)."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from msckg.loader.schema import read_prefixes

from msckg.graph.paths import QUERIES
from msckg.graph.query.files import Param, QueryFile, read_query_dir, read_query_file
from msckg.graph.store.base import Rows, Store


class ParamError(ValueError):
    """A parameter value that does not fit the parameter's declared type or constraints."""


def saved_queries(directory: Path = QUERIES) -> dict[str, QueryFile]:
    """The saved queries by name (queries/*.rq, QC checks excluded)."""
    return {q.name: q for q in read_query_dir(directory)}


def coerce(param: Param, text: str) -> Node:
    """A typed RDF term for a parameter's text value, or ParamError saying what is wrong."""
    if param.type == "iri":
        if re.match(r"^https?://[^\s<>\"{}|\\^`]+$", text):
            term = URIRef(text)
        else:
            conv = read_prefixes()
            if not re.match(r"^[A-Za-z][\w.-]*:[^\s<>\"{}|\\^`]*$", text):
                raise ParamError(f"'{param.name}' expects an IRI or CURIE (e.g. msckg:AE_Haemorrhage), got {text!r}")
            try:
                term = URIRef(conv.expand_strict(text))
            except Exception:
                raise ParamError(f"'{param.name}': unknown prefix in {text!r}") from None
        return term
    if param.type == "integer":
        if not re.match(r"^[+-]?\d+$", text):
            raise ParamError(f"'{param.name}' expects a whole number, got {text!r}")
        value = int(text)
        term = Literal(str(value), datatype=XSD.integer)
    elif param.type == "decimal":
        if not re.match(r"^[+-]?\d+(\.\d+)?$", text):
            raise ParamError(f"'{param.name}' expects a number, got {text!r}")
        value = float(text)
        term = Literal(text, datatype=XSD.decimal)
    elif param.type == "boolean":
        if text.lower() not in ("true", "false"):
            raise ParamError(f"'{param.name}' expects true or false, got {text!r}")
        return Literal(text.lower(), datatype=XSD.boolean)
    else:
        if param.pattern and not re.fullmatch(param.pattern, text):
            raise ParamError(f"'{param.name}' must match {param.pattern}, got {text!r}")
        return Literal(text)
    if param.minimum is not None and not (param.minimum <= value <= param.maximum):
        raise ParamError(f"'{param.name}' must be between {param.minimum:g} and {param.maximum:g}, got {text!r}")
    return term


def bindings_for(query: QueryFile, given: dict[str, str]) -> dict[str, Node]:
    """Every parameter bound: given values (validated) or the declared defaults."""
    known = {p.name: p for p in query.params}
    unknown = set(given) - set(known)
    if unknown:
        raise ParamError(f"query '{query.name}' has no parameter {', '.join(sorted(unknown))}; it takes: {', '.join(known) or 'none'}")
    out = {}
    for p in query.params:
        text = given.get(p.name, p.default)
        if text is None:
            raise ParamError(f"query '{query.name}' needs --param {p.name}=... ({p.type}: {p.doc})")
        out[p.name] = coerce(p, text)
    return out


def _suggest_class(store: Store, term: URIRef) -> str:
    """' (did you mean msckg:X?)' for a class IRI the graph does not know, from class names and labels."""
    from difflib import get_close_matches

    conv = read_prefixes()
    rows = store.select(read_query_file(QUERIES / "internal" / "class-names.rq").text)
    by_text: dict[str, str] = {}
    for cls, name in rows.rows:
        curie = conv.compress(str(cls)) or str(cls)
        by_text.setdefault(curie.lower(), curie)
        by_text.setdefault(re.sub(r"^AE_", "", str(cls).rsplit("/", 1)[-1].rsplit("#", 1)[-1]).lower(), curie)
        if name is not None:
            by_text.setdefault(str(name).lower(), curie)
    given = conv.compress(str(term)) or str(term)
    name = re.sub(r"^ae_", "", given.split(":")[-1].lower()).replace("_", " ")
    if name in by_text:  # another name of a known class (a label or synonym): say which
        return f" (did you mean {by_text[name]}?)"
    for w in (name, given.lower()):
        close = get_close_matches(w, list(by_text), n=1, cutoff=0.75)
        if close:
            return f" (did you mean {by_text[close[0]]}?)"
    return ""


def check_known(store: Store, query: QueryFile, bindings: dict[str, Node]) -> None:
    """Refuse a `kind=class` parameter naming a class the graph does not know (a typo would give no rows)."""
    known = read_query_file(QUERIES / "internal" / "class-known.rq")
    for p in query.params:
        if p.kind != "class":
            continue
        term = bindings[p.name]
        rows = store.select(known.text, {"value": term})
        known_col = rows.variables.index("known") if rows.rows else 0
        if not (rows.rows and rows.rows[0][known_col] is not None and rows.rows[0][known_col].toPython() is True):
            shown = read_prefixes().compress(str(term)) or str(term)
            raise ParamError(f"'{p.name}': no class {shown} in the graph{_suggest_class(store, term)}")


def run_saved(store: Store, query: QueryFile, given: dict[str, str] | None = None, check: bool = True) -> Rows:
    """Run a saved query on a store with its parameters bound (class parameters checked first unless check=False)."""
    bindings = bindings_for(query, given or {})
    if check:
        check_known(store, query, bindings)
    return store.select(query.text, bindings)
