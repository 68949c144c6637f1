"""Bulk-load a dataset's N-Quads file into a store in pieces of whole graphs, so the loader's memory stays bounded.

Oxigraph's bulk loader holds each batch (up to a million quads per thread) in memory while it sorts
and writes it; one call with a whole 10k-trial dataset held ~1.7 GiB. Pieces of about `PIECE_BYTES`,
cut where a graph starts (blank node labels are scoped to one load call, so a graph is never split),
keep that to a few hundred MiB; the store holds the same quads (docs/decisions/0121).
"""

from __future__ import annotations

import bisect
import ctypes
from pathlib import Path

import pyoxigraph as ox

PIECE_BYTES = 48 << 20


def pieces(size: int, offsets: list[int], piece: int | None = None) -> list[tuple[int, int]]:
    """[start, stop) byte ranges of a file of `size` bytes whose graphs start at `offsets`: each about
    `piece` bytes, cut only at a graph's start (a graph larger than `piece` is a piece of its own)."""
    piece = piece or PIECE_BYTES
    starts = sorted(set(offsets) | {0})
    out, at = [], 0
    while at < size:
        i = bisect.bisect_right(starts, at + piece) - 1  # the last graph start within reach
        stop = starts[i] if i >= 0 and starts[i] > at else None
        if stop is None:  # one graph larger than a piece: up to the next graph's start
            j = bisect.bisect_right(starts, at)
            stop = starts[j] if j < len(starts) else size
        out.append((at, stop))
        at = stop
    return out


def bulk_load_file(store: ox.Store, path: Path, offsets: list[int], piece: int | None = None) -> None:
    """Bulk-load the N-Quads file `path` (graphs starting at `offsets`) into `store`, piece by piece."""
    size = Path(path).stat().st_size
    with open(path, "rb") as fh:
        for start, stop in pieces(size, offsets, piece):
            fh.seek(start)
            store.bulk_load(fh.read(stop - start), format=ox.RdfFormat.N_QUADS)
    release_free_memory()


def release_free_memory() -> None:
    """Hand the C allocator's free pages back to the system (glibc's malloc_trim; nothing elsewhere).

    The loader's threads and freed Python objects leave free memory in the allocator's arenas; without
    this it stays resident and adds to the build's peak while the search index is built."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: the allocator keeps its own counsel
        return
    trim(0)
