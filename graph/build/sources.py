"""Sources other than curated records, dispatched to their loader by file type (ClinicalTrials.gov JSON, RDF files)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rdflib import RDF, Graph, Literal

from msckg.loader import __version__
from msckg.loader.errors import Problem, SourceError
from msckg.loader.records import LoadedRecord
from msckg.loader.schema import GRAPH, MSCKG, PROV

from msckg.graph.safety import UnsafeInput, check_jsonld, check_xml

RDF_FORMATS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".rdf": "xml", ".owl": "xml"}


def load_rdf_file(path: Path, load_time: str | None = None) -> LoadedRecord:
    """An RDF file as one named graph, after refusing anything that could reach the network."""
    data = path.read_bytes()
    fmt = RDF_FORMATS[path.suffix]
    try:
        if fmt == "xml":
            check_xml(data, str(path))
        if fmt == "json-ld":
            try:
                check_jsonld(json.loads(data))
            except json.JSONDecodeError as exc:
                raise SourceError([Problem(str(path), exc.lineno, exc.colno, "", f"malformed JSON: {exc.msg}")]) from None
    except UnsafeInput as exc:
        raise SourceError([Problem(str(path), 0, 0, "", str(exc))]) from None
    giri = GRAPH[f"file/{path.stem}"]
    g = Graph(identifier=giri)
    try:
        g.parse(data=data, format=fmt)
    except Exception as exc:
        raise SourceError([Problem(str(path), 0, 0, "", f"cannot parse as {fmt}: {exc}")]) from None
    g.add((giri, RDF.type, PROV.Entity))
    g.add((giri, MSCKG.recordSha256, Literal(hashlib.sha256(data).hexdigest())))
    g.add((giri, MSCKG.loaderVersion, Literal(f"msckg.graph.build.sources {__version__}")))
    n = len(set(g.subjects()))
    return LoadedRecord(str(path), giri, g, None, n, n, 0)


def expand_sources(paths: list[Path]) -> list[Path]:
    """Source files as given, with each folder replaced by the loadable files in it (sorted, not recursive)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.is_file() and (f.suffix == ".json" or f.suffix in RDF_FORMATS))
        else:
            out.append(p)
    return out


def load_source(p: Path, load_time: str | None = None) -> LoadedRecord:
    """One extra source file with the loader for its format."""
    if p.suffix == ".json":
        from msckg.loader.ctgov import ctgov_to_graph

        return ctgov_to_graph(p, load_time=load_time)
    if p.suffix in RDF_FORMATS:
        return load_rdf_file(p, load_time)
    raise SourceError([Problem(str(p), 0, 0, "", f"no loader for '{p.suffix}' files (known: .json ClinicalTrials.gov API v2, {', '.join(RDF_FORMATS)})")])


def load_extra_sources(paths: list[Path], load_time: str | None = None, progress=None) -> list[LoadedRecord]:
    """Load each extra source file (folders: every loadable file in them); every bad file is reported, in one error."""
    out, problems = [], []
    files = expand_sources(paths)
    for n, p in enumerate(files, 1):
        try:
            out.append(load_source(p, load_time))
        except SourceError as exc:
            problems.extend(exc.problems)
        if progress and (n % 200 == 0 or n == len(files)):
            progress(f"loading sources ({n}/{len(files)} registry and RDF files)")
    if problems:
        raise SourceError(problems)
    return out
