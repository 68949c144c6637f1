"""Registry records in a build: every bad file reported in one run, one file per NCT ID (or the newest with
--prefer newest), the reviewed group-to-arm table, and the fetch manifest's checksums and fetch times."""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path
from typing import Callable

from rdflib import RDF, RDFS, SKOS, Literal, URIRef
from rdflib.plugins.serializers.nt import _quoteLiteral

from msckg.loader.ctgov import CtgovRecord, ctgov_to_graph
from msckg.loader.ctgov_groups import read_group_arms
from msckg.loader.errors import Problem, SourceError
from msckg.loader.fetch.cache import MANIFEST, read_manifest
from msckg.loader.schema import ID, MSCKG
from msckg.loader.sink import NTriplesGraph, ntriples

from msckg.graph.build.parallel import load_all, uses_workers

GROUP_ARMS = "ctgov-group-arms.tsv"  # under the data folder: reviewed results-group -> arm rows
PREFER = ("newest",)


def registry_files(folder: Path) -> list[Path]:
    """The registry records of a folder (a fetch cache): every *.json in it, sorted; SourceError if it is not a folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError([Problem(str(folder), 0, 0, "", "no such folder",
                                   hint="msckg fetch ctgov NCT... --out FOLDER makes one")])
    return sorted(p for p in folder.glob("*.json") if p.name != MANIFEST)


def organisation_labels(graphs) -> dict[URIRef, str]:
    """Organisation -> the label curated sources give it, so registry records add other spellings as altLabels."""
    out: dict[URIRef, str] = {}
    for g in graphs:  # rdflib Graphs or the build's TripleSinks (which have triples(), not subjects())
        for o, _, _ in g.triples((None, RDF.type, MSCKG.Organisation)):
            label = g.value(o, RDFS.label)
            if label is not None:
                out.setdefault(o, str(label))
    return out


def _checked_against_manifest(path: Path, manifests: dict[Path, dict]) -> tuple[str | None, Problem | None]:
    """(fetch time, problem): the file's entry in its folder's manifest, and a problem when its checksum differs."""
    folder = path.parent
    if folder not in manifests:
        manifests[folder] = read_manifest(folder)
    entry = manifests[folder].get(path.name)
    if entry is None:
        return None, None
    with open(path, "rb") as fh:  # in chunks: the file may be far over the size limit read_study_file applies
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    if digest != entry.sha256:
        return None, Problem(str(path), 0, 0, "", f"the file changed after it was fetched (its SHA-256 differs from {folder / MANIFEST})",
                             hint=f"msckg fetch ctgov {entry.nct_id} --out {folder} downloads it again")
    return entry.fetched_at, None


def _duplicates(records: list[CtgovRecord], prefer: str | None) -> tuple[list[CtgovRecord], list[Problem]]:
    by_nct: dict[str, list[CtgovRecord]] = {}
    for r in records:
        by_nct.setdefault(r.nct, []).append(r)
    kept, problems = [], []
    for nct, recs in by_nct.items():
        if len(recs) == 1:
            kept.append(recs[0])
            continue
        files = " and ".join(r.path for r in recs)
        field = "protocolSection.identificationModule.nctId"
        if prefer != "newest":
            problems.append(Problem(recs[-1].path, 0, 0, field, f"{nct} is in {len(recs)} files: {files}",
                                    hint="keep one file, or build with --prefer newest (the later lastUpdatePostDate wins)"))
            continue
        dated = sorted(recs, key=lambda r: r.last_update or "", reverse=True)
        if not dated[0].last_update or (len(dated) > 1 and dated[0].last_update == dated[1].last_update):
            problems.append(Problem(dated[0].path, 0, 0, "protocolSection.statusModule.lastUpdatePostDateStruct.date",
                                    f"{nct} is in {len(recs)} files ({files}) and --prefer newest cannot choose: "
                                    f"the newest lastUpdatePostDate ({dated[0].last_update or 'none'}) is not unique",
                                    hint="remove the file you do not want"))
            continue
        winner = dated[0]
        winner.superseded = [(r.path, r.last_update) for r in dated[1:]]
        kept.append(winner)
    return kept, problems


def _load_one(job: tuple[str, str | None], load_time: str | None, group_arms: dict, org_labels: dict) -> CtgovRecord:
    path, fetched_at = job
    return ctgov_to_graph(Path(path), load_time=load_time, group_arms=group_arms, retrieved_at=fetched_at, org_labels=org_labels)


_ORG = "<" + str(ID["org/"])
_NAMES = (f"<{RDFS.label}>", f"<{SKOS.altLabel}>")


def reconcile_org_labels(records: list[CtgovRecord], seed: dict) -> None:
    """After loading in parallel: the first source (curated, then registry files in order) to name an
    organisation gives its rdfs:label, every other spelling is a skos:altLabel, exactly as one process
    loading the files in order writes them (each worker only knew its own chunk)."""
    first = {f"<{iri}>": _quoteLiteral(Literal(label)) for iri, label in seed.items()}
    for rec in records:
        g = rec.graph
        if not isinstance(g, NTriplesGraph):
            continue
        lines, seen, changed = [], set(), False
        for line in g.lines:
            if line.startswith(_ORG):
                s, p, rest = line.split(" ", 2)
                if p in _NAMES:
                    obj = rest[:-2]  # the literal, without " ."
                    want = _NAMES[0] if first.setdefault(s, obj) == obj else _NAMES[1]
                    if want != p:
                        line, changed = f"{s} {want} {obj} .", True
            if line not in seen:
                seen.add(line)
                lines.append(line)
        if changed:
            g.lines = lines


def load_registry_records(paths: list[Path], load_time: str | None = None, data: Path | None = None,
                          prefer: str | None = None, org_labels: dict | None = None, progress=None,
                          reuse: Callable[[Path, str | None, dict], CtgovRecord | None] | None = None,
                          meanwhile: Callable[[], None] | None = None) -> list[CtgovRecord]:
    """Load every registry file (in worker processes at scale); raise one SourceError listing every bad
    file (and every duplicate NCT ID). `reuse(path, fetch time, group-to-arm table)` (an incremental
    build) gives an unchanged file's record from an earlier build (N-Triples lines), or None.
    `meanwhile()` runs in this process while the workers load (the build's curated records); it may add
    to `org_labels` the labels that earlier sources give, which the records' organisations then follow."""
    problems: list[Problem] = []
    group_arms = {}
    if data is not None:
        try:
            group_arms = read_group_arms(Path(data) / GROUP_ARMS)
        except SourceError as exc:
            problems.extend(exc.problems)
    manifests: dict[Path, dict] = {}
    labels = org_labels if org_labels is not None else {}
    seed: dict = {}

    def own_work() -> None:  # then the labels earlier sources gave, before any registry record adds its own
        if meanwhile:
            meanwhile()
        seed.update(labels)
    jobs, order, reused = [], [], {}
    for p in paths:
        fetched_at, changed = _checked_against_manifest(Path(p), manifests)
        if changed:
            problems.append(changed)
            continue
        old = reuse(Path(p), fetched_at, group_arms) if reuse else None
        if old is not None:
            reused[str(p)] = old
        else:
            jobs.append((str(p), fetched_at))
        order.append(str(p))
    # workers get labels of their own (reconcile_org_labels below gives the first source's label whatever they
    # chose); only a load in this process reads `labels` itself, which meanwhile() may still be filling while
    # the workers' jobs are pickled
    load_one = partial(_load_one, load_time=load_time, group_arms=group_arms,
                       org_labels={} if uses_workers(len(jobs)) else labels)
    records, load_problems, parallel = load_all(load_one, jobs, progress, meanwhile=own_work)
    problems.extend(load_problems)
    if reuse:  # reused records were written next to other files: relabel all of them in file order
        by_path = {**{r.path: r for r in records}, **reused}
        records = [by_path[p] for p in order if p in by_path]
        for r in records:
            if not isinstance(r.graph, NTriplesGraph):
                r.graph = NTriplesGraph(r.graph.identifier, ntriples(r.graph), r.graph.has_blank_nodes())
        parallel = True
    if parallel:
        reconcile_org_labels(records, seed)
    kept, dup_problems = _duplicates(records, prefer)
    problems.extend(dup_problems)
    if problems:
        raise SourceError(problems)
    return kept
