"""`make ontology-report`: ROBOT-style QC of the ontology, one SPARQL check per file in queries/ontology-qc/.

Each check returns ?entity ?property ?value rows under a `#+ level:` of ERROR, WARN or INFO (as
ROBOT's report does). Before the checks run, MONDO, CL and UBERON terms the ontology refers to are
looked up in cellxgene-ontology-guide (offline), and those it reports deprecated are marked
owl:deprecated true (with their replacement), so the deprecated-reference check sees them.
Exit status 1 when any ERROR row remains.

    python -m msckg.graph.ontology.report [--format table|tsv|json] [--output FILE]
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from msckg.graph.paths import ONTOLOGY, ONTOLOGY_QC

LEVELS = ("ERROR", "WARN", "INFO")
OBO = "http://purl.obolibrary.org/obo/"
GUIDED = ("MONDO", "CL", "UBERON")
_DEPRECATED = "http://www.w3.org/2002/07/owl#deprecated"
_REPLACED_BY = OBO + "IAO_0100001"
_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


@dataclass(frozen=True)
class Finding:
    """One row of the report: a check's level and name, and the entity, property and value it found."""

    level: str
    rule: str
    entity: str
    property: str
    value: str


def deprecation_marks(g: Graph) -> list[ox.Quad]:
    """owl:deprecated (and IAO:0100001 replacement) statements for MONDO/CL/UBERON terms the guide calls deprecated."""
    iris = {str(t) for triple in g for t in triple
            if str(t).startswith(OBO) and str(t)[len(OBO):].split("_", 1)[0] in GUIDED}
    if not iris:
        return []
    try:
        from cellxgene_ontology_guide.ontology_parser import OntologyParser
    except ImportError:  # pragma: no cover - a runtime dependency; without it only declared deprecations count
        return []
    parser = OntologyParser()
    marks = []
    for iri in sorted(iris):
        curie = iri[len(OBO):].replace("_", ":", 1)
        try:
            if not parser.is_term_deprecated(curie):
                continue
            replacement = parser.get_term_replacement(curie)
        except ValueError:  # not in the guide's release: the undeclared/unknown checks cover it
            continue
        marks.append(ox.Quad(ox.NamedNode(iri), ox.NamedNode(_DEPRECATED), ox.Literal("true", datatype=ox.NamedNode(_BOOLEAN))))
        if replacement:
            marks.append(ox.Quad(ox.NamedNode(iri), ox.NamedNode(_REPLACED_BY), ox.NamedNode(OBO + replacement.replace(":", "_"))))
    return marks


def run(g: Graph | None = None, checks: Path = ONTOLOGY_QC) -> list[Finding]:
    """Every finding of every check over the ontology graph (default: the ontology files), most severe first."""
    from msckg.graph.ontology.reason import load_ontology
    from msckg.graph.query.files import read_query_dir
    from msckg.graph.query.output import shorten
    from msckg.graph.store.terms import to_rdflib

    g = g if g is not None else load_ontology(ONTOLOGY)
    store = ox.Store()
    store.load(g.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    store.extend(deprecation_marks(g))
    found = []
    for q in read_query_dir(checks):
        level = q.header.get("level", "ERROR").upper()
        if level not in LEVELS:
            raise ValueError(f"{q.path}: '#+ level: {level}' must be one of {', '.join(LEVELS)}")
        for sol in store.query(q.text):
            cells = [sol[v] for v in ("entity", "property", "value")]
            entity, prop, value = (shorten(to_rdflib(c)) if c is not None else "" for c in cells)
            found.append(Finding(level, q.name, entity, prop, value))
    return sorted(set(found), key=lambda f: (LEVELS.index(f.level), f.rule, f.entity, f.property, f.value))


def render(found: list[Finding], fmt: str = "table") -> str:
    """The report as TSV (ROBOT's columns), JSON, or a table for the terminal."""
    if fmt == "json":
        return json.dumps([f.__dict__ for f in found], indent=2, ensure_ascii=False) + "\n"
    if fmt == "tsv":
        rows = ["Level\tRule Name\tSubject\tProperty\tValue"] + ["\t".join((f.level, f.rule, f.entity, f.property, f.value)) for f in found]
        return "\n".join(rows) + "\n"
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    buf = StringIO()
    console = Console(file=buf, width=100, soft_wrap=False)
    counts = {lv: sum(f.level == lv for f in found) for lv in LEVELS}
    t = Table(title=f"ontology QC: {counts['ERROR']} error(s), {counts['WARN']} warning(s), {counts['INFO']} info")
    for c in ("level", "rule", "subject", "property", "value"):
        t.add_column(c, overflow="fold", no_wrap=c in ("level", "rule"))
    for f in found:
        t.add_row(f.level, f.rule, f.entity, f.property, f.value)
    console.print(t if found else "ontology QC: no findings")
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m msckg.graph.ontology.report", description=__doc__.splitlines()[0])
    ap.add_argument("--format", choices=("table", "tsv", "json"), default="table")
    ap.add_argument("--output", "-o", type=Path, help="also write the report as TSV to this file (ROBOT's report.tsv columns)")
    args = ap.parse_args(argv)
    found = run()
    sys.stdout.write(render(found, args.format))
    if args.output:
        args.output.write_text(render(found, "tsv"), encoding="utf-8")
    errors = sum(f.level == "ERROR" for f in found)
    if errors:
        print(f"{errors} ERROR row(s): fix them in ontology/*.ttl (each check's file in queries/ontology-qc/ says how)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
