"""Sources other than curated records, dispatched to their loader by file type (ClinicalTrials.gov JSON, RDF files)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from pathlib import Path
from xml.parsers.expat import ErrorString, ExpatError

import pyoxigraph as ox
from rdflib import OWL, RDF, Graph, Literal

from msckg.loader import __version__
from msckg.loader.errors import Problem, SourceError
from msckg.loader.jsonnodes import parse_json
from msckg.loader.records import LoadedRecord
from msckg.loader.schema import GRAPH, MSCKG, PROV
from msckg.loader.yamlnodes import read_bounded

from msckg.graph.safety import UnsafeInput, check_jsonld, check_xml
from msckg.graph.store.terms import to_rdflib

RDF_FORMATS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".rdf": "xml", ".owl": "xml"}
_STRICT = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "xml": ox.RdfFormat.RDF_XML}
MAX_RDF_BYTES = 64 * 1024 * 1024  # one source document; the rdflib graph of a larger one outgrows memory


def _problem(path: Path, message: str, line: int = 0, column: int = 0, fld: str = "") -> SourceError:
    return SourceError([Problem(str(path), line, column, fld, message)])


@contextlib.contextmanager
def _ill_typed_not_logged():
    """rdflib logs a traceback for every ill-typed literal it makes; msckg reports them as problems instead."""
    log = logging.getLogger("rdflib.term")
    quiet = lambda record: False  # noqa: E731  (drops every record while the source is read)
    log.addFilter(quiet)
    try:
        yield
    finally:
        log.removeFilter(quiet)


_XSD = "http://www.w3.org/2001/XMLSchema#"
_LEXICAL = {_XSD + "decimal": re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")}  # rdflib reads 1.0e6 as a decimal


def _check_lexical(path: Path, q) -> None:
    """Refuse a literal whose text is not in its datatype's lexical space where rdflib would quietly convert it."""
    o = q.object
    if isinstance(o, ox.Literal) and o.datatype.value in _LEXICAL and not _LEXICAL[o.datatype.value].fullmatch(o.value):
        raise _problem(path, f"ill-typed literal \"{o.value}\"^^<{o.datatype.value}> (subject {q.subject}): not a decimal as printed (no exponent)")


def _strict_graph(path: Path, data: bytes, fmt: str, giri) -> Graph:
    """Turtle, N-Triples or RDF/XML parsed by Oxigraph's strict parser (line and column in errors)."""
    g = Graph(identifier=giri)
    try:
        for q in ox.parse(data, format=_STRICT[fmt]):
            if isinstance(q.object, ox.Triple) or isinstance(q.subject, ox.Triple):
                raise _problem(path, f"RDF 1.2 triple terms (<<( ... )>>) are not supported: <{q.subject}> <{q.predicate.value}> ...")
            _check_lexical(path, q)
            g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    except SyntaxError as exc:
        msg = exc.msg if hasattr(exc, "msg") else str(exc)
        raise _problem(path, f"{fmt} syntax error: {msg}", getattr(exc, "lineno", 0) or 0, getattr(exc, "offset", 0) or 0) from None
    return g


def _jsonld_graph(path: Path, data: bytes, giri) -> Graph:
    """JSON-LD read by rdflib from the already parsed and checked document (so it cannot fetch)."""
    doc = parse_json(data, str(path))
    try:
        check_jsonld(doc)
    except UnsafeInput as exc:
        raise _problem(path, str(exc)) from None
    try:  # Oxigraph's JSON-LD parser as a strict gate: clear messages, and it has no way to fetch a context
        for q in ox.parse(data, format=ox.RdfFormat.JSON_LD):
            _check_lexical(path, q)
    except SyntaxError as exc:
        raise _problem(path, f"invalid JSON-LD: {exc.msg if hasattr(exc, 'msg') else exc}", getattr(exc, "lineno", 0) or 0, getattr(exc, "offset", 0) or 0) from None
    g = Graph(identifier=giri)
    try:  # rdflib takes a dict as the parsed document; a top-level list is the same as {"@graph": [...]}
        g.parse(data=doc if isinstance(doc, dict) else {"@graph": doc}, format="json-ld")
    except Exception as exc:  # rdflib's JSON-LD errors carry no position
        raise _problem(path, f"cannot read as JSON-LD: {type(exc).__name__}: {exc}") from None
    return g


def load_rdf_file(path: Path, load_time: str | None = None) -> LoadedRecord:
    """An RDF file as one named graph, parsed strictly, after refusing anything that could reach the network."""
    data = read_bounded(path, str(path), MAX_RDF_BYTES, "RDF file")
    fmt = RDF_FORMATS[path.suffix]
    giri = GRAPH[f"file/{path.stem}"]
    if fmt == "xml":
        try:
            check_xml(data, str(path))
        except UnsafeInput as exc:
            raise _problem(path, str(exc), exc.line, exc.column) from None
        except ExpatError as exc:
            raise _problem(path, f"malformed XML: {ErrorString(exc.code)}", exc.lineno, exc.offset + 1) from None
    with _ill_typed_not_logged():
        g = _jsonld_graph(path, data, giri) if fmt == "json-ld" else _strict_graph(path, data, fmt, giri)
    for s, p, o in g:
        if isinstance(o, Literal) and o.ill_typed:
            raise _problem(path, f"ill-typed literal {o.n3()} (subject <{s}>, property <{p}>): its text is not a value of its datatype")
    for _, _, target in g.triples((None, OWL.imports, None)):
        raise _problem(path, f"owl:imports <{target}> is refused: msckg never fetches ontologies", fld="owl:imports")
    n = len(set(g.subjects()))
    g.add((giri, RDF.type, PROV.Entity))
    g.add((giri, MSCKG.recordSha256, Literal(hashlib.sha256(data).hexdigest())))
    g.add((giri, MSCKG.loaderVersion, Literal(f"msckg.graph.build.sources {__version__}")))
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


def load_extra_sources(paths: list[Path], load_time: str | None = None, data: Path | None = None,
                       prefer: str | None = None, org_labels: dict | None = None, progress=None, reuse=None,
                       meanwhile=None) -> list[LoadedRecord]:
    """Load each extra source file (folders: every loadable file in them) with the loader for its format;
    one SourceError names every bad file. Registry records go through graph.build.registry (duplicate
    NCT IDs, the fetch manifest, the reviewed group-to-arm table; worker processes at scale; `reuse`:
    an incremental build's cached records; `meanwhile`: this process's work while the workers load,
    see load_registry_records)."""
    from msckg.graph.build.registry import load_registry_records

    out, problems = [], []
    files = expand_sources(paths)
    registry = [p for p in files if p.suffix == ".json"]
    for p in files:
        if p.suffix in RDF_FORMATS:
            try:
                out.append(load_rdf_file(p, load_time))
            except SourceError as exc:
                problems.extend(exc.problems)
        elif p.suffix != ".json":
            problems.extend(_problem(p, f"no loader for '{p.suffix}' files (known: .json ClinicalTrials.gov API v2, {', '.join(RDF_FORMATS)})").problems)
    try:
        out.extend(load_registry_records(registry, load_time, data, prefer, org_labels, progress, reuse, meanwhile))
    except SourceError as exc:
        problems.extend(exc.problems)
    if problems:
        raise SourceError(problems)
    return out
