"""The real pipeline at N trials: `msckg build` end to end, every saved query, search, link, export.

    python -m benchmarks.pipeline 1000 10000          # what `make bench` runs (BENCH_SIZES)
    python -m benchmarks.pipeline 100000 --no-baselines --out .bench/results-100k.json

For each size, benchmarks/generate.py writes N invented trials (curated YAML and ClinicalTrials.gov
API v2 JSON) under .bench/<N>/, then this script measures, each figure beside a baseline taken
in the same run:

- the build through the CLI (a child process: wall, CPU, peak memory) and its phases, against the
  floor of merely parsing the inputs (json.load, YAML composing) and rdflib parsing the built
  dataset into a Dataset;
- validation against pyshacl on the whole graph with the same shapes (time-boxed, default 600 s),
  checking that both give exactly the same violations;
- every saved query, p50/p95 in-process on the built store and through the CLI (`msckg ask`),
  and in rdflib's engine at the smallest size (time-boxed per query);
- the search index alone (wall, CPU, memory beyond the store's) against the whole build; search and
  link p50/p95 against SPARQL CONTAINS scans over the same labels; export to N-Quads, store size on disk;
- an incremental rebuild after changing one record.

All figures go to a JSON file (default .bench/results.json) so two runs can be compared. The
machine is shared by other work while this runs: read wall times with that in mind; CPU times
and memory peaks are steadier. Nothing here is asserted.

This module runs the sizes and writes the JSON; the stages are measured in pipeline_stages.py,
the saved queries in pipeline_queries.py, with the child-process timing of pipeline_measure.py;
pipeline_table.py prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402
from benchmarks.pipeline_measure import MSCKG, child  # noqa: E402
from benchmarks.pipeline_queries import queries_cli, queries_in_process, queries_rdflib  # noqa: E402
from benchmarks.pipeline_stages import build, incremental, index_build, parse_floor, rdflib_parse, search_link, validation  # noqa: E402
from benchmarks.pipeline_table import table  # noqa: E402


def run_size(n: int, work: Path, baselines: bool, timeout: float) -> dict:
    corpus = work / str(n)
    if not (corpus / "manifest.json").exists():
        shutil.rmtree(corpus, ignore_errors=True)
        print(f"[{n}] generating the corpus in {corpus}", flush=True)
        generate(n, corpus)
    manifest = json.loads((corpus / "manifest.json").read_text())
    store = corpus / "store"
    res: dict = {"trials": n, "registry_records": len(manifest["registry_records"]), "curated_files": len(manifest["curated_files"]),
                 "injected_violations": len(manifest["injected"])}
    print(f"[{n}] parse floor", flush=True)
    res["parse_floor"] = parse_floor(corpus)
    print(f"[{n}] msckg build", flush=True)
    res["build"] = build(corpus, store)
    nq = corpus / "dataset.nq"
    r = child([MSCKG, "-q", "--store", str(store), "export", "--format", "nq", "-o", str(nq)])
    res["export"] = {"wall": r["wall"], "cpu": r.get("cpu"), "mb": nq.stat().st_size / 1e6}
    print(f"[{n}] saved queries", flush=True)
    from msckg.graph.query.saved import saved_queries

    res["queries"] = queries_in_process(store, sorted(saved_queries()), timeout=300)
    fast = sorted(k for k, q in res["queries"].items() if q.get("p50", 1e9) < 20)  # the CLI adds start-up, not engine time
    res["queries_cli"] = queries_cli(store, fast, repeat=3, budget=60)
    print(f"[{n}] search and link", flush=True)
    res["search_link"] = search_link(store)
    print(f"[{n}] search index alone", flush=True)
    res["index"] = index_build(store, corpus)
    print(f"[{n}] incremental rebuild", flush=True)
    res["incremental"] = incremental(corpus, store)
    if baselines:
        print(f"[{n}] baselines: rdflib parse, pyshacl", flush=True)
        res["baseline_rdflib_parse"] = rdflib_parse(nq, timeout)
        res["validation"] = validation(store, timeout)
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[int(x) for x in os.environ.get("BENCH_SIZES", "1000 10000").split()])
    ap.add_argument("--work", type=Path, default=ROOT / ".bench", help="where corpora and stores go (default .bench/)")
    ap.add_argument("--out", type=Path, default=None, help="JSON file of all figures (default <work>/results.json)")
    ap.add_argument("--no-baselines", action="store_true", help="skip rdflib and pyshacl (for 100k)")
    ap.add_argument("--timeout", type=float, default=600, help="time box of each baseline, seconds")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for i, n in enumerate(sorted(args.sizes)):
        r = run_size(n, args.work, not args.no_baselines, args.timeout)
        if i == 0 and not args.no_baselines:  # rdflib's engine only at the smallest size: it is hopeless beyond
            print(f"[{n}] baseline: every saved query in rdflib", flush=True)
            r["queries_rdflib"] = queries_rdflib(args.work / str(n) / "dataset.nq", sorted(r["queries"]), timeout=min(120, args.timeout))
        results.append(r)
    doc = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                       "load_average_at_end": os.getloadavg()}, "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "results": results}
    out = args.out or args.work / "results.json"
    out.write_text(json.dumps(doc, indent=1))
    print(table(results))
    print(f"\nall figures: {out}  (machine load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()
