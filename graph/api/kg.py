"""KnowledgeGraph: one object over a store (embedded folder or SPARQL endpoint) for Python users and notebooks."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Iterable

from msckg.graph import paths
from msckg.graph.store.base import Rows

from .answer import Answer

_LABELS = paths.QUERIES / "internal" / "labels.rq"


def open(store: str | Path | None = None, endpoint: str | None = None, timeout: float = 30.0) -> "KnowledgeGraph":  # noqa: A001
    """Open the knowledge graph: an embedded store folder (default $MSCKG_STORE or ./store), or a SPARQL endpoint.

    The store need not exist yet when you mean to `build()` it.

    >>> import msckg
    >>> kg = msckg.open(store="store")          # doctest: +SKIP
    >>> kg.ask("trials")[0]["phase"].label       # doctest: +SKIP
    'phase 1'
    """
    return KnowledgeGraph(store=store, endpoint=endpoint, timeout=timeout)


class KnowledgeGraph:
    """The msckg graph: `ask` a saved question, `query` any read-only SPARQL, `search`, `build`, `validate`."""

    def __init__(self, store: str | Path | None = None, endpoint: str | None = None, timeout: float = 30.0):
        self.folder = Path(store) if store is not None else paths.default_store()
        self.endpoint = endpoint
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"KnowledgeGraph(endpoint={self.endpoint!r})" if self.endpoint else f"KnowledgeGraph(store={str(self.folder)!r})"

    # -- reading -------------------------------------------------------------------------------
    def _store(self):
        if self.endpoint:
            from msckg.graph.store.remote import RemoteStore

            return RemoteStore(self.endpoint, timeout=self.timeout)
        from msckg.graph.store.embedded import EmbeddedStore

        return EmbeddedStore(self.folder)

    def queries(self) -> dict[str, str]:
        """The saved questions: name -> summary (what `ask` accepts)."""
        from msckg.graph.query.saved import saved_queries

        return {name: q.summary for name, q in saved_queries().items()}

    def ask(self, name: str, **params) -> Answer:
        """Answer a saved question with its parameters, e.g. `ask("adverse-events", min_grade=3)`.

        Parameters are checked against the query's declared types and bound, never pasted into the text;
        a name that is a Python keyword takes a trailing underscore (`class_="msckg:AE_Haemorrhage"`).
        Raises KeyError for an unknown name and msckg.graph.query.saved.ParamError for a bad value.
        """
        from msckg.graph.query.saved import run_saved, saved_queries

        queries = saved_queries()
        if name not in queries:
            raise KeyError(f"no saved query named '{name}'; the saved queries are: {', '.join(sorted(queries))}")
        store = self._store()
        given = {(k[:-1] if k.endswith("_") else k): _text(v) for k, v in params.items()}
        return self._answer(store, run_saved(store, queries[name], given))

    def query(self, text: str) -> Answer:
        """Run any read-only SPARQL SELECT (SERVICE, LOAD and updates are refused)."""
        store = self._store()
        return self._answer(store, store.select(text))

    def _answer(self, store, rows: Rows) -> Answer:
        return Answer(rows, _labels(store, rows))

    def search(self, text: str, types: Iterable[str] | None = None, limit: int = 10, mode: str = "auto"):
        """Ranked entities for words, names, abbreviations or registry IDs, each with why it matched.

        Returns a msckg.graph.search.results.Result: `.hits` (rank, iri, label, type, score, why) and `.notes`.
        """
        from msckg.graph.search import live_folder
        from msckg.graph.search.rank import Searcher

        if self.endpoint:
            raise ValueError("search reads the index built with the embedded store; open a store folder, not an endpoint")
        return Searcher(live_folder(self.folder)).search(text, types=list(types) if types else None, limit=limit, mode=mode)

    # -- writing -------------------------------------------------------------------------------
    def build(self, data: str | Path | None = None, sources: Iterable[str | Path] = ()):
        """Load the curated records in `data` (default: the checkout's data/ or ./data) and any extra
        `sources` (ClinicalTrials.gov JSON, RDF files), validate, and replace the store atomically.

        Returns a msckg.graph.build.run.BuildResult (triples, graphs, canonical_hash, report).
        Raises msckg.loader.errors.SourceError (every bad file and field) or BuildFailed (violations);
        either way the previous store is left as it was.
        """
        from msckg.graph.build.run import build as run_build

        if self.endpoint:
            raise ValueError("build() writes an embedded store; for an endpoint use the 'msckg --endpoint URL build' command")
        return run_build(self.folder, data=Path(data) if data is not None else paths.DATA,
                         extra_sources=[Path(s) for s in sources])

    def validate(self):
        """Validate the built graph (SHACL shapes + QC checks); returns a Report with `.ok` and `.violations`."""
        from msckg.graph.store.embedded import EmbeddedStore
        from msckg.graph.validate.run import validate

        return validate(EmbeddedStore(self.folder).oxigraph)


def _text(value) -> str:
    """A Python parameter value as the text the saved query's parameter parser reads."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return builtins.str(value)


def _labels(store, rows: Rows) -> dict[str, str]:
    """rdfs:label of every IRI in the rows, in one query with the IRIs bound as VALUES rows."""
    from rdflib import URIRef

    from msckg.graph.query.binding import bind_rows
    from msckg.graph.query.files import read_query_file

    iris = sorted({t for r in rows.rows for t in r if isinstance(t, URIRef)})
    if not iris:
        return {}
    q = read_query_file(_LABELS)
    found: dict[str, str] = {}
    for i in range(0, len(iris), 500):
        res = store.select(bind_rows(q.text, "s", iris[i:i + 500]))
        found.update({str(r[0]): str(r[1]) for r in res.rows if r[1] is not None})
    return found
