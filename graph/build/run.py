"""Build: load every source, validate, write a new store beside the live one, then swap atomically."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
from rdflib import Graph

from msckg.loader.errors import SourceError
from msckg.loader.records import load_records
from msckg.loader.schema import build_schema

from msckg.graph.build.dataset import ONTOLOGY_GRAPH, Assembled, canonical_hash, ontology_graph
from msckg.graph.paths import DATA, ONTOLOGY, ROOT, record_files
from msckg.graph.store.generations import StoreLock, swap_live, write_generation
from msckg.graph.validate.run import Report, validate

FAIL_ENV = "MSCKG_FAIL_AT"  # test hook: raise at the named step to prove a failed build loses nothing


class BuildFailed(RuntimeError):
    """A build that stopped before the swap; the live store is as it was."""

    def __init__(self, message: str, report: Report | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class BuildResult:
    """What a build produced."""

    store: Path
    generation: Path
    triples: int
    graphs: int
    canonical_hash: str
    report: Report
    assembled: Assembled
    seconds: float


def write_search_index(store: ox.Store, folder: Path) -> None:
    """Build the search index beside the store generation, so both go live in the same swap."""
    try:
        from msckg.graph.search.index import write_index
    except ImportError:  # the search package is optional until it lands
        return
    write_index(store, folder)


def _checkpoint(step: str) -> None:
    if os.environ.get(FAIL_ENV) == step:
        raise RuntimeError(f"injected failure at step '{step}' ({FAIL_ENV})")


def assemble(data: Path = DATA, ontology: Path = ONTOLOGY, extra_sources: list[Path] | None = None,
             load_time: str | None = None, prefer: str | None = None) -> Assembled:
    """Load the ontology and every source file into named graphs (one SourceError names every bad file)."""
    from msckg.graph.build.mappings import MAPPINGS_FOLDER, MAPPINGS_GRAPH, mapping_graph
    from msckg.graph.build.registry import organisation_labels
    from msckg.graph.build.sources import load_extra_sources

    load_time = load_time or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    out = Assembled()
    out.graphs[ONTOLOGY_GRAPH] = ontology_graph(ontology, ROOT)  # strict parse first: errors with line and column
    schema = build_schema(ontology)
    problems = []
    try:
        for rec in load_records(record_files(data), schema, ROOT, load_time):
            out.graphs[rec.graph_iri] = rec.graph
            out.reports.append(rec)
    except SourceError as exc:  # go on: the registry files' problems are reported in the same run
        problems.extend(exc.problems)
    try:
        labels = organisation_labels(out.graphs.values())
        for rec in load_extra_sources(extra_sources or [], load_time, data, prefer, labels):
            out.graphs[rec.graph_iri] = rec.graph
            out.reports.append(rec)
    except SourceError as exc:
        problems.extend(exc.problems)
    try:
        mappings = mapping_graph(ontology / MAPPINGS_FOLDER)  # reviewed `msckg link` candidates
        if len(mappings):
            out.graphs[MAPPINGS_GRAPH] = mappings
    except SourceError as exc:
        problems.extend(exc.problems)
    if problems:
        raise SourceError(problems)
    return out


def memory_store(assembled: Assembled) -> tuple[ox.Store, Graph]:
    """The assembled dataset in an in-memory Oxigraph store, and as one rdflib graph for SHACL."""
    store = ox.Store()
    store.load(assembled.nquads(), format=ox.RdfFormat.N_QUADS)
    union = Graph()
    for g in assembled.graphs.values():
        union += g
    return store, union


def build(store_folder: Path, data: Path = DATA, ontology: Path = ONTOLOGY, extra_sources: list[Path] | None = None,
          progress: Callable[[str], None] = lambda s: None, prefer: str | None = None) -> BuildResult:
    """Build the graph into `store_folder`; the live store changes only if every step succeeds."""
    t0 = time.perf_counter()
    store_folder = Path(store_folder)
    with StoreLock(store_folder):
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        progress("loading sources")
        _checkpoint("assemble")
        assembled = assemble(data, ontology, extra_sources, now, prefer)
        progress("validating")
        _checkpoint("validate")
        mem, union = memory_store(assembled)
        report = validate(mem, union)
        if not report.ok:
            raise BuildFailed(f"validation failed: {len(report.failing)} violation(s); the live store was not changed", report)
        progress("writing store")
        _checkpoint("write")
        gen = write_generation(store_folder, assembled.nquads(), f"gen-{time.strftime('%Y%m%dT%H%M%S')}-")
        try:
            progress("indexing for search")
            write_search_index(mem, gen / "search")
            _checkpoint("swap")
            swap_live(store_folder, gen)
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)  # the half-made generation never goes live
            raise
        return BuildResult(store_folder, gen, assembled.triple_count(), len(assembled.graphs),
                           canonical_hash(assembled.graphs), report, assembled, time.perf_counter() - t0)
