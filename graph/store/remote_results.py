"""A remote endpoint's SPARQL JSON results read strictly: the media type, complete JSON, the results shape and
every cell checked, so that an HTML page, a truncated body or a capped answer is a typed error, never rows."""

from __future__ import annotations

import json
import re

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from .base import Rows
from .remote_http import RemoteBadAnswer, RemoteIncomplete, Reply

RESULTS_JSON = ("application/sparql-results+json", "application/json")
ACCEPT = "application/sparql-results+json, application/json;q=0.9"
KINDS = ("uri", "bnode", "literal", "typed-literal")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _title(reply: Reply) -> str:
    m = re.search(rb"<title[^>]*>(.*?)</title>", reply.body[:20000], re.I | re.S)
    return " ".join(m.group(1).decode("utf-8", "replace").split())[:80] if m else ""


def results_json(reply: Reply, what: str) -> dict:
    """The JSON object of a SPARQL results answer, or RemoteBadAnswer saying what came instead."""
    url, media = reply.url, reply.media_type
    if media not in RESULTS_JSON:
        if media in ("text/html", "application/xhtml+xml") or reply.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
            title = _title(reply)
            raise RemoteBadAnswer(f"remote endpoint {url} answered {reply.status} with an HTML page"
                                  + (f" ('{title}')" if title else "") + f", not SPARQL results to {what}: "
                                  "is this URL the SPARQL endpoint itself (…/query, …/sparql)?", reply.status)
        shown = media or "no content type"
        raise RemoteBadAnswer(f"remote endpoint {url} answered {what} with {shown}, not SPARQL JSON results "
                              f"({RESULTS_JSON[0]}); is this URL a SPARQL endpoint?", reply.status)
    try:
        obj = json.loads(reply.body)
    except UnicodeDecodeError:
        raise RemoteBadAnswer(f"remote endpoint {url}: the answer to {what} is not UTF-8 text", reply.status) from None
    except json.JSONDecodeError as exc:
        end = exc.pos >= len(reply.body.rstrip())
        why = "it stops in the middle: a truncated answer" if end else exc.msg
        raise RemoteBadAnswer(f"remote endpoint {url}: the answer to {what} is not complete JSON ({why}, at byte "
                              f"{exc.pos:,} of {len(reply.body):,})", reply.status) from None
    except RecursionError:
        raise RemoteBadAnswer(f"remote endpoint {url}: the answer to {what} is JSON nested too deeply", reply.status) from None
    if not isinstance(obj, dict):
        raise RemoteBadAnswer(f"remote endpoint {url}: the answer to {what} is JSON but not SPARQL results "
                              f"(a {type(obj).__name__}, not an object)", reply.status)
    limits = obj.get("limits")
    if isinstance(limits, dict) and limits.get("truncated") is True:  # an msckg serve endpoint's row cap
        raise RemoteIncomplete(f"remote endpoint {url} says its answer to {what} is incomplete (cut at its row cap of "
                               f"{limits.get('rowCap')}); msckg shows no partial result: narrow the query", reply.status)
    return obj


def _bad(reply: Reply, what: str, where: str, why: str) -> RemoteBadAnswer:
    return RemoteBadAnswer(f"remote endpoint {reply.url}: the answer to {what} is JSON but not SPARQL results "
                           f"({where}: {why})", reply.status)


def _term(cell: dict | None) -> Node | None:
    if cell is None:
        return None
    kind, value = cell["type"], cell["value"]
    if kind not in KINDS or not isinstance(value, str):
        raise ValueError(f"type {kind!r} with a {type(value).__name__} value")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if "xml:lang" in cell:
        return Literal(value, lang=cell["xml:lang"])
    dt = cell.get("datatype")
    if dt and dt != XSD_STRING:
        return Literal(value, datatype=URIRef(dt))
    return Literal(value)


def read_select(reply: Reply, what: str = "the query") -> Rows:
    """Rows of a SELECT answer; RemoteBadAnswer naming the first place where the answer is not SPARQL results."""
    obj = results_json(reply, what)
    head, results = obj.get("head"), obj.get("results")
    names = head.get("vars") if isinstance(head, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _bad(reply, what, "head.vars", "missing or not a list of names")
    bindings = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(bindings, list):
        raise _bad(reply, what, "results.bindings", "missing or not a list")
    rows = []
    for i, b in enumerate(bindings):
        try:
            rows.append(tuple(_term(b.get(n)) for n in names))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            cell = next((n for n in names if isinstance(b, dict) and b.get(n) is not None
                         and not (isinstance(b.get(n), dict) and b[n].get("type") in KINDS and isinstance(b[n].get("value"), str))), None)
            where = f"results.bindings[{i}]" + (f".{cell}" if cell else "")
            raise _bad(reply, what, where, f"not an RDF term ({type(exc).__name__}: {exc})") from None
    return Rows(names, rows)


def read_ask(reply: Reply, what: str = "the query") -> bool:
    """The boolean of an ASK answer; RemoteBadAnswer when there is none."""
    obj = results_json(reply, what)
    value = obj.get("boolean")
    if not isinstance(value, bool):
        raise _bad(reply, what, "boolean", "missing or not true/false")
    return value
