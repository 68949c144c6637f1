"""Bounded load test of `msckg serve`: locust headless on loopback for a fixed time, beside the same mix
run in-process (the baseline: no HTTP, no worker processes), on a store of synthetic trials.

    python -m benchmarks.load --store build/load-10k --trials 10000 --users 8 --seconds 60

Prints, per kind of request, queries/s, p50/p95/p99 latency and errors, and the deadline kills the
server counted; writes the same table to <store>/../load-results.md. Nothing is asserted (speed is
never asserted in a test); the machine's other work makes the figures noisy.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load_mix import ENTITY_IRIS, SAVED, SEARCHES  # noqa: E402
from benchmarks.load_store import build_synthetic_store  # noqa: E402

KINDS = ["saved query", "search (suggest)", "search page", "entity page"]


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def in_process(store: Path, repeat: int) -> dict[str, dict]:
    """The same mix without HTTP: saved queries, search and entity pages called directly, one at a time."""
    from msckg.graph.search import live_folder
    from msckg.graph.search.rank import Searcher
    from msckg.graph.serve.backend import Backend
    from msckg.graph.serve.entity import describe_entity
    from msckg.graph.serve.jobs import JOBS
    from msckg.graph.serve.settings import Settings

    backend = Backend(Settings(store=store))
    searcher = Searcher(live_folder(store), embedder=None)
    calls = {
        "saved query": [lambda n=n, p=p: JOBS["saved"](backend, n, p) for n, p in SAVED],
        "search (suggest)": [lambda t=t: searcher.search(t, limit=8) for t in SEARCHES],
        "search page": [lambda t=t: searcher.search(t, limit=50) for t in SEARCHES],
        "entity page": [lambda i=i: describe_entity(backend, i) for i in ENTITY_IRIS],
    }
    out = {}
    for kind, fns in calls.items():
        for fn in fns:  # warm: the first call opens indexes and caches, as the server's first request does
            fn()
        samples = []
        t0 = time.perf_counter()
        for _ in range(repeat):
            for fn in fns:
                s = time.perf_counter()
                fn()
                samples.append((time.perf_counter() - s) * 1000)
        total = time.perf_counter() - t0
        out[kind] = {"n": len(samples), "qps": len(samples) / total, "p50": statistics.median(samples),
                     "p95": pct(samples, 0.95), "p99": pct(samples, 0.99), "errors": 0}
    return out


def over_http(store: Path, users: int, seconds: int, out_dir: Path) -> tuple[dict[str, dict], dict]:
    import httpx

    from tests.serve.server import MsckgServer

    server = MsckgServer(store, deadline=30, workers=2)
    try:
        prefix = out_dir / "locust"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        cmd = [str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
               "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", server.base, "--csv", str(prefix),
               "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]
        subprocess.run(cmd, cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL)
        pool = httpx.get(f"{server.base}/health", timeout=10).json()["pool"]
    finally:
        server.stop()
    stats = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["Name"] if row["Name"] != "Aggregated" else "all"
            stats[name] = {"n": int(row["Request Count"]), "qps": float(row["Requests/s"]), "p50": float(row["50%"]),
                           "p95": float(row["95%"]), "p99": float(row["99%"]), "errors": int(row["Failure Count"])}
    return stats, pool


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=ROOT / "build" / "load-10k", help="store folder (built if absent)")
    ap.add_argument("--trials", type=int, default=10_000, help="synthetic trials when the store is built here")
    ap.add_argument("--users", type=int, default=8, help="concurrent clients")
    ap.add_argument("--seconds", type=int, default=60, help="how long the load runs")
    ap.add_argument("--repeat", type=int, default=5, help="in-process repetitions of the mix (the baseline)")
    args = ap.parse_args()
    store = build_synthetic_store(args.store, args.trials)
    out_dir = store.resolve().parent
    print(f"load test: {store} · {args.users} clients · {args.seconds} s on 127.0.0.1 · baseline in-process, same mix")
    base = in_process(store, args.repeat)
    http, pool = over_http(store, args.users, args.seconds, out_dir)
    lines = ["| request | HTTP q/s | HTTP p50 / p95 / p99 ms | errors | in-process q/s | in-process p50 / p95 / p99 ms |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind in KINDS + ["all"]:
        h, b = http.get(kind), base.get(kind)
        hs = f"{h['qps']:.1f} | {h['p50']:.0f} / {h['p95']:.0f} / {h['p99']:.0f} | {h['errors']}" if h else "– | – | –"
        bs = f"{b['qps']:.1f} | {b['p50']:.1f} / {b['p95']:.1f} / {b['p99']:.1f}" if b else "– | –"
        lines.append(f"| {kind} | {hs} | {bs} |")
    lines.append(f"\nworkers: {pool['workers']}; deadline kills: {pool['killed_at_deadline']}; restarts: {pool['restarted']}; "
                 f"HTTP requests: {http.get('all', {}).get('n', 0)}")
    text = "\n".join(lines)
    print(text)
    (out_dir / "load-results.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
