"""Store generations: an exclusive writer lock, a new generation bulk-loaded beside the live one, an atomic swap."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox

from .base import StoreError


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
    write_generation_into(gen, nquads)
    return gen


def write_generation_into(gen: Path, nquads: bytes) -> None:
    """Bulk-load a dataset into the empty store folder `gen`."""
    store = ox.Store(str(gen))
    store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store


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
