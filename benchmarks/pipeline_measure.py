"""Child processes timed for the pipeline benchmark: wall, CPU and peak memory, percentiles, time-boxed workers."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
MSCKG = str(BIN / "msckg")


def percentiles(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"p50": statistics.median(s), "p95": s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))], "n": len(s)}


def child(cmd: list[str], timeout: float | None = None, env: dict | None = None) -> dict:
    """Run a command; its wall time, CPU seconds and peak memory (from the kernel's accounting)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout, "wall": time.perf_counter() - t}
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak_rss_mb": after.ru_maxrss / 1024, "rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}


def folder_mb(p: Path) -> float:
    return sum(f.stat().st_size for f in Path(p).rglob("*") if f.is_file()) / 1e6


def timeboxed(code: str, args: list[str], names: list[str], timeout: float) -> dict:
    """Run `code` (which prints 'parsed', then one line 'name number...' per name) with a time box per name.

    A name over its time box is recorded as {"timeout_s": ...}; the worker is replaced for the rest."""
    import select

    out, todo = {}, list(names)
    while todo:
        proc = subprocess.Popen([sys.executable, "-c", code, *args, *todo], stdout=subprocess.PIPE, text=True)
        deadline = None
        while todo:
            ready, _, _ = select.select([proc.stdout], [], [], 2)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    out[todo.pop(0)] = {"error": "the worker stopped"}
                    break
                parts = line.split()
                if parts[0] != "parsed":
                    out[parts[0]] = [float(x) for x in parts[1:]]
                    todo.remove(parts[0])
                deadline = time.monotonic() + timeout
            elif deadline and time.monotonic() > deadline:
                out[todo.pop(0)] = {"timeout_s": timeout}
                break
        proc.kill()
        proc.wait()
    return out
