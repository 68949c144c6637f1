"""Incremental builds: a cache in the store folder of every source's loaded graph, and validation of what changed.

The cache (`<store>/.build-cache/`, docs/incremental.md, docs/decisions/0061) holds:

- `graphs/<sha256>.nt`: the N-Triples lines of every graph of the last good build, by canonical hash;
- `entries/<key>.json`: for each source file, what its loader reported and the hash of its graph; the key
  is the SHA-256 of the loader code, ontology, shapes and QC checks (`fingerprint`), the file's shown
  path and bytes, and for registry records the fetch time and the reviewed group-to-arm table;
- `last.json`: the last good build's graph hashes and its validation results by check.

A source whose key has an entry is not parsed again; a curated record is kept only while every key
it references still has the classes it had. Validation checks again only what a change can reach
(graph/validate/scope.py). Anything the cache cannot vouch for is rebuilt in full.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from msckg.loader import __version__
from msckg.loader.ctgov import CtgovRecord
from msckg.loader.records import LoadedRecord
from msckg.loader.sink import NTriplesGraph

from msckg.graph.build.dataset import ONTOLOGY_GRAPH
from msckg.graph.paths import QC, ROOT, SHAPES
from msckg.graph.query.files import read_query_dir
from msckg.graph.validate.run import Report, Violation, fast_shacl_violations, report_of, run_qc_query
from msckg.graph.validate.scope import Delta, boundable, by_values, neighbourhood, ontology_terms, shacl_focus

CACHE = ".build-cache"
_CODE = ("loader", "graph/build", "graph/validate", "graph/store")
_LIBRARIES = ("rdflib", "pyoxigraph")  # they parse and write every cached graph
_REGISTRY_FIELDS = ("nct", "last_update", "ledger", "unread", "dropped", "rejected_items", "unmatched_groups",
                    "unclassed_terms", "arm_groups", "own_arms")


class CachedGraph(NTriplesGraph):
    """A graph read back from the cache: its lines and its canonical hash (forgotten when the lines change)."""

    __slots__ = ("sha256", "_lines")

    def __init__(self, identifier: URIRef, lines: list[str], blank: bool, sha256: str):
        super().__init__(identifier, lines, blank)
        self.sha256 = sha256

    @property
    def lines(self) -> list[str]:
        return self._lines

    @lines.setter
    def lines(self, value: list[str]) -> None:
        self._lines = value
        self.sha256 = None


def fingerprint(ontology: Path) -> str:
    """SHA-256 of what every cached result depends on besides its own file: loader and check code,
    ontology, shapes and QC queries, and the versions of the libraries that parse and write the graphs."""
    from importlib.metadata import version

    h = hashlib.sha256(__version__.encode())
    for lib in _LIBRARIES:
        h.update(f"{lib} {version(lib)}\n".encode())
    files = [f for d in _CODE for f in (ROOT / d).rglob("*.py")] + [f for d in (Path(ontology), SHAPES, QC) for f in Path(d).rglob("*")]
    for f in sorted(set(f for f in files if f.is_file())):
        h.update(f"{f}\n".encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def has_blank_nodes(lines: list[str]) -> bool:
    """Whether any of these N-Triples/N-Quads lines names a blank node."""
    return any(line.startswith("_:") or " _:" in line for line in lines)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class BuildCache:
    """The cache of one store folder for one build: reuse (when `reuse`) and remember what this build loads."""

    def __init__(self, store_folder: Path, ontology: Path, reuse: bool = True):
        self.root = Path(store_folder) / CACHE
        self.fp = fingerprint(ontology)
        self.reuse = reuse
        (self.root / "graphs").mkdir(parents=True, exist_ok=True)
        (self.root / "entries").mkdir(parents=True, exist_ok=True)
        self.last = self._read_last() if reuse else None
        self.keys: dict[str, str] = {}  # a source's shown path -> its entry key
        self.labels: dict[str, dict] = {}  # a curated record's shown path -> organisation labels it gives
        self.new_lines: dict[str, list[str]] = {}  # graphs that differ from the last build: IRI -> lines
        self.reused = 0
        self._memo: dict[str, LoadedRecord | None] = {}

    def _read_last(self) -> dict | None:
        try:
            last = json.loads((self.root / "last.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return last if last.get("fingerprint") == self.fp else None

    def _key(self, *parts) -> str:
        h = hashlib.sha256(self.fp.encode())
        for p in parts:
            h.update(b"\0" + (p if isinstance(p, bytes) else str(p).encode()))
        return h.hexdigest()

    def _graph(self, iri: str, sha: str) -> CachedGraph | None:
        try:
            lines = (self.root / "graphs" / f"{sha}.nt").read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        return CachedGraph(URIRef(iri), lines, has_blank_nodes(lines), sha)

    def _entry(self, shown: str, key: str) -> dict | None:
        self.keys[shown] = key
        if not self.reuse:
            return None
        try:
            return json.loads((self.root / "entries" / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def record(self, path: Path, shown: str) -> LoadedRecord | None:
        """A curated record file's record from an earlier build, when the file is unchanged (the `reuse` hook)."""
        if shown in self._memo:
            return self._memo[shown]
        e = self._entry(shown, self._key("record", shown, path.read_bytes()))
        g = self._graph(e["graph_iri"], e["graph"]) if e else None
        rec = None
        if g is not None:
            rec = LoadedRecord(shown, g.identifier, g, URIRef(e["document"]) if e["document"] else None, e["records_in"],
                               e["entities_out"], e["rejected"],
                               keys=[(k, line, frozenset(map(URIRef, t)), kl, kc) for k, line, t, kl, kc in e["keys"]],
                               refs=e["refs"])
            self.labels[shown] = {URIRef(i): lab for i, lab in e["labels"]}
            self.reused += 1
        self._memo[shown] = rec
        return rec

    def registry(self, path: Path, fetched_at: str | None, group_arms: dict) -> CtgovRecord | None:
        """A registry file's record from an earlier build, when file, fetch time and group table are unchanged."""
        shown = str(path)
        arms = json.dumps(sorted(map(str, group_arms.items())))
        e = self._entry(shown, self._key("registry", shown, fetched_at, arms, path.read_bytes()))
        g = self._graph(e["graph_iri"], e["graph"]) if e else None
        if g is None:
            return None
        f = e["fields"]
        self.reused += 1
        return CtgovRecord(shown, g.identifier, g, URIRef(e["document"]) if e["document"] else None, e["records_in"],
                           e["entities_out"], e["rejected"], nct=f["nct"], last_update=f["last_update"], ledger=f["ledger"],
                           unread=Counter(f["unread"]), **{k: [tuple(x) for x in f[k]] for k in
                                                           ("dropped", "rejected_items", "unmatched_groups", "unclassed_terms")},
                           arm_groups=f["arm_groups"], own_arms=f["own_arms"])

    def organisation_labels(self, rec: LoadedRecord) -> dict:
        """The organisation labels a curated record gives (kept with its entry)."""
        from msckg.graph.build.registry import organisation_labels

        if rec.path not in self.labels:
            self.labels[rec.path] = organisation_labels([rec.graph])
        return self.labels[rec.path]

    def each(self, iri: str, lines: list[str], sha: str) -> None:
        """Serialisation hook: keep every graph's lines by hash, and note the graphs that changed."""
        f = self.root / "graphs" / f"{sha}.nt"
        if not f.exists():
            _write_atomic(f, "\n".join(lines) + "\n")
        if self.last is not None and self.last["graphs"].get(iri) != sha:  # only an incremental build reads them (delta)
            self.new_lines[iri] = lines

    def save(self, reports: list[LoadedRecord], graph_hashes: dict[str, tuple[str, int]], report: Report,
             generation: str | None = None) -> None:
        """After the swap: an entry per source, the build's hashes and results and the `generation` (folder name)
        that holds them, for the next build to start from (graph/build/delta.py); drop what is no longer used."""
        entries = set()
        for rec in reports:
            key, sha = self.keys.get(rec.path), graph_hashes.get(str(rec.graph_iri), (None,))[0]
            if key is None or sha is None or rec.problems:
                continue
            entries.add(key)
            f = self.root / "entries" / f"{key}.json"
            if f.exists():
                continue
            e = {"graph_iri": str(rec.graph_iri), "graph": sha, "document": str(rec.document) if rec.document else None,
                 "records_in": rec.records_in, "entities_out": rec.entities_out, "rejected": rec.rejected}
            if isinstance(rec, CtgovRecord):
                e["fields"] = {k: getattr(rec, k) for k in _REGISTRY_FIELDS}
            else:
                e.update(keys=[(k, line, sorted(map(str, t)), kl, kc) for k, line, t, kl, kc in rec.keys], refs=rec.refs,
                         labels=[(str(i), lab) for i, lab in self.labels.get(rec.path, {}).items()])
            _write_atomic(f, json.dumps(e, ensure_ascii=False))
        last = {"fingerprint": self.fp, "generation": generation, "graphs": {iri: sha for iri, (sha, _) in graph_hashes.items()},
                "shacl": [asdict(v) for v in report.shacl], "qc": {k: [asdict(v) for v in rows] for k, rows in report.qc.items()}}
        _write_atomic(self.root / "last.json", json.dumps(last, ensure_ascii=False))
        keep = set(last["graphs"].values())
        for folder, suffix, used in (("graphs", ".nt", keep), ("entries", ".json", entries)):
            for f in (self.root / folder).iterdir():  # also the temporary files of an interrupted build
                if f.suffix != suffix or f.stem not in used:
                    f.unlink(missing_ok=True)

    def ontology_hash(self) -> str | None:
        """The ontology graph's canonical hash in the last build: the same now, since the fingerprint covers the
        ontology files and the code and libraries that parse them (so a build need not canonicalise it again)."""
        return self.last["graphs"].get(str(ONTOLOGY_GRAPH)) if self.reuse and self.last else None

    def discard(self) -> None:
        """Forget the cache (a build that could not use it)."""
        shutil.rmtree(self.root, ignore_errors=True)

    def delta(self, current: set[str]) -> Delta:
        """The triples added and removed between the last build and this one (graphs `current`), graph by graph."""
        d, old_graphs = Delta(), self.last["graphs"]
        for iri in sorted(set(self.new_lines) | (set(old_graphs) - current)):
            old = _parse((self.root / "graphs" / f"{old_graphs[iri]}.nt").read_text(encoding="utf-8")) if iri in old_graphs else set()
            d.add_graph_change(old, _parse("\n".join(self.new_lines.get(iri, []))))
        return d


def _parse(text: str) -> set:
    return {(t.subject, t.predicate, t.object) for t in ox.parse(text.encode(), format=ox.RdfFormat.N_TRIPLES)}


def _violations(rows: list[dict]) -> list[Violation]:
    return [Violation(**r) for r in rows]


def revalidate(store: ox.Store, cache: BuildCache, graphs: set[str], triples: int | None = None) -> Report | None:
    """The build's validation report from the last one plus the checks a change can reach, or None
    when the change cannot be bounded (then the caller validates everything). `triples`: the store's size
    (counted when not given), which decides how the reached nodes are checked (scope.by_values)."""
    if cache.last is None or "shacl" not in cache.last:
        return None
    try:
        delta = cache.delta(graphs)
    except (OSError, SyntaxError):  # a graph of the last build is missing from the cache
        return None
    hubs = ontology_terms(store, str(ONTOLOGY_GRAPH))
    if not boundable(delta, hubs):
        return None
    focus = shacl_focus(store, delta)
    size = len(store) if triples is None else triples
    try:
        fresh = fast_shacl_violations(store, focus_nodes=sorted(focus), values=by_values(len(focus), size))
    except ValueError:  # shapes only pyshacl runs: no focus-node restriction
        return None
    shacl = [v for v in _violations(cache.last["shacl"]) if v.focus not in focus] + fresh
    qc, reach = {}, {}
    for q in read_query_dir(QC, "*-violation.rq"):
        radius = q.header.get("radius")
        if radius is None or q.name not in cache.last["qc"]:
            qc[q.name] = run_qc_query(store, q)
            continue
        r = int(radius)
        if r not in reach:
            reach[r] = neighbourhood(store, delta, r, hubs)
        nodes = reach[r]
        kept = [v for v in _violations(cache.last["qc"][q.name]) if v.focus not in nodes]
        qc[q.name] = kept + (run_qc_query(store, q, nodes, by_values(len(nodes), size)) if nodes else [])
    return report_of(store, shacl, qc)
