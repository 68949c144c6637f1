"""An entity's page as data: its facts with their source graphs, and tables of the entities around it
(a trial's arms, outcome measures and populations; two links away its results and adverse events)."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from msckg.graph.query.output import shorten

from .backend import Backend, labels_for, ontology_labels

M = "https://w3id.org/msckg/"
SOURCE, LOCATOR = URIRef(M + "source"), URIRef(M + "locator")
HUB = 200          # more entities than this through one property: a list of the first ones, not a table
SECOND_HOP_MAX = 400  # incoming entities at most for the two-links-away tables


@dataclass
class Value:
    """One value of a fact: the RDF term and the text to show for it."""

    term: object
    text: str

    @property
    def iri(self) -> str | None:
        return str(self.term) if isinstance(self.term, URIRef) else None


@dataclass
class Fact:
    prop: str
    prop_label: str
    values: list[Value]
    graphs: list[str]


@dataclass
class Table:
    """Entities of one kind around the page's entity, one row each, a column per property."""

    title: str
    via: str
    columns: list[tuple[str, str]]                       # (property IRI, label)
    rows: list[tuple[Value, dict[str, list[Value]]]]     # (the entity, its values by property)
    total: int


@dataclass
class Listing:
    """A hub: how many entities point here through one property, and the first of them."""

    title: str
    total: int
    items: list[Value]


@dataclass
class EntityPage:
    iri: str
    label: str
    types: list[Value]
    facts: list[Fact]
    evidence: list[tuple[Value, list[str]]] = field(default_factory=list)   # (source document, locators)
    tables: list[Table] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)
    known: bool = True


def _text(term, label: str | None) -> str:
    if label:
        return label
    if isinstance(term, URIRef):
        return shorten(term)
    return "" if term is None else str(term)


def _members(rows, labels) -> "OrderedDict[str, dict[str, list[Value]]]":
    out: OrderedDict[str, dict[str, list[Value]]] = OrderedDict()
    for m, q, v, v_label in rows.rows:
        if not isinstance(m, URIRef) or q is None:
            continue
        cells = out.setdefault(str(m), defaultdict(list))
        val = Value(v, _text(v, str(v_label) if v_label is not None else labels.get(str(v))))
        if all(x.term != v for x in cells[str(q)]):
            cells[str(q)].append(val)
    return out


def _kind(cells, labels) -> tuple[str, str]:
    types = sorted(str(t.term) for t in cells.get(str(RDF.type), []))
    if not types:
        return "", "Other"
    first = types[0]
    return first, labels.get(first) or shorten(URIRef(first))


def _plural(label: str) -> str:
    label = label[:1].upper() + label[1:]
    if label.endswith(("s", "x")):
        return label
    if label.endswith("y") and not label.endswith(("ay", "ey", "oy")):
        return label[:-1] + "ies"
    return label + "s"


def _tables(members, labels, via: str, hide: set[str], seen: set[str]) -> list[Table]:
    groups: OrderedDict[tuple[str, str], list[str]] = OrderedDict()
    for m, cells in members.items():
        if m in seen:
            continue
        groups.setdefault(_kind(cells, labels), []).append(m)
    tables = []
    for (cls, cls_label), ms in groups.items():
        seen.update(ms)
        counts: dict[str, int] = defaultdict(int)
        for m in ms:
            for q in members[m]:
                counts[q] += 1
        props = [q for q in counts if q not in hide and q not in (str(RDF.type), str(RDFS.label), str(SOURCE), str(LOCATOR))]
        props.sort(key=lambda q: (-counts[q], labels.get(q) or q))
        props += [q for q in (str(SOURCE), str(LOCATOR)) if q in counts]
        rows = []
        for m in sorted(ms, key=lambda m: (_label_of(members[m]) or m)):
            rows.append((Value(URIRef(m), _label_of(members[m]) or shorten(URIRef(m))), members[m]))
        cols = [(q, labels.get(q) or shorten(URIRef(q))) for q in props]
        tables.append(Table(_plural(cls_label), via, cols, rows, len(ms)))
    return tables


def _label_of(cells) -> str:
    vals = cells.get(str(RDFS.label)) or cells.get(M + "title") or []
    return vals[0].text if vals else ""


def describe_entity(backend: Backend, iri: str) -> EntityPage:
    """Everything the entity page shows about one IRI (runs in a worker: a few bound queries)."""
    labels = ontology_labels(backend)
    node = URIRef(iri)
    bind = {"entity": node}
    facts_rows = backend.internal("entity-facts", bind)
    by_prop: OrderedDict[str, Fact] = OrderedDict()
    types, own_label = [], ""
    for p, o, g, o_label in facts_rows.rows:
        p_s = str(p)
        fact = by_prop.setdefault(p_s, Fact(p_s, labels.get(p_s) or shorten(p), [], []))
        if all(v.term != o for v in fact.values):
            fact.values.append(Value(o, _text(o, str(o_label) if o_label is not None else labels.get(str(o)))))
        if g is not None and str(g) not in fact.graphs:
            fact.graphs.append(str(g))
    if str(RDF.type) in by_prop:
        types = by_prop.pop(str(RDF.type)).values
    if str(RDFS.label) in by_prop:
        own_label = by_prop[str(RDFS.label)].values[0].text
    elif M + "title" in by_prop:
        own_label = by_prop[M + "title"].values[0].text
    page = EntityPage(iri, own_label or labels.get(iri) or shorten(node), types, list(by_prop.values()))
    sources = by_prop.get(str(SOURCE))
    if sources:
        locators = [v.text for v in by_prop[str(LOCATOR)].values] if str(LOCATOR) in by_prop else []
        page.evidence = [(v, locators) for v in sources.values]

    counts = {str(r[0]): int(r[1].toPython()) for r in backend.internal("entity-incoming-counts", bind).rows}
    page.known = bool(facts_rows.rows) or bool(counts)
    seen: set[str] = {iri}
    # the record entities this one points at (its source document, registrations, regimens...)
    out_members = _members(backend.internal("entity-outgoing-members", bind), labels)
    page.tables += _tables(out_members, labels, "links from this entity", set(), seen)
    small_total = 0
    for p, n in sorted(counts.items(), key=lambda kv: labels.get(kv[0]) or kv[0]):
        title = f"{'Instances' if p == str(RDF.type) else 'Subclasses' if p == str(RDFS.subClassOf) else 'Entities whose ' + (labels.get(p) or shorten(URIRef(p))) + ' is this one'}"
        if n > HUB or p in (str(RDF.type), str(RDFS.subClassOf)):
            sample = backend.internal("entity-incoming-sample", {"entity": node, "p": URIRef(p)})
            items = [Value(r[0], _text(r[0], str(r[1]) if r[1] is not None else None)) for r in sample.rows]
            page.listings.append(Listing(title, n, items))
            continue
        small_total += n
        members = _members(backend.internal("entity-incoming-members", {"entity": node, "p": URIRef(p)}), labels)
        page.tables += _tables(members, labels, labels.get(p) or shorten(URIRef(p)), {p}, seen)
    if 0 < small_total <= SECOND_HOP_MAX:
        hop = _members(backend.internal("entity-second-hop", bind), labels)
        page.tables += _tables(hop, labels, "two links away", set(), seen)
    _fill_labels(backend, page)
    return page


def _fill_labels(backend: Backend, page: EntityPage) -> None:
    """Values shown as bare IRIs get the label of their entity where it has one (one query)."""
    bare = [v for t in page.tables for _, cells in t.rows for vals in cells.values() for v in vals
            if isinstance(v.term, URIRef) and v.text == shorten(v.term)]
    bare += [v for f in page.facts for v in f.values if isinstance(v.term, URIRef) and v.text == shorten(v.term)]
    if not bare:
        return
    found = labels_for(backend, {str(v.term) for v in bare})
    for v in bare:
        if str(v.term) in found:
            v.text = found[str(v.term)]


def is_literal(term) -> bool:
    return isinstance(term, Literal)
