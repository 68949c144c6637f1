"""Every saved query timed for the pipeline benchmark: in one process, through `msckg ask`, and in rdflib's engine."""

from __future__ import annotations

from pathlib import Path

from benchmarks.pipeline_measure import MSCKG, child, percentiles, timeboxed

IN_PROCESS_CODE = """
import json, statistics, sys, time
from pathlib import Path
from msckg.graph.query.saved import run_saved, saved_queries
from msckg.graph.store.embedded import EmbeddedStore
s = EmbeddedStore(Path(sys.argv[1]))
print("parsed", flush=True)
for name in sys.argv[2:]:
    q, samples = saved_queries()[name], []
    for _ in range(7):
        t = time.perf_counter(); rows = len(run_saved(s, q, {}).rows); samples.append(time.perf_counter() - t)
        if sum(samples) > 20:
            break
    samples.sort()
    print(name, statistics.median(samples), samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))], rows, len(samples), flush=True)
"""


def queries_in_process(store: Path, names: list[str], timeout: float) -> dict:
    """Every saved query on the built store, as `msckg ask` runs it but in one process: p50/p95 of up to 7 runs."""
    out = {}
    for name, fields in timeboxed(IN_PROCESS_CODE, [str(store)], names, timeout).items():
        out[name] = fields if len(fields) != 4 else {"p50": fields[0], "p95": fields[1], "rows": int(fields[2]), "n": int(fields[3])}
    return out


def queries_cli(store: Path, names: list[str], repeat: int, budget: float) -> dict:
    out = {}
    start = [child([MSCKG, "--help"])["wall"] for _ in range(3)]
    out["_startup (msckg --help)"] = percentiles(start)
    for name in names:
        samples = []
        for _ in range(repeat):
            r = child([MSCKG, "--store", str(store), "ask", name, "--format", "json"], timeout=max(budget, 60))
            samples.append(r["wall"])
            if sum(samples) > budget or "timeout" in r:
                break
        out[name] = percentiles(samples)
    return out


RDFLIB_QUERY_CODE = """
import sys, time
from rdflib import Dataset
from msckg.graph.query.saved import saved_queries, bindings_for
from msckg.graph.query.binding import bind_with_values
ds = Dataset(default_union=True); ds.parse(sys.argv[1], format="nquads")
print("parsed", flush=True)
for name in sys.argv[2:]:
    q = saved_queries()[name]
    t = time.perf_counter(); n = len(list(ds.query(bind_with_values(q.text, bindings_for(q, {})))))
    print(name, time.perf_counter() - t, n, flush=True)
"""


def queries_rdflib(nq: Path, names: list[str], timeout: float) -> dict:
    """Each saved query in rdflib's engine (the dataset parsed once per worker), p50 of one run."""
    out = {}
    for name, fields in timeboxed(RDFLIB_QUERY_CODE, [str(nq)], names, timeout).items():
        out[name] = fields if len(fields) != 2 else {"p50": fields[0], "rows": int(fields[1])}
    return out
