"""The embedded store: Oxigraph on disk, a folder of generations with a `current` link to the live one."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib.term import Node

from msckg.graph.query.binding import bind_with_values
from msckg.graph.safety import check_query

from .base import Rows, StoreError
from .generations import open_live
from .terms import rows_to_rdflib


class EmbeddedStore:
    """Oxigraph on disk: a folder holding generations of the store and a `current` link to the live one."""

    def __init__(self, folder: Path, read_only: bool = True):
        self.folder = Path(folder)
        # the shared lock keeps this generation on disk while it is open, whatever builds swap in meanwhile
        self.generation, self._reader_lock = open_live(self.folder)
        self._store = ox.Store.read_only(str(self.generation)) if read_only else ox.Store(str(self.generation))

    @property
    def oxigraph(self) -> ox.Store:
        return self._store

    def _run(self, query: str, bindings):
        check_query(query)
        return self._store.query(bind_with_values(query, bindings or {}), use_default_graph_as_union=True)

    def results(self, query: str, bindings: dict[str, Node] | None = None):
        """pyoxigraph's own answer, read lazily: solutions, a boolean or triples (for answers written as they come)."""
        return self._run(query, bindings)

    def select(self, query: str, bindings: dict[str, Node] | None = None) -> Rows:
        res = self._run(query, bindings)
        if not isinstance(res, ox.QuerySolutions):
            raise StoreError("expected a SELECT query")
        names = [v.value for v in res.variables]
        return Rows(names, rows_to_rdflib(res, names))

    def ask(self, query: str, bindings: dict[str, Node] | None = None) -> bool:
        return bool(self._run(query, bindings))

    def construct(self, query: str) -> list:
        return list(self._run(query, None))

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs())

    def replace_dataset(self, nquads: bytes) -> None:
        raise StoreError("the embedded store is replaced whole by 'msckg build' (see graph.build.run)")

    def dump(self, fmt: ox.RdfFormat) -> bytes:
        return self._store.dump(format=fmt)
