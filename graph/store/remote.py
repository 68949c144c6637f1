"""A remote SPARQL 1.1 store: queries and bulk loading (batched SPARQL Update), every request through
remote_http.exchange (one deadline for the whole request, redirects refused, typed errors).

Tested against `oxigraph serve` and Virtuoso 7 (tests/test_store_compliance.py). Virtuoso is told
apart by its `Server` header: it takes updates on its query URL, and its own system graphs
(virtrdf:, ...) are left out of every query so that its default graph is the union of the
dataset's graphs, as on the other backends.
"""

from __future__ import annotations

import re
import urllib.parse

from rdflib import Graph
from rdflib.term import Node
import pyoxigraph as ox

from msckg.graph.query.binding import bind_with_values
from msckg.graph.safety import check_query
from msckg.graph.store.base import Rows, StoreError
from msckg.graph.store.remote_http import RemoteAnswerError, RemoteBadAnswer, RemoteError, exchange  # noqa: F401 (re-exported)
from msckg.graph.store.remote_results import ACCEPT, read_ask, read_select


BATCH_TRIPLES = 20000  # triples per SPARQL Update request when loading (several graphs per request)
VIRTUOSO_BATCH = 2000  # Virtuoso's SPARQL compiler runs out of parser stack at about 10,000 lines
VIRTUOSO_SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#",
                          "http://localuriqaserver/sparql", "http://www.w3.org/2002/07/owl#")
DATASET_GRAPHS = "https://w3id.org/msckg/graph/"


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


def update_batches(graphs: dict, limit: int = BATCH_TRIPLES):
    """SPARQL Update requests of about `limit` triples that replace each graph (DROP SILENT, then inserts),
    several graphs per request. Terms are written as N-Triples (loader.sink.ntriples), which SPARQL reads as
    they are; triples that share a blank node go in one INSERT template (Virtuoso refuses blank nodes in
    INSERT DATA, and blank node labels do not cross operations)."""
    from msckg.loader.sink import ntriples

    parts, size = [], 0

    def flush():
        nonlocal parts, size
        out = (" ;\n".join(parts), size)
        parts, size = [], 0
        return out

    for iri in sorted(graphs):
        lines = ntriples(graphs[iri])
        parts.append(f"DROP SILENT GRAPH <{iri}>")
        plain = [line for line in lines if "_:" not in line]
        blank = _pieces([line for line in lines if "_:" in line])
        for i in range(0, len(plain), limit):
            chunk = plain[i:i + limit]
            parts.append(f"INSERT DATA {{ GRAPH <{iri}> {{\n" + "\n".join(chunk) + "\n} }")
            size += len(chunk)
            if size >= limit:
                yield flush()
        group: list[str] = []
        for piece in blank + [None]:
            if piece is None or (group and len(group) + len(piece) > limit):
                if group:
                    parts.append(f"INSERT {{ GRAPH <{iri}> {{\n" + "\n".join(group) + "\n} } WHERE {}")
                    size += len(group)
                    group = []
                    if size >= limit:
                        yield flush()
            if piece is not None:
                group += piece
    if parts:
        yield flush()


class RemoteStore:
    """Any SPARQL 1.1 endpoint (Oxigraph server, Virtuoso...); its default graph must be the union of its graphs."""

    def __init__(self, endpoint: str, gsp: str | None = None, timeout: float = 30.0, update: str | None = None):
        self.endpoint = endpoint
        self.gsp = gsp or gsp_url_for(endpoint)
        self.timeout = timeout
        self._update = update
        self._virtuoso: bool | None = None

    @property
    def virtuoso(self) -> bool:
        """Whether the endpoint is a Virtuoso server (asked once, from its Server header)."""
        if self._virtuoso is None:
            url = f"{self.endpoint}?{urllib.parse.urlencode({'query': 'ASK {}'})}"
            reply = exchange("GET", url, timeout=self.timeout, what="a first ASK", headers={"Accept": ACCEPT})
            self._virtuoso = "virtuoso" in (reply.headers.get("server") or "").lower()
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
        if self.virtuoso:  # Virtuoso's own graphs are not part of the dataset
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

    def replace_graphs(self, graphs: dict, progress=None) -> int:
        """Make the store hold exactly these graphs of the dataset: each replaced, in batched SPARQL Update
        requests of about BATCH_TRIPLES triples (not one request per graph), and dataset graphs that the
        build no longer has dropped. Returns the number of requests sent."""
        stale = [g for g in self.graphs() if g.startswith(DATASET_GRAPHS) and g not in {str(i) for i in graphs}]
        requests = 0
        for text, n in update_batches(graphs, VIRTUOSO_BATCH if self.virtuoso else BATCH_TRIPLES):
            self.update(text)
            requests += 1
            if progress:
                progress(f"loading {self.endpoint} (request {requests})")
        for i in range(0, len(stale), 500):
            self.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in stale[i:i + 500]))
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
