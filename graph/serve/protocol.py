"""Reading a SPARQL 1.1 Protocol request: GET query string, form-encoded or direct POST, the dataset
parameters, and the refusals the protocol asks for (two queries, wrong media type, non-UTF-8, updates)."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

from starlette.requests import Request

from .guard import READ_ONLY, Refused


@dataclass
class ProtocolRequest:
    query: str | None                     # None: a plain GET, answered with the service description
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    format: str | None = None             # the `format=` shortcut, if given


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 once it passes `limit` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"the request body is {int(declared):,} bytes; this endpoint accepts at most {limit:,}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Refused(413, f"the request body passed {limit:,} bytes, the most this endpoint accepts")
    return bytes(body)


def _charset_ok(content_type: str) -> bool:
    for part in content_type.split(";")[1:]:
        k, _, v = part.strip().partition("=")
        if k.lower() == "charset" and v.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def _one(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise Refused(400, f"the request has {len(values)} '{name}' parameters; send exactly one")
    return values[0] if values else None


def _dataset(params: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    return [v for k, v in params if k == "default-graph-uri"], [v for k, v in params if k == "named-graph-uri"]


async def parse_request(request: Request, max_body: int) -> ProtocolRequest:
    """The query and dataset of a protocol request, or Refused with the status the protocol expects."""
    url_params = list(request.query_params.multi_items())
    if request.method == "GET":
        if any(k == "update" for k, _ in url_params):
            raise Refused(403, READ_ONLY)
        query = _one(url_params, "query")
        dg, ng = _dataset(url_params)
        return ProtocolRequest(query, dg, ng, _one(url_params, "format"))
    if request.method != "POST":
        raise Refused(405, "use GET or POST for SPARQL queries")
    ctype = request.headers.get("content-type", "")
    media = ctype.split(";")[0].strip().lower()
    body = await read_body(request, max_body)
    if media == "application/sparql-update":
        raise Refused(403, READ_ONLY)
    if media == "application/x-www-form-urlencoded":
        try:
            form = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise Refused(400, "the form body is not UTF-8") from None
        if any(k == "update" for k, _ in form):
            raise Refused(403, READ_ONLY)
        params = url_params + form
        query = _one(params, "query")
        if query is None:
            raise Refused(400, "the form has no 'query' parameter")
        dg, ng = _dataset(params)
        return ProtocolRequest(query, dg, ng, _one(params, "format"))
    if media == "application/sparql-query":
        if not _charset_ok(ctype):
            raise Refused(415, "a direct POST query must be UTF-8 (charset=utf-8)")
        try:
            query = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "the query is not valid UTF-8") from None
        dg, ng = _dataset(url_params)
        return ProtocolRequest(query, dg, ng, _one(url_params, "format"))
    raise Refused(415, "POST a query as application/x-www-form-urlencoded (query=...) or as application/sparql-query"
                       + (f", not {media}" if media else "; the request has no Content-Type"))
