"""Refusals that keep msckg off the network: SERVICE, LOAD, updates, XML entities, remote contexts."""

from __future__ import annotations

import re

from functools import lru_cache

class UnsafeInput(ValueError):
    """Input that would reach the network or change the store; refused before it runs."""


_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


# Words that can only come from SERVICE, an update, or a \u escape that could spell either. A query
# whose text (full-line comments aside) holds none of them cannot be unsafe, so it needs no parse;
# any other query is parsed with rdflib and refused or passed as before.
_SUSPECT = re.compile(r"service|\\u|\b(insert|delete|load|clear|drop|create|copy|move|add|with|using)\b", re.IGNORECASE)
_FULL_LINE_COMMENT = re.compile(r"^[ \t]*#.*$", re.MULTILINE)


def _walk(node):
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, (list, tuple, ParseResults)):
        for v in node:
            yield from _walk(v)


@lru_cache(maxsize=512)
def check_query(text: str) -> None:
    """Refuse a query that is not a read-only query or that uses SERVICE (federation = network).

    A line whose first non-blank character is '#' is a comment or lies inside a long string, so
    dropping such lines cannot hide a keyword; when what remains holds no suspect word, the query
    is accepted without rdflib's parser (38 ms to 1 s per query), and the engine reports syntax
    errors. The answer for a given text is remembered."""
    if not _SUSPECT.search(_FULL_LINE_COMMENT.sub("", text)):
        return
    from rdflib.plugins.sparql.parser import parseQuery

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
