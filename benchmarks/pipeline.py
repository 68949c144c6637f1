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
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402

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


def parse_floor(corpus: Path) -> dict:
    """json.load of every registry record and YAML composing of every curated file: the least any loader does."""
    from ruamel.yaml import YAML

    t, c = time.perf_counter(), time.process_time()
    for f in sorted((corpus / "ctgov").glob("*.json")):
        json.loads(f.read_bytes())
    j = time.perf_counter() - t, time.process_time() - c
    y = YAML(typ="safe", pure=False)
    t, c = time.perf_counter(), time.process_time()
    for f in sorted((corpus / "data").rglob("*.yaml")):
        y.compose(f.read_text(encoding="utf-8"))
    return {"json_wall": j[0], "json_cpu": j[1], "yaml_wall": time.perf_counter() - t, "yaml_cpu": time.process_time() - c}


def build(corpus: Path, store: Path) -> dict:
    shutil.rmtree(store, ignore_errors=True)
    from benchmarks.treepeak import run as tree_run  # the peak of the process tree, the registry workers included

    r = tree_run([MSCKG, "-q", "--store", str(store), "build", "--data", str(corpus / "data"), "--source", str(corpus / "ctgov"),
                  "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    r["peak_rss_mb"] = r["tree_peak_rss_mb"]
    if r.get("rc") != 0:
        raise SystemExit(f"build failed: {r.get('stderr', '')[-2000:]}")
    report = json.loads(r.pop("stdout"))
    r.pop("stderr")
    r.update(triples=report["triples"], graphs=report["graphs"], phases=report.get("phases", []), canonical_hash=report["canonical_hash"])
    load = sum(p["wall"] for p in r["phases"] if p["name"] in ("assemble", "serialise", "load"))
    r["triples_per_s"] = r["triples"] / load if load else None
    gen = (store / "current").resolve()
    r["store_mb"] = {"graph": folder_mb(gen) - folder_mb(gen / "search"), "search": folder_mb(gen / "search")}
    return r


def rdflib_parse(nq: Path, timeout: float) -> dict:
    code = f"from rdflib import Dataset; import time; t=time.perf_counter(); Dataset().parse({str(nq)!r}, format='nquads'); print(time.perf_counter()-t)"
    r = child([sys.executable, "-c", code], timeout=timeout)
    return {"wall": r["wall"], "cpu": r.get("cpu"), "peak_rss_mb": r.get("peak_rss_mb"), "timeout": r.get("timeout")}


VALIDATE_CODE = """
import json, sys, time, pyoxigraph as ox
from pathlib import Path
from msckg.graph.validate.run import shacl_violations, fast_shacl_violations, union_graph
store = ox.Store.read_only(str(Path(sys.argv[1]).resolve()))
mem = ox.Store(); mem.bulk_extend(store.quads_for_pattern(None, None, None, None))
t = time.perf_counter(); fast = fast_shacl_violations(mem); tf = time.perf_counter() - t
union = union_graph(mem)
t = time.perf_counter(); ref = shacl_violations(union); tr = time.perf_counter() - t
key = lambda v: (v.rule, v.severity, v.focus, v.path, v.value, v.message)
print(json.dumps({"fast_s": tf, "pyshacl_s": tr, "fast_n": len(fast), "pyshacl_n": len(ref),
                  "same": sorted(map(key, fast)) == sorted(map(key, ref))}))
"""


def validation(store: Path, timeout: float) -> dict:
    r = child([sys.executable, "-c", VALIDATE_CODE, str(store / "current")], timeout=timeout)
    if "timeout" in r:
        return {"pyshacl_timeout_s": timeout}
    try:
        return json.loads(r["stdout"].strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": r.get("stderr", "")[-500:]}


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


def search_link(store: Path, repeat: int = 3) -> dict:
    """Search and link p50/p95 in-process, beside SPARQL CONTAINS scans over the same labels (the baselines)."""
    import pyoxigraph as ox

    from benchmarks.search import LINK_QUERIES, NAIVE_LINK, NAIVE_SEARCH, SEARCH_QUERIES, vocabulary_store
    from msckg.graph.search import live_folder
    from msckg.graph.search.link import Linker
    from msckg.graph.search.rank import Searcher

    folder = live_folder(store)
    searcher, linker = Searcher(folder, embedder=None), Linker(folder, embedder=None)
    s, l = [], []
    for _ in range(repeat):
        for text in SEARCH_QUERIES:
            t = time.perf_counter()
            searcher.search(text, limit=10)
            s.append(time.perf_counter() - t)
        for text in LINK_QUERIES:
            t = time.perf_counter()
            linker.link_text(text, limit=5)
            l.append(time.perf_counter() - t)
    q = ox.Variable("q")
    graph = ox.Store.read_only(str((store / "current").resolve()))
    bs, bl = [], []
    for text in SEARCH_QUERIES:
        t = time.perf_counter()
        list(graph.query(NAIVE_SEARCH, use_default_graph_as_union=True, substitutions={q: ox.Literal(text)}))
        bs.append(time.perf_counter() - t)
    vocab = vocabulary_store()
    for text in LINK_QUERIES:
        t = time.perf_counter()
        list(vocab.query(NAIVE_LINK, substitutions={q: ox.Literal(text)}))
        bl.append(time.perf_counter() - t)
    return {"search": percentiles(s), "link": percentiles(l), "baseline_search": percentiles(bs), "baseline_link": percentiles(bl)}


INDEX_CODE = """
import json, resource, sys, time, pyoxigraph as ox
from pathlib import Path
from msckg.graph.search.index import write_index
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
disk = ox.Store.read_only(str(Path(sys.argv[1]).resolve()))
mem = ox.Store(); mem.bulk_load(disk.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS); del disk
before = status("VmRSS:")
try:
    open("/proc/self/clear_refs", "w").write("5")  # the kernel restarts the peak (VmHWM) from now
except OSError:
    pass
t, c = time.perf_counter(), time.process_time()
out = write_index(mem, Path(sys.argv[2]), embedder=None, cache_dir=Path(sys.argv[3]))
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                  "extra_rss_mb": status("VmHWM:") - before, **out}))
"""


def incremental(corpus: Path, store: Path) -> dict:
    """Change one curated record (a locator) and rebuild the same store."""
    rec = sorted((corpus / "data" / "records").glob("synthetic-*.yaml"))[0]
    text = rec.read_text(encoding="utf-8")
    rec.write_text(text.replace("Table 2, row", "Table 2 (revised), row", 1), encoding="utf-8")
    try:
        r = child([MSCKG, "-q", "--store", str(store), "build", "--data", str(corpus / "data"), "--source", str(corpus / "ctgov"), "--format", "json"])
    finally:
        rec.write_text(text, encoding="utf-8")
    report = json.loads(r["stdout"]) if r.get("rc") == 0 else {}
    return {"wall": r["wall"], "cpu": r.get("cpu"), "peak_rss_mb": r.get("peak_rss_mb"), "phases": report.get("phases", []), "rc": r.get("rc"),
            "reused_sources": report.get("reused_sources"), "incremental_validation": report.get("incremental_validation")}


def index_build(store: Path, work: Path) -> dict:
    """The search index alone, on the built dataset in memory as the build has it: wall, CPU, memory beyond the store's."""
    out = work / "index-alone"
    shutil.rmtree(out, ignore_errors=True)
    r = child([sys.executable, "-c", INDEX_CODE, str(store / "current"), str(out / "search"), str(store / ".search-cache")])
    shutil.rmtree(out, ignore_errors=True)
    try:
        return json.loads(r["stdout"].strip().splitlines()[-1])
    except (KeyError, ValueError, IndexError):
        return {"error": r.get("stderr", "")[-500:]}


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


def fmt_s(x) -> str:
    if x is None:
        return "-"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.1f} s"


def table(results: list[dict]) -> str:
    lines = []
    for r in results:
        b = r["build"]
        n = r["trials"]
        lines.append(f"== {n} trials: {b['triples']:,} triples in {b['graphs']:,} graphs "
                     f"({r['registry_records']:,} registry records, {r['curated_files']:,} curated files)")
        lines.append(f"{'figure':<46}{'msckg':>12}{'baseline':>14}{'ratio':>9}  baseline is")
        pf = r["parse_floor"]
        floor = pf["json_wall"] + pf["yaml_wall"]

        def row(name, ours, base=None, what=""):
            ratio = f"{base / ours:.1f}x" if ours and base else ""
            lines.append(f"{name:<46}{fmt_s(ours):>12}{fmt_s(base):>14}{ratio:>9}  {what}")

        row("build end to end (wall)", b["wall"], floor, "parsing the inputs alone")
        row("build, CPU seconds", b.get("cpu"))
        lines.append(f"{'build peak memory':<46}{b.get('peak_rss_mb', 0) / 1024:>10.2f} GiB")
        for p in b["phases"]:
            row(f"  phase {p['name']}", p["wall"], None, f"CPU {p['cpu']:.1f} s, peak {p['peak_rss_mb'] / 1024:.2f} GiB")
        bp = r.get("baseline_rdflib_parse", {})
        load = sum(p["wall"] for p in b["phases"] if p["name"] in ("assemble", "serialise", "load"))
        if bp:
            row("load (parse+convert+store)", load, None if bp.get("timeout") else bp["wall"], "rdflib parsing the dataset into a Dataset")
        lines.append(f"{'load rate':<46}{b['triples_per_s'] or 0:>10,.0f}/s")
        v = r.get("validation", {})
        vphase = next((p["wall"] for p in b["phases"] if p["name"] == "validate"), None)
        if v.get("pyshacl_s"):
            row("SHACL validation (shapes only)", v["fast_s"], v["pyshacl_s"], f"pyshacl, whole graph; same violations: {v['same']}")
        elif v:
            row("validation phase", vphase, None, f"pyshacl did not finish in {v.get('pyshacl_timeout_s')} s")
        e = r["export"]
        row("export N-Quads", e["wall"], None, f"{e['mb']:.0f} MB")
        lines.append(f"{'store on disk':<46}{b['store_mb']['graph']:>9.0f} MB  + search index {b['store_mb']['search']:.0f} MB")
        inc = r.get("incremental", {})
        idx = next((p["wall"] for p in inc.get("phases", []) if p["name"] == "index"), None)
        row("rebuild after one record changed", inc.get("wall"), b["wall"], f"full build ({inc.get('reused_sources')} reused)")
        row("  of which the search index (rebuilt in full)", idx)
        ix = r.get("index", {})
        if "wall" in ix:
            row("search index alone (wall)", ix["wall"], b["wall"], "whole build")
            row("search index alone, CPU seconds", ix["cpu"], b.get("cpu"), "whole build")
            lines.append(f"{'search index alone, memory beyond the store':<46}{ix['extra_rss_mb'] / 1024:>10.2f} GiB"
                         f"  ({ix['entities']:,} entities, {ix['postings']:,} postings)")
        sl = r["search_link"]
        row("search p95", sl["search"]["p95"], sl.get("baseline_search", {}).get("p95"),
            f"CONTAINS scan; p50 {fmt_s(sl['search']['p50'])}/{fmt_s(sl.get('baseline_search', {}).get('p50'))}")
        row("link p95", sl["link"]["p95"], sl.get("baseline_link", {}).get("p95"),
            f"CONTAINS scan; p50 {fmt_s(sl['link']['p50'])}/{fmt_s(sl.get('baseline_link', {}).get('p50'))}")
        cli = r["queries_cli"]
        rd = r.get("queries_rdflib", {})
        lines.append(f"{'saved query (rows)':<34}{'p50':>10}{'p95':>10}{'CLI p50':>10}{'rdflib':>12}")
        for name, q in r["queries"].items():
            if "p50" not in q:
                lines.append(f"{name:<34}{'> ' + str(int(q['timeout_s'])) + ' s' if 'timeout_s' in q else q.get('error', '?'):>10}")
                continue
            base = rd.get(name, {})
            rtxt = f"> {base['timeout_s']:.0f} s" if "timeout_s" in base else fmt_s(base.get("p50")) if base else ""
            lines.append(f"{name + ' (' + str(q['rows']) + ')':<34}{fmt_s(q['p50']):>10}{fmt_s(q['p95']):>10}"
                         f"{fmt_s(cli.get(name, {}).get('p50')):>10}{rtxt:>12}")
        lines.append(f"{'(CLI start-up: msckg --help)':<34}{'':>20}{fmt_s(cli['_startup (msckg --help)']['p50']):>10}")
    return "\n".join(lines)


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
