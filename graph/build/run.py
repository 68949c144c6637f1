"""Build: load every source, validate, write a new store beside the live one, then swap atomically."""

from __future__ import annotations

import datetime as dt
import gc
import os
import logging
import resource
import shutil
import signal
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
from rdflib import Graph

from msckg.loader.errors import SourceError
from msckg.loader.records import load_records
from msckg.loader.schema import build_schema, share_schema
from msckg.loader.sink import fast_graphs, fast_mode

from msckg.graph.build.dataset import ONTOLOGY_GRAPH, Assembled, ontology_graph
from msckg.graph.build.delta import checkpoint, live_generation, write_changes
from msckg.graph.build.incremental import BuildCache, revalidate
from msckg.graph.build.streaming import bulk_load_file, release_free_memory
from msckg.graph.paths import DATA, ONTOLOGY, ROOT, record_files
from msckg.graph.store.generations import READERS, StoreLock, swap_live
from msckg.graph.validate.run import Report, validate

FAIL_ENV = "MSCKG_FAIL_AT"  # test hook: raise at the named step to prove a failed build loses nothing
KILL_ENV = "MSCKG_KILL_AT"  # test hook: SIGKILL this process at the named step (tests/test_build_kill.py)
NQUADS_PREFIX = ".nquads-"  # the dataset as N-Quads on its way into a new generation (removed once loaded)
STEPS = ("assemble", "derive", "serialise", "write", "load", "validate", "index", "persist", "swap", "cache")
log = logging.getLogger("msckg.build")


class BuildFailed(RuntimeError):
    """A build that stopped before the swap; the live store is as it was."""

    def __init__(self, message: str, report: Report | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class Phase:
    """Wall and CPU seconds of one build step, the process's peak memory when it ended, and what it then held."""

    name: str
    wall: float
    cpu: float
    peak_rss_mb: float
    rss_mb: float = 0.0  # resident when the step ended: what the step left alive


class Phases:
    """Times each step of a build (for `msckg build -v` and the benchmarks)."""

    def __init__(self, progress: Callable[[str], None]):
        self.progress = progress
        self.done: list[Phase] = []

    @contextmanager
    def step(self, name: str, say: str):
        self.progress(say)
        _checkpoint(name)
        w, c = time.perf_counter(), cpu_seconds()
        yield
        self.done.append(Phase(name, time.perf_counter() - w, cpu_seconds() - c, peak_rss_mb(), rss_mb()))


def cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and of its finished worker processes."""
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """The resident memory of this process now, in MiB (0 where /proc is missing)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


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
    phases: list[Phase] = field(default_factory=list)
    reused_sources: int = 0  # sources read back from the build cache
    incremental_validation: bool = False  # only what the change can reach was validated again
    replaced_graphs: int | None = None  # the generation was the live one with these graphs replaced (None: loaded whole)


def write_search_index(store: ox.Store, folder: Path, nquads: Path | None = None) -> None:
    """Build the search index beside the store generation, so both go live in the same swap; it reads the
    dataset from `nquads` (the whole dataset as N-Quads) when given: about 5x faster than from the store."""
    try:
        from msckg.graph.search.index import write_index
    except ImportError:  # the search package is optional until it lands
        return
    quads = None if nquads is None else ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    write_index(store, folder, quads=quads)


def _checkpoint(step: str) -> None:
    if os.environ.get(KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(FAIL_ENV) == step:
        raise RuntimeError(f"injected failure at step '{step}' ({FAIL_ENV})")


def remove_leftovers(store_folder: Path) -> None:
    """Remove what an interrupted build left beside the live store (half-made generations), saying so."""
    live = (store_folder / "current").resolve() if (store_folder / "current").exists() else None
    stale = [g for g in store_folder.glob("gen-*") if g.is_dir() and g.resolve() != live]
    stale += [t for t in store_folder.glob(".current-*") if t.is_symlink()]
    stale += [f for f in store_folder.glob(f"{NQUADS_PREFIX}*") if f.is_file()]
    for g in stale:
        if g.is_symlink() or g.is_file():
            g.unlink()
        else:
            shutil.rmtree(g, ignore_errors=True)
    if stale:
        log.warning("removed %d leftover(s) of an interrupted build in %s: %s", len(stale), store_folder,
                    ", ".join(sorted(g.name for g in stale)))


def assemble(data: Path = DATA, ontology: Path = ONTOLOGY, extra_sources: list[Path] | None = None,
             load_time: str | None = None, progress: Callable[[str], None] | None = None, prefer: str | None = None,
             cache: BuildCache | None = None) -> Assembled:
    """Load the ontology and every source file into named graphs (one SourceError names every bad file).

    Inside `loader.sink.fast_graphs()` the graphs are light TripleSinks, else rdflib Graphs. The load
    time goes into the build record graph only (graph/build/provenance.py), never into a data graph.
    With a `cache` (graph/build/incremental.py), unchanged sources are read back from it, not loaded."""
    from msckg.graph.build.mappings import MAPPINGS_FOLDER, MAPPINGS_GRAPH, mapping_graph
    from msckg.graph.build.provenance import BUILD_GRAPH, build_record, now
    from msckg.graph.build.registry import organisation_labels
    from msckg.graph.build.sources import load_extra_sources

    out = Assembled()
    out.graphs[ONTOLOGY_GRAPH] = ontology_graph(ontology, ROOT)  # strict parse first: errors with line and column
    known = cache.ontology_hash() if cache else None
    if known:  # its blank nodes make canonicalising it the costliest hash of a small build
        out.graphs[ONTOLOGY_GRAPH].sha256 = known
    schema = build_schema(ontology, out.graphs[ONTOLOGY_GRAPH])  # the same files, parsed once
    share_schema(ontology, schema)  # the registry loader's default_schema() is this one
    problems = []
    labels: dict = {}
    done = []

    def curated() -> None:  # this process's share while the registry records load in worker processes
        done.append(True)
        try:
            for rec in load_records(record_files(data), schema, Path(data).resolve().parent,  # paths shown as data/...
                                    reuse=cache.record if cache else None):
                out.graphs[rec.graph_iri] = rec.graph
                out.reports.append(rec)
        except SourceError as exc:  # go on: the registry files' problems are reported in the same run
            problems.extend(exc.problems)
        # the labels curated sources give organisations, which registry records keep (their spellings become altLabels)
        if cache is None:
            labels.update(organisation_labels(out.graphs.values()))
        else:  # the same labels, from what each curated record gives (kept in the cache)
            labels.update(organisation_labels([out.graphs[ONTOLOGY_GRAPH]]))
            for rec in out.reports:
                for iri, label in cache.organisation_labels(rec).items():
                    labels.setdefault(iri, label)

    try:
        extra = load_extra_sources(extra_sources or [], None, data, prefer, labels, progress,
                                   cache.registry if cache else None, meanwhile=curated)
    except SourceError as exc:
        extra = []
        problems.extend(exc.problems)
    if not done:  # the registry loader stopped before its workers started
        curated()
    for rec in extra:
        out.graphs[rec.graph_iri] = rec.graph
        out.reports.append(rec)
    try:
        mappings = mapping_graph(ontology / MAPPINGS_FOLDER)  # reviewed `msckg link` candidates
        if len(mappings):
            out.graphs[MAPPINGS_GRAPH] = mappings
    except SourceError as exc:
        problems.extend(exc.problems)
    if problems:
        raise SourceError(problems)
    out.graphs[BUILD_GRAPH] = build_record(list(out.graphs), load_time or now())  # the load time lives here only
    return out


def memory_store(assembled: Assembled) -> tuple[ox.Store, Graph]:
    """The assembled dataset in an in-memory Oxigraph store, and as one rdflib graph for SHACL."""
    store = ox.Store()
    store.load(assembled.nquads(), format=ox.RdfFormat.N_QUADS)
    union = Graph()
    for g in assembled.graphs.values():
        union += g
    return store, union


def add_derived(assembled: Assembled, data: Path, now: str, cache: BuildCache | None = None) -> bool:
    """Re-derive every saved pooled analysis (data/analyses/) from the loaded sources into its own named graph.

    The derivation reads a temporary in-memory copy of the assembled dataset; the derived graphs join
    the assembled ones, so they are validated, hashed and written like any source (graph.synthesis)."""
    from msckg.graph.synthesis.derived import analysis_files, derive_analyses
    from msckg.graph.synthesis.derived_cache import DerivedCache
    from msckg.graph.synthesis.gather import InMemory

    if not analysis_files(data):
        return False
    scratch = ox.Store()
    scratch.bulk_load(assembled.nquads(), format=ox.RdfFormat.N_QUADS)
    derived = DerivedCache(cache.root / "derived", cache.reuse) if cache else None
    for iri, g in derive_analyses(InMemory(scratch), data, now, ROOT, derived).items():
        assembled.graphs[iri] = g
    assembled._serialised = None  # serialise again, with the derived graphs
    return True


def build(store_folder: Path, data: Path = DATA, ontology: Path = ONTOLOGY, extra_sources: list[Path] | None = None,
          progress: Callable[[str], None] = lambda s: None, prefer: str | None = None, full: bool = False) -> BuildResult:
    """Build the graph into `store_folder`; the live store changes only if every step succeeds.

    Unchanged sources come from the store folder's build cache and only what a change can reach is
    validated again (graph/build/incremental.py); `full` loads and validates everything (and refills the cache)."""
    t0 = time.perf_counter()
    store_folder = Path(store_folder)
    phases = Phases(progress)
    with StoreLock(store_folder):
        remove_leftovers(store_folder)
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        cache = BuildCache(store_folder, ontology, reuse=not full)
        with phases.step("assemble", "loading sources"), fast_graphs():
            assembled = assemble(data, ontology, extra_sources, now, progress, prefer, cache)
            assembled.each = cache.each
        with phases.step("derive", "re-deriving saved pooled analyses"):
            add_derived(assembled, data, now, cache)
        # the dataset streams through an N-Quads file beside the new generation: each graph is written and
        # let go of, the generation is bulk-loaded from the file, and validation and the search index read
        # that on-disk store; no second copy in memory (docs/decisions/0121)
        gen = Path(tempfile.mkdtemp(prefix=f"gen-{time.strftime('%Y%m%dT%H%M%S')}-", dir=store_folder))
        nq_file = store_folder / f"{NQUADS_PREFIX}{gen.name}.nq"
        # the whole dataset as N-Quads, kept until the search index has read it (decision 0162): the load's
        # file in a full build, a second file in an incremental one (whose load file holds only the changes)
        whole_file = store_folder / f"{NQUADS_PREFIX}{gen.name}-whole.nq"
        # an incremental build starts from a checkpoint of the live generation and writes and loads only the
        # graphs that changed (graph/build/delta.py, docs/decisions/0151)
        live, changes = live_generation(store_folder, cache), None  # None when --full (no last build then)
        try:
            with phases.step("serialise", "writing N-Quads"):
                with open(nq_file, "wb", buffering=1 << 20) as out:
                    if live is None:
                        ser = assembled.write_nquads(out)
                    else:
                        with open(whole_file, "wb", buffering=1 << 20) as whole_out:
                            ser, changes = write_changes(assembled, out, cache.last["graphs"], whole_out)
                gc.collect()  # the released graphs' cycles (rdflib terms, caches) go now, not mid-index
                release_free_memory()
            _checkpoint("write")
            with phases.step("load", "loading the store" if live is None else "replacing the changed graphs"):
                if live is None:
                    store = ox.Store(str(gen))
                    bulk_load_file(store, nq_file, ser.offsets)
                else:
                    store = checkpoint(live, gen, nq_file, ser.offsets, changes)
                    nq_file.unlink()  # only the changed graphs: the index reads whole_file instead
            with phases.step("validate", "validating (SHACL shapes as SPARQL, QC checks)"):
                report = None if full else revalidate(store, cache, set(ser.graph_hashes), ser.triples)
                incremental = report is not None
                report = report or validate(store)
            if not report.ok:
                raise BuildFailed(f"validation failed: {len(report.failing)} violation(s); the live store was not changed", report)
            with phases.step("index", "indexing for search"):
                gc.collect()
                index_file = nq_file if live is None else whole_file
                write_search_index(store, gen / "search", index_file)
                index_file.unlink()
            with phases.step("persist", "writing store"):
                store.flush()
                del store
                (gen / READERS).touch()
            _checkpoint("swap")
            swap_live(store_folder, gen)
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)  # the half-made generation never goes live
            nq_file.unlink(missing_ok=True)
            whole_file.unlink(missing_ok=True)
            raise
        try:
            _checkpoint("cache")
            cache.save(assembled.reports, ser.graph_hashes, report, gen.name)
        except Exception as exc:  # the build is live; only the next build's head start is lost
            log.warning("the build cache in %s could not be saved (%s); the next build loads everything", cache.root, exc)
            cache.discard()
        return BuildResult(store_folder, gen, ser.triples, len(assembled.graphs), ser.canonical_hash, report, assembled,
                           time.perf_counter() - t0, phases.done, cache.reused, incremental,
                           None if changes is None else len(changes))
