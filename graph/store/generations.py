"""Store generations: an exclusive writer lock, a new generation bulk-loaded beside the live one, an atomic
swap, and reader locks so that a generation is removed only when no reader has it open."""

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


READERS = ".readers"  # in each generation: readers hold a shared lock on it, removal takes it exclusively
OPEN_ATTEMPTS = 50


def open_live(folder: Path) -> tuple[Path, object]:
    """The live generation and a shared lock on it (an open file): held while the store is open, so a
    build that swaps in a new generation leaves this one on disk until the reader lets go."""
    folder = Path(folder)
    for _ in range(OPEN_ATTEMPTS):  # each retry means a swap happened between reading the link and locking
        gen = (folder / "current").resolve()
        try:
            fh = open(gen / READERS, "a+")
        except (FileNotFoundError, NotADirectoryError):
            if not (folder / "current").exists():
                break
            continue
        fcntl.flock(fh, fcntl.LOCK_SH)
        try:
            same = os.fstat(fh.fileno()).st_ino == os.stat(gen / READERS).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return gen, fh
        fh.close()  # the generation was retired while we waited for the lock: read the link again
    raise StoreError(f"no graph at {folder}: run 'msckg build' first (or set --store / MSCKG_STORE)")


def retire(folder: Path, keep: Path) -> list[Path]:
    """Remove every generation but `keep` that no reader holds; the ones still read are left for the next
    swap (returned). A generation is renamed away under its exclusive lock first, so no reader opens it."""
    folder, kept = Path(folder), []
    for trash in folder.glob(".retired-*"):  # a removal cut short last time
        shutil.rmtree(trash, ignore_errors=True)
    for old in sorted(folder.glob("gen-*")):
        if not old.is_dir() or old.resolve() == Path(keep).resolve():
            continue
        try:
            fh = open(old / READERS, "a+")
        except OSError:
            shutil.rmtree(old, ignore_errors=True)
            continue
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                kept.append(old)
                continue
            trash = folder / f".retired-{old.name}"
            os.replace(old, trash)
        shutil.rmtree(trash, ignore_errors=True)
    return kept


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
    (Path(gen) / READERS).touch()


def swap_live(folder: Path, gen: Path) -> None:
    """Make `gen` the live store atomically (symlink replace), then remove the older generations no reader holds."""
    folder = Path(folder)
    tmp = folder / f".current-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(gen.name, tmp)
    os.replace(tmp, folder / "current")
    retire(folder, gen)
