"""Refusals that keep msckg off the network: SERVICE, LOAD, updates, XML entities, remote contexts."""

from __future__ import annotations

import re

from pyparsing import ParseResults
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue


class UnsafeInput(ValueError):
    """Input that would reach the network or change the store; refused before it runs."""


_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _walk(node):
    if isinstance(node, CompValue):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, (list, tuple, ParseResults)):
        for v in node:
            yield from _walk(v)


walk_parsed = _walk  # every CompValue of an rdflib parse tree, for callers that read a query's structure


def check_query(text: str) -> None:
    """Refuse a query that is not a read-only query or that uses SERVICE (federation = network)."""
    try:
        parsed = parseQuery(text)
    except Exception as exc:  # rdflib raises pyparsing errors; the engine will report the syntax error
        if re.search(r"\b(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|COPY|MOVE|ADD)\b", text, re.IGNORECASE) and not re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", text, re.IGNORECASE):
            raise UnsafeInput("only read-only queries are accepted (SELECT, ASK, CONSTRUCT, DESCRIBE); updates such as LOAD are refused") from None
        raise UnsafeInput(f"the query does not parse: {exc}") from None
    for node in _walk(parsed):
        if node.name == "ServiceGraphPattern":
            raise UnsafeInput("SERVICE (federated query) is refused: msckg does not reach other endpoints from a query")


def check_xml(data: bytes, name: str = "input") -> None:
    """Refuse XML with a DOCTYPE or ENTITY declaration before any parser sees it."""
    if _DOCTYPE.search(data):
        raise UnsafeInput(f"{name}: XML with <!DOCTYPE or <!ENTITY is refused (entities can read files or reach the network)")


def check_jsonld(doc) -> None:
    """Refuse JSON-LD whose @context (anywhere) points at a remote document."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ctx = item.get("@context")
            for c in ctx if isinstance(ctx, list) else [ctx]:
                if isinstance(c, str):
                    raise UnsafeInput(f"JSON-LD remote context '{c}' is refused: use an inline context")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
