"""One store interface, two implementations: embedded Oxigraph (default) and a remote SPARQL 1.1 endpoint."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib.term import Node

from .binding import bind_with_values
from .safety import check_query
from .terms import to_rdflib


class StoreError(RuntimeError):
    """A store that is missing, in use or unreachable."""


@dataclass
class Rows:
    """The answer to a SELECT: variable names and rows of rdflib terms (None = unbound)."""

    variables: list[str]
    rows: list[tuple[Node | None, ...]]


class Store(Protocol):
    """What every backend offers to the rest of msckg."""

    def select(self, query: str, bindings: dict[str, Node] | None = None) -> Rows: ...

    def ask(self, query: str, bindings: dict[str, Node] | None = None) -> bool: ...

    def graphs(self) -> list[str]: ...

    def replace_dataset(self, nquads: bytes) -> None: ...


class EmbeddedStore:
    """Oxigraph on disk: a folder holding generations of the store and a `current` link to the live one."""

    def __init__(self, folder: Path, read_only: bool = True):
        self.folder = Path(folder)
        live = self.folder / "current"
        if not live.exists():
            raise StoreError(f"no graph at {self.folder}: run 'msckg build' first (or set --store / MSCKG_STORE)")
        self._store = ox.Store.read_only(str(live.resolve())) if read_only else ox.Store(str(live.resolve()))

    @property
    def oxigraph(self) -> ox.Store:
        return self._store

    def _run(self, query: str, bindings):
        check_query(query)
        return self._store.query(bind_with_values(query, bindings or {}), use_default_graph_as_union=True)

    def select(self, query: str, bindings: dict[str, Node] | None = None) -> Rows:
        res = self._run(query, bindings)
        if not isinstance(res, ox.QuerySolutions):
            raise StoreError("expected a SELECT query")
        names = [v.value for v in res.variables]
        return Rows(names, [tuple(to_rdflib(sol[n]) for n in names) for sol in res])

    def ask(self, query: str, bindings: dict[str, Node] | None = None) -> bool:
        return bool(self._run(query, bindings))

    def construct(self, query: str) -> list:
        return list(self._run(query, None))

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs())

    def replace_dataset(self, nquads: bytes) -> None:
        raise StoreError("the embedded store is replaced whole by 'msckg build' (see graph.build)")

    def dump(self, fmt: ox.RdfFormat) -> bytes:
        return self._store.dump(format=fmt)


class StoreLock:
    """An exclusive writer lock on a store folder: a second writer gets a clear 'store in use' error."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._fh = None

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.folder / ".lock", "w")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fh.close()
            raise StoreError(f"store in use: another msckg process is writing {self.folder}; wait for it to finish") from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()


def write_generation(folder: Path, nquads: bytes, prefix: str = "gen-") -> Path:
    """Bulk-load a dataset into a fresh, uniquely named store folder beside the live one (not yet live)."""
    gen = Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
    store = ox.Store(str(gen))
    store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    return gen


def swap_live(folder: Path, gen: Path) -> None:
    """Make `gen` the live store atomically (symlink replace), then remove older generations."""
    folder = Path(folder)
    tmp = folder / f".current-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(gen.name, tmp)
    os.replace(tmp, folder / "current")
    for old in folder.glob("gen-*"):
        if old.resolve() != gen.resolve() and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
