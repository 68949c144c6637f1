"""What a worker process does: open the store (reopening when a build swaps in a new generation), run a
protocol query with the row cap and serialise it with pyoxigraph, run saved queries, describe entities."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Node

from msckg.graph.query.binding import bind_with_values
from msckg.graph.store.base import Rows, StoreError
from msckg.graph.store.embedded import EmbeddedStore
from msckg.graph.store.remote import RemoteStore
from msckg.graph.store.remote_http import RemoteAnswerError, RemoteError, RemoteTimeout
from msckg.graph.store.terms import to_rdflib

from . import formats
from .guard import Refused, check_request_query
from .settings import Settings

QUERIES = Path(__file__).resolve().parent / "queries"


@functools.lru_cache(maxsize=None)
def internal_query(name: str) -> str:
    """One of the server's own queries (graph/serve/queries/NAME.rq)."""
    return (QUERIES / f"{name}.rq").read_text(encoding="utf-8")


class _ServedStore(EmbeddedStore):
    """The embedded store as served: the same checks, but each query text is checked once (memoised)."""

    def _run(self, query: str, bindings):
        check_request_query(query)
        return self._store.query(bind_with_values(query, bindings or {}), use_default_graph_as_union=True)


@dataclass
class Answer:
    """An HTTP answer computed in a worker: status, media type, body and what the row cap did."""

    status: int
    media_type: str
    body: bytes
    meta: dict = field(default_factory=dict)


class Backend:
    """The store a worker answers from: embedded (reopened on a new generation) or a remote endpoint."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.generation = ""
        self.store = None
        self.cache: dict = {}
        self.refresh()

    # -- the store --------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Reopen the embedded store if `current` now points at another generation (True when it did)."""
        if self.settings.endpoint:
            if self.store is None:
                self.store = RemoteStore(self.settings.endpoint, timeout=self.settings.remote_timeout)
                self.generation = f"remote:{self.settings.endpoint}"
            index_gen = os.path.realpath(Path(self.settings.store) / "current") if self.settings.store else ""
            if self.cache.get("index_generation") != index_gen:  # a search index beside the remote store
                self.cache = {"index_generation": index_gen}
            return False
        live = Path(self.settings.store) / "current"
        gen = os.path.realpath(live)
        if gen == self.generation and self.store is not None:
            return False
        self.store = None  # let go of the old generation's reader lock before taking the new one
        self.store = _ServedStore(Path(self.settings.store))
        self.generation = str(self.store.generation)  # the one opened (a swap may have come since the check)
        self.cache = {}
        return True

    def internal(self, name: str, bindings: dict[str, Node] | None = None) -> Rows:
        """Run one of the server's own queries (no user text in it; IRIs bound as RDF terms)."""
        return self.store.select(internal_query(name), bindings or {})

    def execute(self, query: str, default_graphs: list[str], named_graphs: list[str]):
        """Run a protocol query: a pyoxigraph QuerySolutions, QueryBoolean or QueryTriples."""
        check_request_query(query, self.settings.allow_service)
        if self.settings.endpoint:
            return self._forward(query, default_graphs, named_graphs)
        kwargs = {"base_iri": f"{self.settings.public_base}/sparql"}  # relative IRIs resolve against the endpoint
        if default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        elif named_graphs:
            kwargs["default_graph"] = ox.DefaultGraph()  # the protocol: named graphs only = empty default graph
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            return self.store.oxigraph.query(query, **kwargs)
        except SyntaxError as exc:
            raise Refused(400, f"the query does not parse: {exc}") from None

    def _forward(self, query: str, default_graphs: list[str], named_graphs: list[str]):
        remote = RemoteStore(self.settings.endpoint, timeout=self.settings.remote_timeout)
        try:
            media, body = remote.protocol_query(query, default_graphs, named_graphs,
                                                "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8")
        except RemoteTimeout as exc:
            raise Refused(504, str(exc)) from None
        except RemoteAnswerError as exc:  # the endpoint refused the query (4xx) or failed (5xx, still busy)
            raise Refused(400 if exc.status is not None and exc.status < 500 and exc.status != 429 else 502, str(exc)) from None
        except RemoteError as exc:  # unreachable, a redirect, an answer cut off or incomplete
            raise Refused(502, str(exc)) from None
        try:
            if media in formats.RESULTS:
                answer = ox.parse_query_results(body, format=formats.RESULTS[media])
                if isinstance(answer, ox.QuerySolutions):  # solutions are parsed lazily: read them all once here
                    for _ in answer:
                        pass
                    answer = ox.parse_query_results(body, format=formats.RESULTS[media])
                return answer
            if media in formats.GRAPHS:
                return list(ox.parse(body, format=formats.GRAPHS[media]))
        except (SyntaxError, ValueError) as exc:  # a truncated or malformed answer: the remote's fault, not the query's
            raise Refused(502, f"the remote endpoint's answer is not valid {media}: {exc}") from None
        raise Refused(502, f"the remote endpoint answered with {media or 'no content type'}, which is not a SPARQL result format")


# -- protocol answers with the row cap ---------------------------------------------------------

class _Enough(Exception):
    """Raised by the counting writer once it holds one row more than the cap."""


class _LineCounter:
    """A binary writer that keeps the first `limit` lines and stops the serialiser after that."""

    def __init__(self, limit: int):
        self.limit, self.lines, self.buf = limit, 0, bytearray()

    def write(self, data: bytes) -> int:
        self.buf += data
        self.lines += data.count(b"\n")
        if self.lines > self.limit:
            raise _Enough()
        return len(data)

    def flush(self) -> None:
        pass


def capped_solutions(solutions: ox.QuerySolutions, cap: int) -> tuple[ox.QuerySolutions, int, bool]:
    """At most `cap` solutions, as pyoxigraph results again: written as TSV (one line per row, newlines
    escaped), cut after the cap, read back. Returns (solutions, rows, truncated)."""
    writer = _LineCounter(cap + 1)  # the header line, then cap rows; a further line means truncated
    try:
        solutions.serialize(writer, format=ox.QueryResultsFormat.TSV)
        truncated = False
    except _Enough:
        truncated = True
    except OSError as exc:  # pyoxigraph wraps errors raised by the writer
        if not isinstance(exc.__cause__ or exc.__context__, _Enough) and "_Enough" not in repr(exc):
            raise
        truncated = True
    lines = bytes(writer.buf).split(b"\n")
    header, rows = lines[0], [r for r in lines[1:cap + 1] if r]
    text = b"\n".join([header, *rows]) + b"\n"
    return ox.parse_query_results(text, format=ox.QueryResultsFormat.TSV), len(rows), truncated


def protocol_answer(backend: Backend, query: str, default_graphs: list[str], named_graphs: list[str],
                    accept: list[str]) -> Answer:
    """Run a protocol query and serialise it in the negotiated format, at most `row_cap` rows or triples."""
    cap = backend.settings.row_cap
    result = backend.execute(query, default_graphs, named_graphs)
    if isinstance(result, ox.QueryBoolean):
        media = formats.choose(accept, {k: v for k, v in formats.RESULTS.items()
                                        if v in (ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML)},
                               formats.DEFAULT_RESULTS)
        return Answer(200, media, result.serialize(format=formats.RESULTS[media]), {"kind": "ask"})
    if isinstance(result, ox.QuerySolutions):
        media = formats.choose(accept, formats.RESULTS, formats.DEFAULT_RESULTS)
        capped, n, truncated = capped_solutions(result, cap)
        body = capped.serialize(format=formats.RESULTS[media])
        meta = {"kind": "select", "rows": n, "truncated": truncated, "row_cap": cap}
        if formats.RESULTS[media] == ox.QueryResultsFormat.JSON:
            body = json_with_limits(body, meta)
        return Answer(200, media, body, meta)
    media = formats.choose(accept, formats.GRAPHS, formats.DEFAULT_GRAPH)
    triples, truncated = [], False
    for t in result:
        if len(triples) == cap:
            truncated = True
            break
        triples.append(t)
    fmt = formats.GRAPHS[media]
    if fmt.supports_datasets:  # N-Quads / TriG of a graph answer: the triples in the default graph
        body = ox.serialize([ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples], format=fmt)
    else:
        body = ox.serialize(triples, format=fmt)
    return Answer(200, media, body, {"kind": "graph", "rows": len(triples), "truncated": truncated, "row_cap": cap})


def json_with_limits(body: bytes, meta: dict) -> bytes:
    """SPARQL JSON results with a leading `limits` member (readers ignore members they do not know)."""
    import json

    extra = json.dumps({"rowCap": meta["row_cap"], "rows": meta["rows"], "truncated": meta["truncated"]})
    assert body.startswith(b"{")
    return b'{"limits":' + extra.encode() + b"," + body[1:]


# -- rows for pages ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def term_labels() -> dict[str, str]:
    """Readable names of RDF, RDFS, OWL, SKOS, PROV and Dublin Core terms (graph/serve/term-labels.tsv)."""
    lines = (Path(__file__).resolve().parent / "term-labels.tsv").read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if line.strip() and not line.startswith("#"))


def ontology_labels(backend: Backend) -> dict[str, str]:
    """Labels of the ontology's terms (and of the common vocabularies), read once per store generation."""
    if "labels" not in backend.cache:
        rows = backend.internal("ontology-labels")
        labels = dict(term_labels())
        labels.update({str(r[0]): str(r[1]) for r in rows.rows if r[0] is not None and r[1] is not None})
        backend.cache["labels"] = labels
    return backend.cache["labels"]


def labels_for(backend: Backend, iris: set[str]) -> dict[str, str]:
    """rdfs:label of each IRI (ontology labels from the cache, the rest in one VALUES query per 400 IRIs)."""
    known = ontology_labels(backend)
    out = {i: known[i] for i in iris if i in known}
    rest = sorted(i for i in iris if i not in known)
    for start in range(0, len(rest), 400):
        chunk = rest[start:start + 400]
        values = " ".join(str(ox.NamedNode(i)) for i in chunk)  # pyoxigraph checks and writes each IRI
        text = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                f"SELECT ?x (SAMPLE(?l) AS ?label) WHERE {{ VALUES ?x {{ {values} }} ?x rdfs:label ?l }} GROUP BY ?x")
        if backend.settings.endpoint:
            rows = backend.store.select(text)
        else:
            res = backend.store.oxigraph.query(text, use_default_graph_as_union=True)
            rows = Rows(["x", "label"], [(to_rdflib(s["x"]), to_rdflib(s["label"])) for s in res])
        out.update({str(r[0]): str(r[1]) for r in rows.rows if r[1] is not None})
    return out


def iris_in(rows: Rows) -> set[str]:
    """The IRIs an answer shows (including documents joined with "; " in one cell), for label look-up."""
    from .cells import iris_in_values

    return iris_in_values(t for r in rows.rows for t in r)
