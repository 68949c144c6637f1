"""The curator's web application: search, entity pages, saved queries with forms, tables, CSV and plots,
and the SPARQL editor. Every page is rendered on the server (JavaScript only adds suggestions and the editor)."""

from __future__ import annotations

import json
from pathlib import Path

from rdflib import URIRef
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from msckg.graph.query.output import shorten

from .cells import answer_table, csv_columns, declared_columns, entity_url, external_url, guarded_csv, shown_columns
from .workers import JobFailed

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
EDITOR = STATIC  # yasgui.min.js/.css, vendored by `make yasgui` (git-ignored)
templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescape is on for .html
templates.env.globals.update(entity_url=entity_url, external_url=external_url, shorten=lambda i: shorten(URIRef(i)))
LOCAL = "https://w3id.org/msckg/"


def _state(request: Request):
    return request.app.state.msckg


def page(request: Request, name: str, status: int = 200, **ctx) -> Response:
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def error_page(request: Request, status: int, message: str) -> Response:
    return page(request, "error.html", status, title=f"Error {status}", message=message)


async def home(request: Request) -> Response:
    st = _state(request)
    try:
        counts = await st.cached("home", "home")
    except JobFailed as exc:
        return error_page(request, exc.status, exc.message)
    return page(request, "home.html", title="msckg", counts=counts, queries=list(st.queries.values()))


async def search(request: Request) -> Response:
    st = _state(request)
    text = request.query_params.get("q", "").strip()
    kind = request.query_params.get("type", "").strip()
    result, problem = None, ""
    if text:
        try:
            result = await st.search(text, [kind] if kind else None, limit=50)
        except JobFailed as exc:  # an unknown type (with suggestions), no index, the deadline
            problem = exc.message
    return page(request, "search.html", title=f"Search: {text}" if text else "Search", q=text, type=kind,
                result=result, problem=problem)


async def entity(request: Request) -> Response:
    st = _state(request)
    iri = request.query_params.get("iri", "").strip()
    if "path" in request.path_params:
        iri = LOCAL + "id/" + request.path_params["path"]
    if not iri:
        return error_page(request, 400, "give an IRI: /entity?iri=https://w3id.org/msckg/id/...")
    try:
        data = await st.pool.run("entity", iri)
    except JobFailed as exc:
        return error_page(request, exc.status, exc.message)
    if not data.known:
        return error_page(request, 404, f"nothing in the graph is said about <{iri}>; search for it instead")
    return page(request, "entity.html", title=data.label, e=data)


async def query_list(request: Request) -> Response:
    st = _state(request)
    return page(request, "queries.html", title="Saved queries", queries=list(st.queries.values()))


def _given(request: Request, q) -> dict[str, str]:
    names = {p.name for p in q.params}
    return {k: v for k, v in request.query_params.items() if k in names and v != ""}


async def query_page(request: Request) -> Response:
    """A saved query: its parameters as a form, its answer as a readable table, CSV and the plot."""
    st = _state(request)
    name = request.path_params["name"]
    fmt = None
    if name.endswith(".csv"):
        name, fmt = name[:-4], "csv"
    q = st.queries.get(name)
    if q is None:
        return error_page(request, 404, f"no saved query named '{name}'")
    given = _given(request, q)
    all_columns = request.query_params.get("columns") == "all"
    try:
        answer = await st.pool.run("saved", name, given)
    except JobFailed as exc:
        if fmt:
            return Response(exc.message + "\n", status_code=exc.status, media_type="text/plain")
        return page(request, "query.html", exc.status, title=q.summary, q=q, given=given, table=None,
                    problem=exc.message, answer=None, all_columns=all_columns, link=_links(q, given))
    declared = declared_columns(q)
    if fmt == "csv":
        cols = csv_columns(answer["variables"], shown_columns(answer["variables"], declared, all_columns))
        idx = [answer["variables"].index(c) for c in cols]
        body = guarded_csv(cols, [[r[i] for i in idx] for r in answer["rows"]])
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"',
                                 "X-Row-Cap": str(answer["row_cap"]), "X-Truncated": str(answer["truncated"]).lower()})
    table = answer_table(answer["variables"], answer["rows"], answer["labels"], declared, all_columns)
    return page(request, "query.html", title=q.summary, q=q, given=given, table=table, answer=answer,
                problem="", all_columns=all_columns, link=_links(q, given))


def _links(q, given: dict[str, str]) -> dict[str, str]:
    from urllib.parse import urlencode

    base = urlencode(given)
    sep = "&" if base else ""
    return {"csv": f"/queries/{q.name}.csv?{base}", "csv_all": f"/queries/{q.name}.csv?{base}{sep}columns=all",
            "all": f"/queries/{q.name}?{base}{sep}columns=all", "default": f"/queries/{q.name}?{base}",
            "plot": f"/queries/{q.name}/plot.png?{base}" if "plot" in q.tags else "",
            "api": f"/api/{q.name}?{base}"}


async def plot(request: Request) -> Response:
    st = _state(request)
    name = request.path_params["name"]
    q = st.queries.get(name)
    if q is None:
        return Response("no such query\n", status_code=404, media_type="text/plain")
    number = request.query_params.get("page", "1")
    if not number.isdigit():
        return Response(f"page must be a whole number, not '{number}'\n", status_code=400, media_type="text/plain")
    try:
        answer = await st.pool.run("plot", name, _given(request, q), int(number))
    except JobFailed as exc:
        return Response(exc.message + "\n", status_code=exc.status, media_type="text/plain")
    return Response(answer["png"], media_type="image/png", headers={"X-Plot-Pages": str(answer["pages"])})


async def editor(request: Request) -> Response:
    """The SPARQL editor: YASGUI (vendored) with the saved queries as examples; without it, or without
    JavaScript, a plain form whose answer the server renders as a table."""
    st = _state(request)
    text = request.query_params.get("query", "")
    examples = [{"name": q.name, "summary": q.summary, "query": q.text} for q in st.queries.values()]
    answer, problem = None, ""
    if text:
        try:
            ans = await st.pool.run("protocol", text, [], [], ["application/sparql-results+json"])
            answer = _json_answer(ans)
        except JobFailed as exc:
            problem = exc.message
    has_yasgui = (EDITOR / "yasgui.min.js").exists()
    return page(request, "editor.html", title="SPARQL editor", has_yasgui=has_yasgui, examples=examples,
                examples_json=json.dumps(examples), text=text or (examples[0]["query"] if examples else ""),
                answer=answer, problem=problem)


def _json_answer(ans) -> dict:
    """A protocol answer (SPARQL JSON, or RDF for CONSTRUCT) as rows of cells for the plain editor page."""
    from rdflib import BNode, Literal

    from .cells import cell_for

    if ans.meta.get("kind") == "graph":
        return {"kind": "graph", "text": ans.body.decode("utf-8"), "meta": ans.meta}
    doc = json.loads(ans.body)
    if "boolean" in doc:
        return {"kind": "ask", "boolean": doc["boolean"], "meta": ans.meta}
    cols = doc["head"]["vars"]
    rows = []
    for b in doc["results"]["bindings"]:
        line = []
        for c in cols:
            cell = b.get(c)
            if cell is None:
                line.append([])
            elif cell["type"] == "uri":
                line.append(cell_for(URIRef(cell["value"])))
            elif cell["type"] == "bnode":
                line.append(cell_for(BNode(cell["value"])))
            else:
                line.append(cell_for(Literal(cell["value"])))
        rows.append(line)
    return {"kind": "select", "columns": cols, "rows": rows, "meta": ans.meta}
