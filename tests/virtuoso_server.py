"""Start a real Virtuoso 7 server (Debian's virtuoso-opensource-7) on 127.0.0.1, in a folder of its own, for tests and benchmarks."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from .oxigraph_server import free_port

INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
ServerThreads = 10
CheckpointInterval = 60
DirsAllowed = ., {d}
MaxQueryMem = 2G

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerThreads = 10
MaxClientConnections = 10
ServerRoot = {d}

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 300
MaxQueryCostEstimationTime = 0
"""


def available() -> bool:
    return bool(shutil.which("virtuoso-t") and shutil.which("isql-vt"))


class VirtuosoServer:
    """A Virtuoso server whose anonymous SPARQL user may update (only ever bound to 127.0.0.1)."""

    def __init__(self, location: Path, memory_gb: float = 2.0):
        if not available():
            raise RuntimeError("Virtuoso is not installed: 'make virtuoso' installs Debian's virtuoso-opensource-7-bin")
        self.dir = Path(location)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.sql, self.http = free_port(), free_port()
        buffers = int(memory_gb * 85000)
        (self.dir / "virtuoso.ini").write_text(INI.format(d=self.dir, sql=self.sql, http=self.http, buffers=buffers, dirty=buffers * 3 // 4))
        self.proc = subprocess.Popen(["virtuoso-t", "-f", "-c", str(self.dir / "virtuoso.ini")], cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.http}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.dir / "virtuoso.log").read_text(errors="replace")[-800:] if (self.dir / "virtuoso.log").exists() else ""
                raise RuntimeError(f"virtuoso-t exited: {log}")
            try:
                urllib.request.urlopen(f"{self.base}/sparql?query=ASK%7B%7D", timeout=2).read()
                break
            except OSError:
                time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError("Virtuoso did not start within 90 s")
        grant = "GRANT SPARQL_UPDATE TO \"SPARQL\"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);"
        r = subprocess.run(["isql-vt", str(self.sql), "dba", "dba", f"exec={grant}"], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            self.stop()
            raise RuntimeError(f"cannot grant SPARQL updates: {r.stdout[-300:]} {r.stderr[-300:]}")

    @property
    def query_url(self) -> str:
        return f"{self.base}/sparql"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
