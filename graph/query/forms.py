"""Any read-only query form (SELECT, ASK, CONSTRUCT, DESCRIBE), with the project's prefixes declared for it."""

from __future__ import annotations

from dataclasses import dataclass

from msckg.loader.schema import read_prefixes

from msckg.graph.safety import UnsafeInput, check_query, walk_parsed
from msckg.graph.store.base import Rows

FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}


class QueryTextError(ValueError):
    """A query text that cannot run as written: a syntax error or an undeclared prefix, said in one line."""


@dataclass
class Answer:
    """The answer to one query: rows (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE)."""

    form: str
    rows: Rows | None = None
    boolean: bool | None = None
    triples: list | None = None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"


def prepare(text: str) -> tuple[str, str]:
    """The query with PREFIX lines added for the project prefixes it uses but does not declare, and its form.

    A prefix that is neither declared in the query nor one of the project's (ontology/prefixes.ttl)
    is a QueryTextError naming it.
    """
    from rdflib.plugins.sparql.parser import parseQuery  # a tenth of a second: only when a query is read

    try:
        parsed = parseQuery(text)
    except Exception as exc:  # pyparsing's error; its first line says where
        check_query(text)  # an update, LOAD or SERVICE is refused as such, not as a syntax error
        raise QueryTextError(f"the query does not parse: {_first_line(exc)}") from None
    declared = {node.get("prefix") or "" for node in walk_parsed(parsed[0]) if node.name == "PrefixDecl"}
    used = {node.get("prefix") or "" for node in walk_parsed(parsed[1]) if node.name == "pname"}
    known = read_prefixes().prefix_map
    missing = sorted(used - declared)
    unknown = [p for p in missing if p not in known]
    if unknown:
        p = unknown[0]
        raise QueryTextError(f"the query uses the prefix '{p}:' without declaring it, and '{p}' is not one of the "
                             f"project's prefixes (ontology/prefixes.ttl): add 'PREFIX {p}: <...>' at the top")
    header = "".join(f"PREFIX {p}: <{known[p]}> " for p in missing)
    return header + text, FORMS.get(parsed[1].name, "SELECT")


def run_query(store, text: str) -> Answer:
    """Run a read-only query of any form on a store (embedded or remote)."""
    text, form = prepare(text)
    if form == "SELECT":
        return Answer(form, rows=store.select(text))
    if form == "ASK":
        return Answer(form, boolean=store.ask(text))
    construct = getattr(store, "construct", None)
    if construct is None:
        raise UnsafeInput(f"{form} is not supported by this store")
    return Answer(form, triples=construct(text))
