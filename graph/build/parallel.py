"""Registry and RDF sources loaded in worker processes, each graph handed back as N-Triples lines.

Each source is converted independently of the others, so the files are split into chunks over
one worker per core (`MSCKG_WORKERS` overrides); a worker returns, per file, its report and its
graph as the lines `loader.sink.ntriples` writes, which is all the build needs (serialise, hash,
store). Problems of every bad file come back too and are raised together, as in the sequential
path; the result is the same dataset (tests/test_build_fast.py).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from msckg.loader.errors import SourceError
from msckg.loader.records import LoadedRecord
from msckg.loader.sink import NTriplesGraph, fast_graphs, ntriples

from msckg.graph.build.sources import expand_sources, load_source

WORKERS_ENV = "MSCKG_WORKERS"
CHUNK = 40
MIN_FILES = 64  # below this, starting workers costs more than it saves


def workers() -> int:
    """How many worker processes to use: $MSCKG_WORKERS, else one per core."""
    return max(1, int(os.environ.get(WORKERS_ENV) or os.cpu_count() or 1))


def _load_chunk(args: tuple[list[str], str | None]) -> list[tuple]:
    paths, load_time = args
    out = []
    with fast_graphs():
        for p in paths:
            try:
                rec = load_source(Path(p), load_time)
            except SourceError as exc:
                out.append(("problems", exc.problems))
                continue
            lines = ntriples(rec.graph)
            out.append(("ok", rec.path, rec.graph_iri, lines, rec.graph.has_blank_nodes() if hasattr(rec.graph, "has_blank_nodes") else False,
                        rec.document, rec.records_in, rec.entities_out, rec.rejected, rec.problems))
    return out


def load_sources(paths: list[Path], load_time: str | None = None, progress=None, n_workers: int | None = None,
                 min_files: int = MIN_FILES) -> list[LoadedRecord]:
    """Load extra sources (folders expanded) in worker processes; graphs come back as NTriplesGraphs."""
    from msckg.graph.build.sources import load_extra_sources

    files = expand_sources(paths)
    n_workers = n_workers or workers()
    if n_workers < 2 or len(files) < min_files:
        return load_extra_sources(files, load_time, progress)
    chunks = [([str(p) for p in files[i:i + CHUNK]], load_time) for i in range(0, len(files), CHUNK)]
    out, problems, done = [], [], 0
    with ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for result in pool.map(_load_chunk, chunks):
            for item in result:
                if item[0] == "problems":
                    problems.extend(item[1])
                    continue
                _, path, giri, lines, blank, document, r_in, e_out, rej, probs = item
                out.append(LoadedRecord(path, giri, NTriplesGraph(giri, lines, blank), document, r_in, e_out, rej, probs))
            done += len(result)
            if progress:
                progress(f"loading sources ({done}/{len(files)} registry and RDF files, {n_workers} workers)")
    if problems:
        raise SourceError(problems)
    return out
