"""Start `msckg serve` on 127.0.0.1 and a free port for a test, and make stores for it to serve."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pyoxigraph as ox

from tests.oxigraph_server import free_port

HERE = Path(__file__).resolve().parent
MSCKG = str(Path(sys.executable).parent / "msckg")


class MsckgServer:
    """A real `msckg serve` process (uvicorn, worker pool) with the given limits; stop() ends it."""

    def __init__(self, store: Path | None = None, endpoint: str | None = None, **options):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [MSCKG, "-q"]
        if store is not None:
            cmd += ["--store", str(store)]
        if endpoint is not None:
            cmd += ["--endpoint", endpoint]
        cmd += ["serve", "--port", str(self.port)]
        for key, value in options.items():
            for v in value if isinstance(value, (list, tuple)) else [value]:
                cmd += [f"--{key.replace('_', '-')}", str(v)]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"msckg serve exited: {self.output()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.base}/health", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"msckg serve did not start within 90 s: {self.output()[-2000:]}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    @property
    def sparql(self) -> str:
        return f"{self.base}/sparql"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def add_graphs(store_folder: Path, extra: bytes, index: bool = True) -> None:
    """A new generation of an embedded store: what it holds plus the N-Quads `extra`, with its search
    index, swapped in atomically (as a build does)."""
    from msckg.graph.store.generations import StoreLock, swap_live, write_generation

    store_folder = Path(store_folder)
    current = store_folder / "current"
    data = ox.Store.read_only(str(current.resolve())).dump(format=ox.RdfFormat.N_QUADS) if current.exists() else b""
    data += extra
    with StoreLock(store_folder):
        gen = write_generation(store_folder, data, "gen-test-")
        if index:
            from msckg.graph.search.index import write_index

            mem = ox.Store()
            mem.load(data, format=ox.RdfFormat.N_QUADS)
            write_index(mem, gen / "search", embedder=None, cache_dir=store_folder / ".search-cache")
        swap_live(store_folder, gen)


def fixture_nquads(*names: str) -> bytes:
    return b"".join((HERE / n).read_bytes() for n in names)
