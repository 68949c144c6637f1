"""A remote SPARQL 1.1 store: queries and bulk loading (batched SPARQL Update), every request through
remote_http.exchange (one deadline for the whole request, redirects refused, typed errors).

Tested against `oxigraph serve` and Virtuoso 7 (tests/test_store_compliance.py). Virtuoso is told
apart by its `Server` header: it takes updates on its query URL, and its own system graphs
(virtrdf:, ...) are left out of every query that does not name its graphs, so that its default graph
is the union of the dataset's graphs, as on the other backends.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import NamedTuple

from rdflib import Graph
from rdflib.term import Node
import pyoxigraph as ox

from msckg.graph.query.binding import bind_with_values
from msckg.graph.safety import check_query
from msckg.graph.store.base import Rows, StoreError
from msckg.graph.store.remote_http import RemoteAnswerError, RemoteBadAnswer, RemoteError, RemoteTimeout, exchange  # noqa: F401 (re-exported)
from msckg.graph.store.remote_results import ACCEPT, read_ask, read_select


BATCH_TRIPLES = 20000  # triples per SPARQL Update request when loading (several graphs per request)
VIRTUOSO_BATCH = 2000  # Virtuoso's SPARQL compiler runs out of parser stack at about 10,000 lines
VIRTUOSO_SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#",
                          "http://localuriqaserver/sparql", "http://www.w3.org/2002/07/owl#")
DATASET_GRAPHS = "https://w3id.org/msckg/graph/"
# a query that names its graphs (GRAPH <iri>, GRAPH prefix:name, FROM): Virtuoso 7.2 answers GRAPH <iri> { ... }
# wrongly (one empty row, or none) once any input:*-graph-exclude is defined, so such a query goes without them
# (the system graphs can then reach only its default-graph patterns; docs/decisions/0166)
NAMES_ITS_GRAPHS = re.compile(r"(?<![?$:/#\w])(GRAPH\s*(<|[A-Za-z][\w.-]*:|:)|FROM\s+(NAMED\s+)?[<A-Za-z:])", re.IGNORECASE)


PUSH_MIN_SECONDS = 120  # a push's deadline: at least this (or --timeout if longer) ...
PUSH_RATE = 1000        # ... plus one second per this many triples (Oxigraph took 9-60 s per 200k: decision 0101)


class PushFailed(StoreError):
    """A push to a remote store that did not complete; `changed` is False (nothing changed), True (some graphs
    replaced: `replaced` lists them) or None (unknown: the server had the whole request)."""

    def __init__(self, message: str, changed: bool | None, replaced: list[str] | None = None):
        super().__init__(message)
        self.changed = changed
        self.replaced = replaced or []


def _partial_push(done: list[str], failed: tuple[str, ...], total: int, stale: list[str]) -> str:
    """What a batched push that stopped part way has changed, in one sentence (graphs are replaced in IRI order)."""
    def span(gs):
        return f"<{gs[0]}>" if len(gs) == 1 else f"<{gs[0]}> … <{gs[-1]}>"

    said = (f"the push stopped part way: {len(done):,} of {total:,} graph(s) were already replaced ({span(done)}, in IRI order)"
            if done else f"the push stopped at its first request: none of the {total:,} graph(s) was fully replaced")
    rest = total - len(done) - len(failed)
    return (f"{said}; the {len(failed):,} graph(s) of the failed request ({span(failed)}) may be partly replaced; "
            f"{rest:,} not touched" + (f"; {len(stale):,} graph(s) the build no longer has not dropped yet" if stale else "")
            + "; run the build again to finish it")


def gsp_url_for(endpoint: str) -> str:
    """The Graph Store Protocol URL beside a query endpoint (.../query or .../sparql → .../store)."""
    return re.sub(r"/(query|sparql)/?$", "/store", endpoint)


def update_url_for(endpoint: str) -> str:
    """The SPARQL Update URL beside a query endpoint (Oxigraph: .../query → .../update)."""
    return re.sub(r"/query/?$", "/update", endpoint)


def _pieces(lines: list[str]) -> list[list[str]]:
    """Lines grouped so that all triples sharing a blank node stay together (each group is one operation)."""
    label = re.compile(r"(?:^| )(_:\S+)")
    parent: dict[str, str] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    keyed = []
    for line in lines:
        bn = label.findall(line)
        for other in bn[1:]:
            parent[find(other)] = find(bn[0])
        keyed.append(bn[0] if bn else None)
    groups: dict[str, list[str]] = {}
    out: list[list[str]] = []
    for line, k in zip(lines, keyed):
        if k is None:
            out.append([line])
        else:
            groups.setdefault(find(k), []).append(line)
    return out + list(groups.values())


def replacement_operations(graphs: dict, limit: int = BATCH_TRIPLES):
    """(graph IRI, SPARQL Update operation, triples) that replace each graph in IRI order: DROP SILENT, then
    inserts of at most `limit` triples. Terms are written as N-Triples (loader.sink.ntriples), which SPARQL
    reads as they are; triples that share a blank node go in one INSERT template (Virtuoso refuses blank
    nodes in INSERT DATA, and blank node labels do not cross operations)."""
    from msckg.loader.sink import ntriples

    for key in sorted(graphs):
        lines, iri = ntriples(graphs[key]), str(key)
        yield iri, f"DROP SILENT GRAPH <{iri}>", 0
        plain = [line for line in lines if "_:" not in line]
        for i in range(0, len(plain), limit):
            chunk = plain[i:i + limit]
            yield iri, f"INSERT DATA {{ GRAPH <{iri}> {{\n" + "\n".join(chunk) + "\n} }", len(chunk)
        group: list[str] = []
        for piece in _pieces([line for line in lines if "_:" in line]) + [None]:
            if piece is None or (group and len(group) + len(piece) > limit):
                if group:
                    yield iri, f"INSERT {{ GRAPH <{iri}> {{\n" + "\n".join(group) + "\n} } WHERE {}", len(group)
                    group = []
            if piece is not None:
                group += piece


class Batch(NamedTuple):
    """One SPARQL Update request of a batched load: its text, its triples and the IRIs of the graphs it touches
    (in order)."""

    text: str
    triples: int
    graphs: tuple[str, ...]


def update_batches(graphs: dict, limit: int = BATCH_TRIPLES):
    """SPARQL Update requests of about `limit` triples that replace each graph (replacement_operations),
    several graphs per request; a large graph spans several requests."""
    parts: list[str] = []
    touched: list[str] = []
    size = 0
    for iri, op, n in replacement_operations(graphs, limit):
        parts.append(op)
        if not touched or touched[-1] != iri:
            touched.append(iri)
        size += n
        if size >= limit:
            yield Batch(" ;\n".join(parts), size, tuple(touched))
            parts, touched, size = [], [], 0
    if parts:
        yield Batch(" ;\n".join(parts), size, tuple(touched))


def replacement_stream(graphs: dict, stale: list[str], limit: int = BATCH_TRIPLES):
    """The whole replacement as the chunks of ONE SPARQL Update request body (application/sparql-update):
    the stale dataset graphs dropped, then every graph dropped and inserted again. Made one operation at a
    time, so the client holds one graph's lines at most, never the whole text."""
    sep = ""
    for g in stale:
        yield f"{sep}DROP SILENT GRAPH <{g}>".encode()
        sep = " ;\n"
    for _, op, _ in replacement_operations(graphs, limit):
        yield f"{sep}{op}".encode()
        sep = " ;\n"


class RemoteStore:
    """Any SPARQL 1.1 endpoint (Oxigraph server, Virtuoso...); its default graph must be the union of its graphs."""

    def __init__(self, endpoint: str, gsp: str | None = None, timeout: float = 30.0, update: str | None = None):
        self.endpoint = endpoint
        self.gsp = gsp or gsp_url_for(endpoint)
        self.timeout = timeout
        self._update = update
        self._virtuoso: bool | None = None
        self._server_header = ""

    @property
    def virtuoso(self) -> bool:
        """Whether the endpoint is a Virtuoso server (asked once, from its Server header)."""
        if self._virtuoso is None:
            url = f"{self.endpoint}?{urllib.parse.urlencode({'query': 'ASK {}'})}"
            reply = exchange("GET", url, timeout=self.timeout, what="a first ASK", headers={"Accept": ACCEPT})
            self._server_header = (reply.headers.get("server") or "").lower()
            self._virtuoso = "virtuoso" in self._server_header
        return self._virtuoso

    def protocol_query(self, query: str, default_graphs: list[str], named_graphs: list[str], accept: str) -> tuple[str, bytes]:
        """(media type, body) of the endpoint's own answer to a query (SPARQL 1.1 Protocol POST), for a
        server that fronts this store; RemoteAnswerError carries the endpoint's HTTP status."""
        params = [("query", query)] + [("default-graph-uri", g) for g in default_graphs] + [("named-graph-uri", g) for g in named_graphs]
        reply = exchange("POST", self.endpoint, timeout=self.timeout, what="the query",
                         content=urllib.parse.urlencode(params).encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
        return reply.media_type, reply.body

    @property
    def update_url(self) -> str:
        return self._update or (self.endpoint if self.virtuoso else update_url_for(self.endpoint))

    def _request(self, query: str, bindings, accept: str = ACCEPT):
        check_query(query)
        text = bind_with_values(query, bindings or {})
        if self.virtuoso and not NAMES_ITS_GRAPHS.search(text):  # Virtuoso's own graphs are not part of the dataset
            text = "".join(f"DEFINE input:default-graph-exclude <{g}> DEFINE input:named-graph-exclude <{g}>\n"
                           for g in VIRTUOSO_SYSTEM_GRAPHS) + text
        return exchange("POST", self.endpoint, timeout=self.timeout, what="the query",
                        content=urllib.parse.urlencode({"query": text}).encode("utf-8"),
                        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept})

    def select(self, query: str, bindings: dict[str, Node] | None = None) -> Rows:
        return read_select(self._request(query, bindings))

    def ask(self, query: str, bindings: dict[str, Node] | None = None) -> bool:
        return read_ask(self._request(query, bindings))

    def construct(self, query: str, bindings: dict[str, Node] | None = None) -> list:
        """A CONSTRUCT or DESCRIBE answer as pyoxigraph triples (the server is asked for Turtle)."""
        reply = self._request(query, bindings, "text/turtle")
        if reply.media_type not in ("text/turtle", "application/x-turtle"):
            raise RemoteBadAnswer(f"remote endpoint {self.endpoint} answered the query with '{reply.media_type}', not Turtle: "
                                    f"{reply.text_start()}", reply.status)
        try:
            return [q.triple for q in ox.parse(reply.body, format=ox.RdfFormat.TURTLE)]
        except SyntaxError as exc:
            raise RemoteBadAnswer(f"remote endpoint {self.endpoint} sent Turtle that does not parse: {exc}", reply.status) from None

    def graphs(self) -> list[str]:
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(str(r[0]) for r in rows.rows)

    def put_graph(self, iri: str, graph: Graph) -> None:
        """Replace one named graph (SPARQL 1.1 Graph Store Protocol PUT)."""
        body = graph.serialize(format="nt").encode("utf-8")
        url = f"{self.gsp}?{urllib.parse.urlencode({'graph': iri})}"
        exchange("PUT", url, timeout=self.timeout, what=f"a Graph Store Protocol PUT of {iri}", content=body,
                 headers={"Content-Type": "application/n-triples"}, ok=(200, 201, 204))

    def update(self, text: str) -> None:
        """Send one SPARQL Update request (only msckg's own loading calls this)."""
        body = urllib.parse.urlencode({"update": text}).encode("utf-8")
        exchange("POST", self.update_url, timeout=max(self.timeout, 120), what="SPARQL Update", content=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "*/*"}, ok=(200, 201, 204))

    @property
    def server(self) -> str:
        """'virtuoso', 'oxigraph' or 'other' (from the Server header of the first ASK)."""
        if self.virtuoso:
            return "virtuoso"
        return "oxigraph" if "oxigraph" in self._server_header else "other"

    def push_guarantee(self) -> str:
        """One line saying what a push to this server guarantees (msckg build prints it; decision 0101)."""
        if self.server == "virtuoso":
            return "note: Virtuoso commits each update operation on its own: this push is not atomic (decision 0101)"
        if self.server == "oxigraph":
            return "one SPARQL Update request: one transaction on Oxigraph"
        return "one SPARQL Update request: atomic if the server follows SPARQL 1.1 (tested on Oxigraph)"

    def replace_graphs(self, graphs: dict, progress=None) -> int:
        """Make the store hold exactly these graphs of the dataset (each replaced, and dataset graphs that the
        build no longer has dropped). Returns the number of requests sent.

        Virtuoso gets batched requests of VIRTUOSO_BATCH triples (it fails on large requests and is not atomic
        anyway); every other server gets the whole replacement as ONE streamed SPARQL Update request, which
        Oxigraph applies as one transaction (decision 0101). A failure raises PushFailed saying what changed."""
        keep = {str(i) for i in graphs}
        stale = [g for g in self.graphs() if g.startswith(DATASET_GRAPHS) and g not in keep]
        if self.virtuoso:
            return self._replace_in_batches(graphs, stale, progress)
        triples = sum(len(g) for g in graphs.values())
        deadline = max(self.timeout, PUSH_MIN_SECONDS) + triples / PUSH_RATE
        if progress:
            progress(f"pushing {triples:,} triples in {len(graphs):,} graphs to {self.update_url} as one SPARQL Update "
                     f"request (deadline {deadline:,.0f} s)")
        try:
            exchange("POST", self.update_url, timeout=deadline, what="the push (one SPARQL Update request)",
                     content=lambda: replacement_stream(graphs, stale), ok=(200, 201, 204),
                     headers={"Content-Type": "application/sparql-update", "Accept": "*/*"})
        except RemoteError as exc:
            if isinstance(exc, RemoteTimeout) or exc.body_sent:
                what = ("the server had the whole request and may still apply it; if it does, it applies it whole"
                        if self.server == "oxigraph" else "the server had the whole request; what it applied is unknown")
                raise PushFailed(f"{exc}; {what} (run the build again to be sure)", changed=None) from None
            said = ("the server never had the whole request" if exc.body_sent is False else
                    "the server refused the request")
            outcome = ("nothing was changed (Oxigraph applies a request whole or not at all)" if self.server == "oxigraph"
                       else "it should have changed nothing (SPARQL 1.1 asks for a request to be atomic)")
            raise PushFailed(f"{exc}; {said}, so {outcome}", changed=False) from None
        return 1

    def _replace_in_batches(self, graphs: dict, stale: list[str], progress=None) -> int:
        """Replace the graphs in requests of VIRTUOSO_BATCH triples (IRI order), then drop the stale ones; a failed
        request raises PushFailed naming the graphs already replaced and those the failed request may have touched."""
        touched: list[str] = []  # graphs of the requests applied so far, in IRI order
        requests = 0
        for batch in update_batches(graphs, VIRTUOSO_BATCH):
            try:
                self.update(batch.text)
            except RemoteError as exc:
                done = [g for g in touched if g not in batch.graphs]
                raise PushFailed(f"{exc}; {_partial_push(done, batch.graphs, len(graphs), stale)}", changed=True if done else None,
                                 replaced=done) from None
            requests += 1
            touched += [g for g in batch.graphs if not touched or touched[-1] != g]
            if progress:
                progress(f"loading {self.endpoint} (request {requests})")
        done = touched
        for i in range(0, len(stale), 500):
            try:
                self.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in stale[i:i + 500]))
            except RemoteError as exc:
                raise PushFailed(f"{exc}; every graph of the build was replaced, but {len(stale) - i:,} graph(s) the "
                                 f"build no longer has are still there (from <{stale[i]}>)", changed=True,
                                 replaced=done) from None
            requests += 1
        return requests

    def replace_dataset(self, nquads: bytes) -> None:
        raise StoreError("use replace_graphs: a remote store is loaded graph by graph")

    def to_memory(self, batch: int = 200) -> "ox.Store":
        """Every named graph of the remote dataset copied into an in-memory Oxigraph store (for validate and export)."""
        import pyoxigraph as ox

        from msckg.graph.store.terms import to_oxigraph

        mem = ox.Store()
        graphs = self.graphs()
        for i in range(0, len(graphs), batch):
            values = " ".join(f"<{g}>" for g in graphs[i:i + batch])
            rows = self.select(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}")
            mem.extend(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.NamedNode(str(g))) for g, s, p, o in rows.rows)
        return mem
