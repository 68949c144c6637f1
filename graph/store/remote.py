"""A remote SPARQL 1.1 store: queries through SPARQLWrapper (with a timeout), loading by the Graph Store Protocol."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node
import pyoxigraph as ox
from SPARQLWrapper import ASK, CONSTRUCT, DESCRIBE, JSON, POST, SELECT, TURTLE, SPARQLWrapper

from msckg.graph.query.binding import bind_with_values
from msckg.graph.safety import check_query
from msckg.graph.store.base import Rows, StoreError



def gsp_url_for(endpoint: str) -> str:
    """The Graph Store Protocol URL beside a query endpoint (.../query or .../sparql → .../store)."""
    return re.sub(r"/(query|sparql)/?$", "/store", endpoint)


def _term(cell: dict | None) -> Node | None:
    if cell is None:
        return None
    kind, value = cell["type"], cell["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if "xml:lang" in cell:
        return Literal(value, lang=cell["xml:lang"])
    dt = cell.get("datatype")
    if dt and dt != "http://www.w3.org/2001/XMLSchema#string":
        return Literal(value, datatype=URIRef(dt))
    return Literal(value)


class RemoteStore:
    """Any SPARQL 1.1 endpoint (Oxigraph server, Virtuoso...); its default graph must be the union of its graphs."""

    def __init__(self, endpoint: str, gsp: str | None = None, timeout: float = 30.0):
        self.endpoint = endpoint
        self.gsp = gsp or gsp_url_for(endpoint)
        self.timeout = timeout

    def _request(self, query: str, bindings, kind: str, fmt: str = JSON):
        check_query(query)
        client = SPARQLWrapper(self.endpoint)
        client.setTimeout(int(max(1, self.timeout)))
        client.setMethod(POST)
        client.setReturnFormat(fmt)
        client.setQuery(bind_with_values(query, bindings or {}))
        # SPARQLWrapper guesses the query type from keywords and takes words like "add" in a
        # comment for SPARQL Update; the type is known here, so say it.
        client.queryType = kind
        try:
            return client.queryAndConvert() if fmt == JSON else client.query().response.read()
        except Exception as exc:
            raise StoreError(f"remote endpoint {self.endpoint} failed: {exc}") from None

    def select(self, query: str, bindings: dict[str, Node] | None = None) -> Rows:
        res = self._request(query, bindings, SELECT)
        names = res["head"]["vars"]
        return Rows(names, [tuple(_term(b.get(n)) for n in names) for b in res["results"]["bindings"]])

    def ask(self, query: str, bindings: dict[str, Node] | None = None) -> bool:
        return bool(self._request(query, bindings, ASK)["boolean"])

    def construct(self, query: str, bindings: dict[str, Node] | None = None) -> list:
        """A CONSTRUCT or DESCRIBE answer as pyoxigraph triples (the server is asked for Turtle)."""
        kind = DESCRIBE if re.search(r"\bDESCRIBE\b", query, re.IGNORECASE) else CONSTRUCT
        raw = self._request(query, bindings, kind, TURTLE)
        return [q.triple for q in ox.parse(raw, format=ox.RdfFormat.TURTLE)]

    def graphs(self) -> list[str]:
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(str(r[0]) for r in rows.rows)

    def put_graph(self, iri: str, graph: Graph) -> None:
        """Replace one named graph (SPARQL 1.1 Graph Store Protocol PUT)."""
        body = graph.serialize(format="nt").encode("utf-8")
        url = f"{self.gsp}?{urllib.parse.urlencode({'graph': iri})}"
        req = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "application/n-triples"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                if resp.status >= 300:
                    raise StoreError(f"Graph Store Protocol PUT {url} answered {resp.status}")
        except OSError as exc:
            raise StoreError(f"cannot load graph {iri} into {self.gsp}: {exc}") from None

    def replace_graphs(self, graphs: dict) -> None:
        """Push every named graph of a build, one PUT per source document."""
        for iri, g in graphs.items():
            self.put_graph(str(iri), g)

    def replace_dataset(self, nquads: bytes) -> None:
        raise StoreError("use replace_graphs: a remote store is loaded graph by graph")
