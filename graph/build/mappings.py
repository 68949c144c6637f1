"""Reviewed mapping sets (SSSOM TSV) -> mapping triples for the next build.

`msckg link --output FILE.sssom.tsv` writes candidate mappings, every row unreviewed. A curator
reviews the file and puts it in `ontology/mappings/`; the build loads it with
`mapping_graph(ontology / "mappings")` into the named graph https://w3id.org/msckg/graph/mappings.

A row becomes the triple `subject_id predicate_id object_id` when all of these hold:

- `predicate_id` is skos:exactMatch or skos:closeMatch (other predicates are not loaded);
- the row carries a reviewer: `reviewer_id` is not empty (an ORCID CURIE such as
  orcid:0000-0002-1825-0097, or a name), or, in a file without a reviewer_id column, a
  `curation_rule` value is given (the rule under which the curator accepted it);
- `predicate_modifier` is not `Not` (a reviewed rejection: kept in the file as a record, never loaded).

Unreviewed rows are ignored, so a file can be committed half-reviewed. IDs are CURIEs expanded
with the file's `curie_map` and the project's prefixes (ontology/prefixes.ttl), or full IRIs. A
reviewed row that cannot be read (unknown prefix, missing subject) stops the build with the file,
line, column and field, like any other bad source.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from curies import Converter
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import SKOS

from msckg.loader.errors import Problem, SourceError

from msckg.graph.paths import ROOT

MAPPINGS_GRAPH = URIRef("https://w3id.org/msckg/graph/mappings")
MAPPINGS_FOLDER = "mappings"  # under ontology/: reviewed SSSOM tables loaded by every build
ACCEPTED_PREDICATES = {"skos:exactMatch": SKOS.exactMatch, "skos:closeMatch": SKOS.closeMatch,
                       str(SKOS.exactMatch): SKOS.exactMatch, str(SKOS.closeMatch): SKOS.closeMatch}
REQUIRED = ("subject_id", "predicate_id", "object_id")
SEMAPV = Namespace("https://w3id.org/semapv/vocab/")


def _read_header(lines: list[str], shown: str) -> tuple[dict[str, str], int]:
    """The curie_map of the '#'-commented YAML metadata block and the number of its lines."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    n = 0
    while n < len(lines) and lines[n].startswith("#"):
        n += 1
    if not n:
        return {}, 0
    try:
        meta = YAML(typ="safe", pure=True).load("".join(line[1:] for line in lines[:n])) or {}
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 2) if mark else (1, 1)
        raise SourceError([Problem(shown, line, col, "", f"the '#' metadata block is not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    curie_map = meta.get("curie_map") if isinstance(meta, dict) else None
    if curie_map is not None and not isinstance(curie_map, dict):
        raise SourceError([Problem(shown, 1, 1, "curie_map", "curie_map must be a mapping of prefix: namespace")])
    return {str(k): str(v) for k, v in (curie_map or {}).items()}, n


def _expand(value: str, converter: Converter) -> str | None:
    """A full IRI as is, a CURIE with a known prefix expanded; None for anything else."""
    value = value.strip()
    if any(c in value for c in " <>\"{}|\\^`"):
        return None
    if value.startswith(("http://", "https://")):
        return value
    return converter.expand(value) if ":" in value else None


def read_mapping_file(path: Path, project_prefixes: dict[str, str] | None = None) -> list[tuple[URIRef, URIRef, URIRef]]:
    """The accepted (subject, predicate, object) triples of one reviewed SSSOM TSV file."""
    path = Path(path)
    try:
        shown = str(path.resolve().relative_to(ROOT))
    except ValueError:
        shown = str(path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    curie_map, header_lines = _read_header(lines, shown)
    prefixes = dict(project_prefixes or {})
    prefixes.update(curie_map)
    converter = Converter.from_prefix_map(prefixes)
    body = "".join(lines[header_lines:])
    if not body.strip():
        return []
    reader = csv.reader(io.StringIO(body), delimiter="\t")
    problems: list[Problem] = []
    try:
        columns = next(reader)
    except StopIteration:
        return []
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise SourceError([Problem(shown, header_lines + 1, 1, ", ".join(missing), "an SSSOM table needs the columns subject_id, predicate_id and object_id")])
    if len(set(columns)) != len(columns):
        dup = sorted({c for c in columns if columns.count(c) > 1})
        raise SourceError([Problem(shown, header_lines + 1, 1, ", ".join(dup), "duplicate column names")])
    col = {c: i for i, c in enumerate(columns)}
    triples = []
    for offset, row in enumerate(reader, start=header_lines + 2):
        if not row or not any(cell.strip() for cell in row):
            continue
        cell = {c: (row[i].strip() if i < len(row) else "") for c, i in col.items()}
        reviewed = bool(cell.get("reviewer_id")) if "reviewer_id" in col else bool(cell.get("curation_rule"))
        if not reviewed:
            continue
        if cell.get("predicate_modifier", "").lower() == "not":
            continue
        pred = ACCEPTED_PREDICATES.get(cell["predicate_id"])
        if pred is None:
            continue  # reviewed, but a predicate the build does not load (broadMatch, relatedMatch...)
        for field in ("subject_id", "object_id"):
            if _expand(cell[field], converter) is None:
                what = "is empty" if not cell[field] else f"'{cell[field]}' is not a full IRI or a CURIE with a known prefix"
                problems.append(Problem(shown, offset, col[field] + 1, field, f"reviewed row: {what} (add the prefix to the curie_map header)", cell.get("subject_id", "")))
        if problems and problems[-1].line == offset:
            continue
        triples.append((URIRef(_expand(cell["subject_id"], converter)), pred, URIRef(_expand(cell["object_id"], converter))))
    if problems:
        raise SourceError(problems)
    return triples


def mapping_graph(folder: Path) -> Graph:
    """Accepted rows of every `*.sssom.tsv` in `folder` as one graph (empty when there are none)."""
    g = Graph(identifier=MAPPINGS_GRAPH)
    folder = Path(folder)
    if not folder.is_dir():
        return g
    from msckg.loader.schema import read_prefixes

    project = dict(read_prefixes().prefix_map)
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.sssom.tsv")):
        try:
            for t in read_mapping_file(path, project):
                g.add(t)
        except SourceError as exc:
            problems.extend(exc.problems)
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), 0, 0, "", f"not UTF-8 text: {exc.reason}"))
    if problems:
        raise SourceError(problems)
    return g
