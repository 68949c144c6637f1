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


def load_extra_sources(paths: list[Path], load_time: str | None = None, data: Path | None = None,
                       prefer: str | None = None, org_labels: dict | None = None) -> list[LoadedRecord]:
    """Load each extra source file with the loader for its format; one SourceError names every bad file."""
    from msckg.graph.build.registry import load_registry_records

    out, problems = [], []
    registry = [p for p in paths if p.suffix == ".json"]
    for p in paths:
        if p.suffix in RDF_FORMATS:
            try:
                out.append(load_rdf_file(p, load_time))
            except SourceError as exc:
                problems.extend(exc.problems)
        elif p.suffix != ".json":
            problems.append(Problem(str(p), 0, 0, "", f"no loader for '{p.suffix}' files (known: .json ClinicalTrials.gov API v2, {', '.join(RDF_FORMATS)})"))
    try:
        out.extend(load_registry_records(registry, load_time, data, prefer, org_labels))
    except SourceError as exc:
        problems.extend(exc.problems)
    if problems:
        raise SourceError(problems)
    return out
