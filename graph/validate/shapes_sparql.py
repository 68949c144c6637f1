"""SHACL Core shapes evaluated as SPARQL in Oxigraph, with pyshacl's own value comparisons.

pyshacl walks an rdflib graph node by node; at 10,000 trials that took 17 minutes. Here each
constraint of each shape is one SPARQL query over the whole store (focus nodes by
`rdf:type/rdfs:subClassOf*`, value nodes by the property), and the few constraints whose
semantics are Python's in pyshacl (patterns, value ranges, property-pair comparisons, datatypes)
are decided in Python the way pyshacl decides them, on candidates the query returns. The result
is the same list of violations pyshacl gives (tests/test_validate_fast.py compares the two on the
seed graph, on every invalid fixture and on a synthetic graph with one violation of each rule).

Only the constraint components listed in `NODE_KEYS` and `PROPERTY_KEYS` are compiled; a node
shape that uses anything else (another target kind, a complex path, sh:node, sh:qualified...,
sh:sparql, no sh:message) is reported by `plan()` as needing pyshacl, and validate/run.py runs
pyshacl for exactly those shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef

from msckg.graph.store.terms import to_rdflib

SH = Namespace("http://www.w3.org/ns/shacl#")
IGNORED = {RDF.type, RDFS.label, RDFS.comment, SH.name, SH.description, SH.order, SH.group}
NODE_KEYS = IGNORED | {SH.targetClass, SH.property, SH["or"], SH.message, SH.severity}
PROPERTY_KEYS = IGNORED | {SH.path, SH.minCount, SH.maxCount, SH["class"], SH.datatype, SH.pattern, SH.flags,
                           SH.lessThanOrEquals, SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive,
                           SH.message, SH.severity}
CHECKED_DATATYPES = {XSD.string: str, XSD.integer: int, XSD.boolean: bool, XSD.decimal: None}


@dataclass
class Found:
    """One result as pyshacl reports it: the shape that gave it and the report's fields."""

    shape: URIRef
    severity: str
    focus: str
    path: str
    value: str
    message: str


@dataclass
class Plan:
    """The node shapes compiled to SPARQL and those left for pyshacl."""

    compiled: list = field(default_factory=list)  # (node shape, targets, property shapes, or-alternatives)
    for_pyshacl: list[URIRef] = field(default_factory=list)


def _one(g: Graph, s, p):
    vals = list(g.objects(s, p))
    if len(vals) > 1:
        raise _Unsupported(f"several {p}")
    return vals[0] if vals else None


class _Unsupported(Exception):
    pass


def _severity(g: Graph, shape) -> str:
    sev = _one(g, shape, SH.severity)
    return str(sev or SH.Violation).rsplit("#", 1)[-1]


def _property_shape(g: Graph, ps) -> dict:
    keys = set(g.predicates(ps, None))
    if keys - PROPERTY_KEYS:
        raise _Unsupported(f"constraint(s) {sorted(str(k) for k in keys - PROPERTY_KEYS)}")
    path, msg = _one(g, ps, SH.path), _one(g, ps, SH.message)
    if not isinstance(path, URIRef):
        raise _Unsupported("a path that is not a single property")
    if msg is None:
        raise _Unsupported("no sh:message (pyshacl's generated messages are not reproduced)")
    out = {"shape": ps, "path": path, "message": str(msg), "severity": _severity(g, ps)}
    for k in keys - IGNORED - {SH.path, SH.message, SH.severity}:
        out[k] = _one(g, ps, k)
    return out


def plan(shapes: Graph) -> Plan:
    """Which node shapes compile to SPARQL (with their parts) and which need pyshacl."""
    p = Plan()
    for ns in sorted(set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(SH.targetClass, None)), key=str):
        try:
            keys = set(shapes.predicates(ns, None))
            if keys - NODE_KEYS:
                raise _Unsupported("node constraint(s)")
            targets = sorted(shapes.objects(ns, SH.targetClass), key=str)
            if not targets or any(not isinstance(t, URIRef) for t in targets):
                raise _Unsupported("no class target")
            props = [_property_shape(shapes, ps) for ps in sorted(shapes.objects(ns, SH.property), key=str)]
            alternatives = None
            for lst in shapes.objects(ns, SH["or"]):
                if alternatives is not None:
                    raise _Unsupported("several sh:or")
                alternatives = []
                for alt in shapes.items(lst):
                    if set(shapes.predicates(alt, None)) - {SH.path, SH.minCount} or _one(shapes, alt, SH.minCount) != Literal(1) \
                            or not isinstance(_one(shapes, alt, SH.path), URIRef):
                        raise _Unsupported("an sh:or alternative other than 'path with minCount 1'")
                    alternatives.append(_one(shapes, alt, SH.path))
            if alternatives is not None and _one(shapes, ns, SH.message) is None:
                raise _Unsupported("sh:or without sh:message")
            p.compiled.append((ns, targets, props, alternatives))
        except _Unsupported:
            p.for_pyshacl.append(ns)
    return p


def _targets(classes) -> str:
    return " UNION ".join(f"{{ ?focus a/<{RDFS.subClassOf}>* <{c}> }}" for c in classes)


def _rows(store: ox.Store, query: str):
    return store.query(query, use_default_graph_as_union=True)


def run(store: ox.Store, shapes: Graph, p: Plan | None = None, focus_nodes: list[str] | None = None,
        values: bool = True) -> list[Found]:
    """Every result of the compiled shapes on the store's union graph (only for `focus_nodes`, IRIs, when given:
    through a VALUES block, or with `values=False` by keeping their results of a run on every node)."""
    p = p or plan(shapes)
    out: list[Found] = []
    if focus_nodes is not None and not focus_nodes:
        return out
    if focus_nodes is not None and not values:
        keep = set(focus_nodes)
        return [f for f in run(store, shapes, p) if f.focus in keep]
    values = "" if focus_nodes is None else f"VALUES ?focus {{ {' '.join(str(ox.NamedNode(f)) for f in focus_nodes)} }} "
    for ns, targets, props, alternatives in p.compiled:
        focus = f"{{ SELECT DISTINCT ?focus WHERE {{ {values}{_targets(targets)} }} }}"
        if alternatives is not None:
            cond = " ".join(f"FILTER NOT EXISTS {{ ?focus <{a}> ?any{i} }}" for i, a in enumerate(alternatives))
            msg, sev = str(_one(shapes, ns, SH.message)), _severity(shapes, ns)
            for sol in _rows(store, f"SELECT ?focus WHERE {{ {focus} {cond} }}"):
                f = sol["focus"]
                out.append(Found(ns, sev, _text(f), "", _text(f), msg))
        for ps in props:
            out.extend(_property(store, focus, ps))
    return out


def _text(term) -> str:
    return str(to_rdflib(term))


def _property(store: ox.Store, focus: str, ps: dict) -> list[Found]:
    path, found = ps["path"], []

    def hit(f, v=None):
        found.append(Found(ps["shape"], ps["severity"], _text(f), str(path), "" if v is None else _text(v), ps["message"]))

    vals = f"{focus} ?focus <{path}> ?v ."
    if SH.minCount in ps:
        n = int(ps[SH.minCount])
        q = (f"SELECT ?focus WHERE {{ {focus} FILTER NOT EXISTS {{ ?focus <{path}> ?v }} }}" if n == 1 else
             f"SELECT ?focus WHERE {{ {focus} OPTIONAL {{ SELECT ?focus (COUNT(DISTINCT ?v) AS ?n) WHERE {{ ?focus <{path}> ?v }} GROUP BY ?focus }} "
             f"FILTER(COALESCE(?n, 0) < {n}) }}")
        for sol in _rows(store, q):
            hit(sol["focus"])
    if SH.maxCount in ps:
        q = f"SELECT ?focus WHERE {{ {{ SELECT ?focus (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {vals} }} GROUP BY ?focus }} FILTER(?n > {int(ps[SH.maxCount])}) }}"
        for sol in _rows(store, q):
            hit(sol["focus"])
    if SH["class"] in ps:
        q = f"SELECT DISTINCT ?focus ?v WHERE {{ {vals} FILTER NOT EXISTS {{ ?v a/<{RDFS.subClassOf}>* <{ps[SH['class']]}> }} }}"
        for sol in _rows(store, q):
            hit(sol["focus"], sol["v"])
    if SH.datatype in ps:
        dt = ps[SH.datatype]
        for sol in _rows(store, f"SELECT DISTINCT ?focus ?v WHERE {{ {vals} }}"):
            if not _datatype_ok(to_rdflib(sol["v"]), dt):
                hit(sol["focus"], sol["v"])
    if SH.pattern in ps:
        flags = str(ps.get(SH.flags) or "")
        rx = re.compile(str(ps[SH.pattern]), (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0)
                        | (re.S if "s" in flags else 0) | (re.X if "x" in flags else 0))
        for sol in _rows(store, f"SELECT DISTINCT ?focus ?v WHERE {{ {vals} }}"):
            v = to_rdflib(sol["v"])
            if isinstance(v, BNode) or not (rx.match(str(v)) or rx.search(str(v))):
                hit(sol["focus"], sol["v"])
    for key, op, strict in ((SH.minInclusive, ">=", False), (SH.minExclusive, ">", True),
                            (SH.maxInclusive, "<=", False), (SH.maxExclusive, "<", True)):
        if key not in ps:
            continue
        bound = ps[key]
        ok = f"isNumeric(?v) && ?v {op} {bound.n3()}" if _numeric(bound) else "false"
        for sol in _rows(store, f"SELECT DISTINCT ?focus ?v WHERE {{ {vals} FILTER(!COALESCE({ok}, false)) }}"):
            if not _range_ok(to_rdflib(sol["v"]), bound, key):
                hit(sol["focus"], sol["v"])
    if SH.lessThanOrEquals in ps:
        other = ps[SH.lessThanOrEquals]
        q = (f"SELECT DISTINCT ?focus ?v ?w WHERE {{ {vals} ?focus <{other}> ?w . "
             f"FILTER(!COALESCE(isNumeric(?v) && isNumeric(?w) && ?v <= ?w, false)) }}")
        for sol in _rows(store, q):
            if not _ltoe_ok(to_rdflib(sol["v"]), to_rdflib(sol["w"])):
                hit(sol["focus"], sol["v"])
    return found


def _numeric(lit) -> bool:
    return isinstance(lit, Literal) and isinstance(lit.value, (int, float)) and not isinstance(lit.value, bool) \
        or isinstance(lit, Literal) and lit.datatype == XSD.decimal


def _datatype_ok(v, dt) -> bool:
    """pyshacl's DatatypeConstraintComponent decision for one value."""
    if not isinstance(v, Literal):
        return False
    if v.datatype == dt or (v.datatype is None and v.language is None and dt == XSD.string):
        if getattr(v, "ill_typed", None) is True:
            return False
        if dt == XSD.decimal:
            from decimal import Decimal
            return isinstance(v.value, Decimal)
        kind = CHECKED_DATATYPES.get(dt)
        return True if kind is None else isinstance(v.value, kind) and (kind is not int or not isinstance(v.value, bool))
    return dt == RDFS.Literal or (dt == RDFS.Datatype and bool(v.datatype))


def _range_ok(v, bound, key) -> bool:
    """pyshacl's value-range decision (min/max, inclusive/exclusive) for one value."""
    if not isinstance(v, Literal):
        return False
    bound_str, v_str = isinstance(bound.value, str), isinstance(v.value, str)
    if bound_str != v_str:
        return False
    try:
        from pyshacl.rdfutil.compare import compare_literal  # pyshacl loads only when a value needs it

        cmp = compare_literal(v, bound)
    except (TypeError, NotImplementedError):
        return False
    return {SH.minInclusive: cmp >= 0, SH.minExclusive: cmp > 0, SH.maxInclusive: cmp <= 0, SH.maxExclusive: cmp < 0}[key]


def _ltoe_ok(v, w) -> bool:
    """pyshacl's sh:lessThanOrEquals decision for one pair of values."""
    def plain(x):
        if isinstance(x, URIRef):
            return str(x), True
        if isinstance(x, Literal) and isinstance(x.value, str):
            return x.value, True
        return x, False
    a, a_str = plain(v)
    b, b_str = plain(w)
    if a_str != b_str:
        return False
    try:
        return bool(a <= b)
    except TypeError:
        return False
