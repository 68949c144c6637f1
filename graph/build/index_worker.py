"""The build's search index, written from its N-Quads file by a process of its own while the store loads and validates.

The index reads only the N-Quads file (docs/decisions/0162), never the store, so it need not wait for
the load and the validation: at 10,000 trials those took 65 s of wall time and the index 36 s after
them, on two cores that were half idle meanwhile (the index is Python, one core; the load and the
queries are Oxigraph's native code). From `BESIDE_BYTES` of N-Quads the index is written by a fresh
interpreter (spawned, not forked: the build has RocksDB threads) that dies with the build (a SIGKILLed
build leaves no writer behind) and is killed when the build fails; below it, the index is written in
the build's own process after validation, as before, since starting an interpreter costs about a
second. Both give the same index (its bytes do not depend on the process: tests/test_build_index_beside.py).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import signal
import time
import traceback
from pathlib import Path

BESIDE_BYTES = 32 << 20  # N-Quads files from this size (about 150,000 triples) get a process of their own
BESIDE_ENV = "MSCKG_INDEX_BESIDE"  # '1' or '0' forces either way (tests; a machine with one core)
HOLD_ENV = "MSCKG_INDEX_HOLD"  # test hook: seconds the index process waits before it starts (a kill finds it busy)
FAIL_STEP = "index-process"  # MSCKG_FAIL_AT=index-process: the index process fails (tests/test_build_index_beside.py)


def write_search_index(folder: Path, nquads: Path) -> None:
    """Build the search index of the dataset in the N-Quads file `nquads` into `folder` (a generation's `search`)."""
    try:
        from msckg.graph.search.index import write_index
    except ImportError:  # the search package is optional until it lands
        return
    import pyoxigraph as ox

    write_index(None, folder, quads=ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS))


def beside(nquads: Path) -> bool:
    """Whether the index of this N-Quads file is written by a process of its own ($MSCKG_INDEX_BESIDE, else its size)."""
    forced = os.environ.get(BESIDE_ENV)
    if forced in ("0", "1"):
        return forced == "1"
    return (os.cpu_count() or 1) > 1 and Path(nquads).stat().st_size >= BESIDE_BYTES


def _die_with_parent(parent: int) -> None:
    try:  # PR_SET_PDEATHSIG: the kernel kills this process when the build that started it dies
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: a build killed with SIGKILL may leave this running to its end
        pass
    if os.getppid() != parent:  # the build died before the line above ran
        os._exit(1)


def _child(conn, folder: str, nquads: str, parent: int) -> None:
    _die_with_parent(parent)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        time.sleep(float(os.environ.get(HOLD_ENV) or 0))
        if os.environ.get("MSCKG_FAIL_AT") == FAIL_STEP:  # the build's test hook (graph/build/run.py FAIL_ENV)
            raise RuntimeError(f"injected failure in the search index process (MSCKG_FAIL_AT={FAIL_STEP})")
        write_search_index(Path(folder), Path(nquads))
    except BaseException as exc:  # noqa: BLE001  (every failure goes back to the build, which raises it)
        conn.send(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        return
    conn.send(("ok", {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


class IndexFailed(RuntimeError):
    """The search index process failed or died; the message says how (the build stops, the live store is kept)."""


class IndexJob:
    """The search index of one build: started beside the load (`start`), or written in process at `wait`."""

    def __init__(self, folder: Path, nquads: Path, own_process: bool):
        self.folder, self.nquads, self.own_process = Path(folder), Path(nquads), own_process
        self._proc = self._conn = None
        if own_process:
            ctx = multiprocessing.get_context("spawn")
            self._conn, theirs = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_child, args=(theirs, str(self.folder), str(self.nquads), os.getpid()),
                                     name="msckg-search-index", daemon=True)
            self._proc.start()
            theirs.close()

    def wait(self) -> dict | None:
        """Wait for the index; its own figures (wall, cpu, peak_rss_mb) when another process wrote it, else None.

        Raises IndexFailed with the child's error (and its traceback in the log) or its exit status."""
        if not self.own_process:
            write_search_index(self.folder, self.nquads)
            return None
        try:
            kind, *rest = self._conn.recv()
        except EOFError:
            self._proc.join()
            raise IndexFailed(f"the search index process died (exit status {self._proc.exitcode}); "
                              "the live store was not changed") from None
        finally:
            self._conn.close()
        self._proc.join()
        if kind == "error":
            import logging

            logging.getLogger("msckg.build").debug("search index process:\n%s", rest[1])
            raise IndexFailed(f"the search index could not be written: {rest[0]}")
        return rest[0]

    def stop(self) -> None:
        """Kill the index process (a failed build) and wait for it to go, so nothing writes into the generation."""
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
        if self._proc is not None:
            self._proc.join()
        if self._conn is not None:
            self._conn.close()


def start_index(folder: Path, nquads: Path) -> IndexJob:
    """The search index of `nquads` into `folder`: started now in a process of its own when `beside(nquads)`."""
    return IndexJob(folder, nquads, beside(nquads))
