"""Sources loaded in worker processes, each graph handed back as N-Triples lines.

Each registry record is converted independently of the others, so the files are split into chunks
over one worker per core (`MSCKG_WORKERS` overrides); a worker returns each loaded record with its
graph as the lines `loader.sink.ntriples` writes, which is all the build needs (serialise, hash,
store). Problems of every bad file come back too and are raised together, as in the sequential
path; the result is the same dataset (tests/test_build_fast.py).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence

from msckg.loader.errors import Problem, SourceError
from msckg.loader.records import LoadedRecord
from msckg.loader.sink import NTriplesGraph, fast_graphs, fast_mode, ntriples

WORKERS_ENV = "MSCKG_WORKERS"
CHUNK = 40
MIN_FILES = 64  # below this, starting workers costs more than it saves


def workers() -> int:
    """How many worker processes to use: $MSCKG_WORKERS, else one per core."""
    return max(1, int(os.environ.get(WORKERS_ENV) or os.cpu_count() or 1))


def uses_workers(n_items: int, n_workers: int | None = None, min_files: int | None = None) -> bool:
    """Whether load_all loads this many items in worker processes (the build's fast path, more than one core)."""
    min_files = MIN_FILES if min_files is None else min_files
    return fast_mode() and (n_workers or workers()) > 1 and n_items >= min_files


def _run_chunk(args: tuple[Callable, list]) -> list[tuple[str, object]]:
    load_one, items = args
    out: list[tuple[str, object]] = []
    with fast_graphs():
        for item in items:
            try:
                rec = load_one(item)
            except SourceError as exc:
                out.append(("problems", exc.problems))
                continue
            g = rec.graph
            rec.graph = NTriplesGraph(g.identifier, ntriples(g), g.has_blank_nodes() if hasattr(g, "has_blank_nodes") else False)
            out.append(("ok", rec))
    return out


def load_all(load_one: Callable[[object], LoadedRecord], items: Sequence, progress=None, n_workers: int | None = None,
             min_files: int | None = None, meanwhile: Callable[[], None] | None = None) -> tuple[list[LoadedRecord], list[Problem], bool]:
    """(records in input order, problems of every bad item, whether workers were used).

    `load_one` must be picklable (a module-level function or a functools.partial of one). Workers are
    used inside the build's fast path (`fast_graphs()`) when there are at least `min_files` items.
    `meanwhile()` is this process's own work (the build's curated records): run while the workers load,
    or before the items when there are no workers (then it may prepare what `load_one` reads)."""
    n_workers = n_workers or workers()
    records: list[LoadedRecord] = []
    problems: list[Problem] = []
    parallel = uses_workers(len(items), n_workers, min_files)
    if not parallel:
        if meanwhile:
            meanwhile()
        for n, item in enumerate(items, 1):
            try:
                records.append(load_one(item))
            except SourceError as exc:
                problems.extend(exc.problems)
            if progress and (n % 200 == 0 or n == len(items)):
                progress(f"loading sources ({n}/{len(items)} registry files)")
        return records, problems, False
    chunks = [(load_one, list(items[i:i + CHUNK])) for i in range(0, len(items), CHUNK)]  # (CHUNK read at call time)
    done = 0
    with ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("fork")) as pool:
        results = pool.map(_run_chunk, chunks)  # every chunk handed out now; the workers start on them
        if meanwhile:
            meanwhile()
        for result in results:
            for kind, value in result:
                (problems.extend if kind == "problems" else records.append)(value)
            done += len(result)
            if progress:
                progress(f"loading sources ({done}/{len(items)} registry files, {n_workers} workers)")
    return records, problems, True
