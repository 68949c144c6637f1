"""Routes for programs: /sparql (the protocol), /api/NAME (saved queries grlc-style), /.well-known/void,
/.well-known/sparql-examples, /suggest and /health."""

from __future__ import annotations

import json

from rdflib import Graph, URIRef
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from msckg.graph.query.output import render
from msckg.graph.store.base import Rows

from . import formats
from .cells import guarded_csv
from .guard import Refused
from .protocol import parse_request
from .service import examples_graph, service_description
from .workers import JobFailed

RDFLIB_FORMAT = {"text/turtle": "turtle", "application/n-triples": "nt", "text/plain": "nt",
                 "application/ld+json": "json-ld", "application/rdf+xml": "xml", "application/x-turtle": "turtle",
                 "application/n-quads": "nquads", "application/trig": "trig"}


def state(request: Request):
    return request.app.state.msckg


def problem(status: int, message: str, headers: dict | None = None) -> PlainTextResponse:
    """An error for programs: the status and one plain sentence saying what to do."""
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


def accept_of(request: Request, fmt: str | None) -> list[str]:
    if fmt:
        media = formats.SHORT.get(fmt.lower(), fmt.lower())
        return [media]
    return formats.parse_accept(request.headers.get("accept"))


def rdf_response(request: Request, graph: Graph, fmt: str | None = None) -> Response:
    """An rdflib graph in the negotiated RDF syntax (Turtle by default)."""
    media = formats.choose(accept_of(request, fmt), RDFLIB_FORMAT, formats.DEFAULT_GRAPH)
    body = graph.serialize(format=RDFLIB_FORMAT[media])
    return Response(body, media_type=formats.with_charset(media), headers={"Vary": "Accept"})


async def void_graph(request: Request) -> Graph:
    st = state(request)
    base = st.settings.public_base
    nt = await st.cached("void", "void", f"{base}/sparql")
    return Graph().parse(data=nt.decode("utf-8"), format="nt")


async def sparql(request: Request) -> Response:
    st = state(request)
    try:
        req = await parse_request(request, st.settings.max_body)
    except Refused as exc:
        return problem(exc.status, exc.message)
    if req.query is None:  # a plain GET: the service description
        base = st.settings.public_base
        void = await void_graph(request)
        graphs = sorted(str(o) for o in void.objects(None, URIRef("http://rdfs.org/ns/void#subset")))
        sd = service_description(f"{base}/sparql", base, graphs, st.settings.describe_limits())
        return rdf_response(request, sd, req.format)
    try:
        ans = await st.pool.run("protocol", req.query, req.default_graphs, req.named_graphs, accept_of(request, req.format))
    except JobFailed as exc:
        return problem(exc.status, exc.message, {"Retry-After": "5"} if exc.killed else None)
    headers = {"Vary": "Accept"}
    if "row_cap" in ans.meta:
        headers.update({"X-Row-Cap": str(ans.meta["row_cap"]), "X-Row-Count": str(ans.meta["rows"]),
                        "X-Truncated": "true" if ans.meta["truncated"] else "false"})
    return Response(ans.body, status_code=ans.status, media_type=formats.with_charset(ans.media_type), headers=headers)


async def void(request: Request) -> Response:
    try:
        g = await void_graph(request)
    except JobFailed as exc:
        return problem(exc.status, exc.message)
    g.bind("void", "http://rdfs.org/ns/void#")
    g.bind("dcat", "http://www.w3.org/ns/dcat#")
    g.bind("dcterms", "http://purl.org/dc/terms/")
    g.bind("spdx", "http://spdx.org/rdf/terms#")
    g.bind("msckg", "https://w3id.org/msckg/")
    return rdf_response(request, g, request.query_params.get("format"))


async def examples(request: Request) -> Response:
    st = state(request)
    base = st.settings.public_base
    return rdf_response(request, examples_graph(st.queries, f"{base}/sparql", base), request.query_params.get("format"))


async def api_index(request: Request) -> Response:
    st = state(request)
    return JSONResponse([{"name": q.name, "summary": q.summary, "tags": q.tags, "url": f"/api/{q.name}",
                          "params": [{"name": p.name, "type": p.type, "default": p.default, "doc": p.doc} for p in q.params]}
                         for q in st.queries.values()])


async def api_query(request: Request) -> Response:
    """A saved query as a REST path: the same rows as `msckg ask NAME` (JSON, CSV or TSV)."""
    st = state(request)
    name = request.path_params["name"]
    params = dict(request.query_params)
    fmt = params.pop("format", None)
    media = formats.choose(accept_of(request, fmt), {"application/json": 1, "application/sparql-results+json": 1,
                                                      "text/csv": 1, "text/tab-separated-values": 1}, "application/json")
    if name not in st.queries:
        return problem(404, f"no saved query named '{name}'; GET /api lists them")
    try:
        answer = await st.pool.run("saved", name, params)
    except JobFailed as exc:
        return problem(exc.status, exc.message)
    rows = Rows(answer["variables"], answer["rows"])
    headers = {"X-Row-Cap": str(answer["row_cap"]), "X-Row-Count": str(len(rows.rows)),
               "X-Truncated": "true" if answer["truncated"] else "false", "Vary": "Accept"}
    if media in ("text/csv", "text/tab-separated-values"):
        body = guarded_csv(rows.variables, rows.rows, "," if media == "text/csv" else "\t")
        headers["Content-Disposition"] = f'attachment; filename="{name}.{"csv" if media == "text/csv" else "tsv"}"'
        return Response(body, media_type=formats.with_charset(media), headers=headers)
    doc = json.loads(render(rows, "json"))
    doc["limits"] = {"rowCap": answer["row_cap"], "rows": len(rows.rows), "truncated": answer["truncated"]}
    return JSONResponse(doc, headers=headers)


async def suggest(request: Request) -> Response:
    """Suggestions as you type: the first hits of the search index, with their type and entity page."""
    from .cells import entity_url

    st = state(request)
    text = request.query_params.get("q", "").strip()
    if len(text) < 2:
        return JSONResponse([])
    try:
        result = await st.search(text[:200], limit=8)
    except JobFailed as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    return JSONResponse([{"label": h.label, "type": h.type, "iri": h.iri, "url": entity_url(h.iri)} for h in result.hits])


async def health(request: Request) -> Response:
    """Answers at once, whatever the workers are doing (it never waits for one)."""
    st = state(request)
    return JSONResponse({"status": "ok", "generation": st.generation().rsplit("/", 1)[-1], "pool": st.pool.stats(),
                         "search_pool": st.search_pool.stats(),
                         "limits": st.settings.describe_limits()})


async def context(request: Request) -> Response:
    """The JSON-LD context of the ontology, when the project has one (ontology/context.jsonld)."""
    from msckg.graph.paths import ONTOLOGY

    path = ONTOLOGY / "context.jsonld"
    if not path.exists():
        return problem(404, "this msckg has no JSON-LD context (ontology/context.jsonld)")
    return Response(path.read_bytes(), media_type="application/ld+json")
