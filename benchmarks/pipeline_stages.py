"""The pipeline benchmark's stages, each beside its baseline: parsing the inputs, the build, validation, search, the index, a rebuild."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.pipeline_measure import MSCKG, child, folder_mb, percentiles


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
