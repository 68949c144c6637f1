"""Peak resident memory of a command's whole process tree (sum over the live processes, sampled), and its CPU.

The kernel's accounting (`ru_maxrss` of the children, what `/usr/bin/time -v` prints) is the peak of the
largest single process, not of the tree: a build that hands its search index to a child process, or
loads registry records in worker processes, would look smaller than it is. This samples every 50 ms the
resident set of the command and all its descendants (from /proc) and keeps the largest sum.

    python benchmarks/treepeak.py -- msckg -v build --data .bench/1000/data --source .bench/1000/ctgov
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                out.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(root: int) -> int:
    """The resident set of `root` and every descendant, summed (KiB)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss_kb(pid)
        todo.extend(_children(pid))
    return total


def run(cmd: list[str], interval: float = 0.05, **kw) -> dict:
    """Run `cmd`; its wall time, CPU seconds (its tree), peak of the tree's summed RSS and of its largest process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.Popen(cmd, **kw)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_kb(p.pid))
            done.wait(interval)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = p.communicate()
    done.set()
    th.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"rc": p.returncode, "wall": time.perf_counter() - t,
            "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "tree_peak_rss_mb": peak[0] / 1024, "largest_process_peak_rss_mb": after.ru_maxrss / 1024,
            "stdout": out, "stderr": err}


def main(argv: list[str]) -> None:
    if "--" in argv:
        argv = argv[argv.index("--") + 1:]
    if not argv:
        raise SystemExit(__doc__)
    r = run(argv)
    r.pop("stdout"), r.pop("stderr")
    print(json.dumps(r, indent=1), file=sys.stderr)
    sys.exit(r["rc"])


if __name__ == "__main__":
    main(sys.argv[1:])
