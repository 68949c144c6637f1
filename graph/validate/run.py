"""Validation: SHACL shapes on the data plus the SPARQL checks of queries/qc, reported by rule."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
from rdflib import RDF, Graph, Namespace

from msckg.graph.paths import QC, QUERIES, SHAPES
from msckg.graph.query.files import QueryFile, read_query_dir, read_query_file
from msckg.graph.store.terms import to_rdflib

SH = Namespace("http://www.w3.org/ns/shacl#")
RULE_IN_MESSAGE = re.compile(r"^\[(R-[A-Z0-9-]+)\]")
ACK_QUERY = QUERIES / "internal" / "acknowledged-problems.rq"
RECORDED_PROBLEM = "https://w3id.org/msckg/problem"


@dataclass
class Violation:
    """One failed check: rule, severity, the node, property and value, and a curator's message."""

    rule: str
    severity: str
    focus: str
    path: str
    value: str
    message: str
    acknowledged: str = ""


@dataclass
class Report:
    """Everything validation found; `ok` when no unacknowledged Violation remains.

    `shacl` and `qc` (per query file) are the same findings by check, kept for the build cache."""

    violations: list[Violation] = field(default_factory=list)
    shacl: list[Violation] = field(default_factory=list, repr=False)
    qc: dict[str, list[Violation]] = field(default_factory=dict, repr=False)

    @property
    def failing(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "Violation" and not v.acknowledged]

    @property
    def ok(self) -> bool:
        return not self.failing

    def by_rule(self) -> Counter:
        return Counter(v.rule for v in self.violations)

    def as_json(self) -> dict:
        return {"ok": self.ok, "failing": len(self.failing), "violations": [asdict(v) for v in self.violations]}


def load_shapes(directory: Path = SHAPES) -> Graph:
    g = Graph()
    for f in sorted(directory.glob("*.ttl")):
        g.parse(f, format="turtle")
    return g


def shacl_violations(data: Graph, shapes: Graph | None = None) -> list[Violation]:
    """Run the SHACL shapes with pyshacl over a data graph (which must include the ontology's class hierarchy).

    The reference implementation: `validate` uses it only for shapes shapes_sparql cannot compile."""
    from pyshacl import validate as shacl_validate  # a second of start-up, only when a shape needs it

    shapes = shapes if shapes is not None else load_shapes()
    _, results, _ = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    out = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        msg = str(results.value(r, SH.resultMessage) or "")
        source = results.value(r, SH.sourceShape)
        m = RULE_IN_MESSAGE.match(msg)
        rule = m.group(1) if m else str(source).rsplit("/", 1)[-1]
        sev = str(results.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]
        path, value = results.value(r, SH.resultPath), results.value(r, SH.value)  # (a false or 0 literal is falsy)
        out.append(Violation(rule, sev, str(results.value(r, SH.focusNode)), "" if path is None else str(path),
                             "" if value is None else str(value), msg))
    return out


def _subset(shapes: Graph, roots: list) -> Graph:
    """The shapes graph restricted to the given node shapes and everything they reach."""
    out, todo, seen = Graph(), list(roots), set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in shapes.predicate_objects(node):
            out.add((node, p, o))
            if (o, None, None) in shapes:
                todo.append(o)
    return out


def fast_shacl_violations(store: ox.Store, data: Graph | None = None, shapes: Graph | None = None,
                          focus_nodes: list[str] | None = None, values: bool = True) -> list[Violation]:
    """The SHACL shapes on the store: compiled to SPARQL where they can be (shapes_sparql), pyshacl for the rest.

    Gives the same violations as `shacl_violations` on the same data (tests/test_validate_fast.py). With
    `focus_nodes` (IRIs), only those nodes are checked (an incremental build; the compiled shapes only), by a
    VALUES block or (`values=False`) by keeping their results of a run on everything."""
    from msckg.graph.validate import shapes_sparql

    shapes = shapes if shapes is not None else load_shapes()
    p = shapes_sparql.plan(shapes)
    if focus_nodes is not None and p.for_pyshacl:
        raise ValueError("shapes that only pyshacl runs cannot be checked for some focus nodes: validate the whole graph")
    out = []
    for f in shapes_sparql.run(store, shapes, p, focus_nodes, values):
        m = RULE_IN_MESSAGE.match(f.message)
        out.append(Violation(m.group(1) if m else str(f.shape).rsplit("/", 1)[-1], f.severity, f.focus, f.path, f.value, f.message))
    if p.for_pyshacl:
        out += shacl_violations(data if data is not None else union_graph(store), _subset(shapes, p.for_pyshacl))
    return out


def union_graph(store: ox.Store) -> Graph:
    """Every triple of the store as one rdflib graph (what pyshacl reads)."""
    data = Graph()
    for q in store.quads_for_pattern(None, None, None, None):
        data.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return data


def qc_violations(store: ox.Store, directory: Path = QC) -> list[Violation]:
    """Run every queries/qc/*-violation.rq; each row (?entity ?property ?value) is a violation."""
    return [v for rows in qc_by_query(store, directory).values() for v in rows]


def qc_by_query(store: ox.Store, directory: Path = QC, entities: Callable[[QueryFile], set[str] | None] | None = None) -> dict[str, list[Violation]]:
    """The rows of every QC query, by query name. `entities(q)` (an incremental build) gives the only
    ?entity values to check for q, or None for all of them."""
    out = {}
    for q in read_query_dir(directory, "*-violation.rq"):
        only = entities(q) if entities else None
        if only is not None and not only:
            out[q.name] = []
            continue
        out[q.name] = run_qc_query(store, q, only)
    return out


_WHERE = re.compile(r"\bWHERE\s*\{", re.I)


def run_qc_query(store: ox.Store, q: QueryFile, entities: set[str] | None = None, values: bool = True) -> list[Violation]:
    """One QC query's rows as violations; with `entities`, only their rows: by a VALUES block opening its WHERE
    clause, or (`values=False`, cheaper for many entities) by running it on everything and keeping theirs."""
    if entities is not None and not values:
        return [v for v in run_qc_query(store, q) if v.focus in entities]
    rule = q.header.get("rule", q.name)
    sev = q.header.get("severity", "Violation")
    msg = f"[{rule}] " + q.header.get("message", q.summary)
    text = q.text
    if entities is not None:
        m = _WHERE.search(text)
        block = " ".join(str(ox.NamedNode(e)) for e in sorted(entities))
        text = f"{text[:m.end()]}\n  VALUES ?entity {{ {block} }}\n{text[m.end():]}"
    out = []
    for sol in store.query(text, use_default_graph_as_union=True):
        vals = {v: to_rdflib(sol[v]) for v in ("entity", "property", "value", "rule", "message")}
        # a check may name each row's rule and message itself (?rule ?message), e.g. recorded source problems
        out.append(Violation(str(vals["rule"] or rule), sev, str(vals["entity"] or ""), str(vals["property"] or ""),
                             str(vals["value"] or ""), str(vals["message"] or msg)))
    return out


def acknowledge(violations: list[Violation], store: ox.Store) -> None:
    """Mark violations that a curator flagged on purpose as a known problem of the source."""
    flags = {}
    for sol in store.query(read_query_file(ACK_QUERY).text, use_default_graph_as_union=True):
        flags[(sol["flagged"].value, sol["rule"].value)] = sol["problem"].value if sol["problem"] else "flagged"
    for v in violations:
        note = flags.get((v.focus, v.rule))
        if note:
            v.acknowledged = note
    # a recorded problem (queries/qc/source-problems-violation.rq, path msckg:problem) that a check also finds
    # is reported once: as the check's finding, carrying the curator's note
    found = {(v.focus, v.rule) for v in violations if v.acknowledged and v.path != RECORDED_PROBLEM}
    violations[:] = [v for v in violations if v.path != RECORDED_PROBLEM or (v.focus, v.rule) not in found]


def validate(store: ox.Store, data: Graph | None = None, reference: bool = False) -> Report:
    """Validate a dataset held in an Oxigraph store (data = the same triples as an rdflib graph, optional).

    `reference=True` runs every shape with pyshacl on the whole graph (the slow baseline)."""
    if reference:
        shacl = shacl_violations(data if data is not None else union_graph(store))
    else:
        shacl = fast_shacl_violations(store, data)
    return report_of(store, shacl, qc_by_query(store))


def report_of(store: ox.Store, shacl: list[Violation], qc: dict[str, list[Violation]]) -> Report:
    """The report of SHACL and QC findings: curators' flags applied, sorted by rule, node, property, value."""
    violations = [Violation(**{**asdict(v), "acknowledged": ""}) for v in shacl + [v for rows in qc.values() for v in rows]]
    acknowledge(violations, store)
    violations.sort(key=lambda v: (v.rule, v.focus, v.path, v.value))
    return Report(violations, shacl, qc)
