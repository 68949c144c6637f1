"""Refusals that keep msckg off the network: SERVICE, LOAD, updates, XML entities, remote contexts."""

from __future__ import annotations

import re
from xml.parsers import expat

from functools import lru_cache

class UnsafeInput(ValueError):
    """Input that would reach the network or change the store; refused before it runs."""

    def __init__(self, message: str, line: int = 0, column: int = 0):
        super().__init__(message)
        self.line, self.column = line, column


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


walk_parsed = _walk  # every CompValue of an rdflib parse tree, for callers that read a query's structure


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
    """Refuse XML with a DOCTYPE (hence any ENTITY) before any other parser sees it.

    expat itself reads the bytes, so the refusal holds in every encoding the XML declares
    (UTF-16 too), and it stops at the DOCTYPE, before a single entity is declared or expanded.
    Malformed XML raises xml.parsers.expat.ExpatError (with lineno and offset).
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args):
        raise UnsafeInput(f"{name}: XML with <!DOCTYPE or <!ENTITY is refused (entities can read files or reach the network)",
                          parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.Parse(data, True)


def _contexts(value, path):
    """Every entry of a @context value with its JSON path, lists flattened however deep."""
    stack = [(value, path)]
    while stack:
        v, p = stack.pop()
        if isinstance(v, list):
            stack.extend((x, p + [i]) for i, x in enumerate(v))
        else:
            yield v, p


def check_jsonld(doc, max_depth: int = 64) -> None:
    """Refuse JSON-LD that could make a JSON-LD processor fetch anything.

    rdflib fetches a context given as a string (a remote context), anywhere: the document's
    @context, one inside a node, a list of contexts (lists in lists too), a property- or
    type-scoped context in a term definition, and the target of "@import" in an inline context.
    Only inline (object) contexts and null are accepted, and "@import" is refused wherever it is.
    """
    from msckg.loader.jsonnodes import json_path

    stack = [(doc, [])]
    while stack:
        item, path = stack.pop()
        if len(path) > max_depth:
            raise UnsafeInput(f"JSON-LD nested more than {max_depth} levels deep at {json_path(path)}")
        if isinstance(item, dict):
            if "@import" in item:
                raise UnsafeInput(f"JSON-LD \"@import\" at {json_path(path + ['@import'])} is refused: it fetches a remote context; write the context inline")
            if "@context" in item:
                for c, cpath in _contexts(item["@context"], path + ["@context"]):
                    if isinstance(c, str):
                        raise UnsafeInput(f"JSON-LD remote context '{c}' at {json_path(cpath)} is refused: use an inline context")
                    if c is not None and not isinstance(c, dict):
                        raise UnsafeInput(f"JSON-LD context at {json_path(cpath)} must be an object or null, got {type(c).__name__}")
            stack.extend((v, path + [k]) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, path + [i]) for i, v in enumerate(item))
