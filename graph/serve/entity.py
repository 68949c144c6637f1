"""An entity's page as data: its facts with their source graphs, and tables of the entities around it
(a trial's arms, outcome measures and populations; two links away its results and adverse events)."""

from __future__ import annotations

import re
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from msckg.graph.query.binding import bind_with_values
from msckg.graph.query.output import shorten

from .backend import Backend, internal_query, labels_for, ontology_labels

_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)

M = "https://w3id.org/msckg/"
SOURCE, LOCATOR = URIRef(M + "source"), URIRef(M + "locator")
# what names an entity that has no rdfs:label, in this order
NAME_PROPS = [str(RDFS.label), "http://www.w3.org/2004/02/skos/core#prefLabel", M + "title", M + "name", M + "term", M + "registryId"]
HUB = 200             # more entities than this through one property: a list of the first ones, not a table
SECOND_HOP_MAX = 400  # incoming entities at most for the two-links-away tables
TABLE_ROWS = 100      # rows shown per two-links-away table (the total is shown; saved queries give all)


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
    open_ended: bool = False   # True: `total` is only how many were fetched (there may be more)


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


def _light(term):
    """A term as the page needs it: IRIs stay IRIs, literals become their text (cheap to make)."""
    if term is None or isinstance(term, URIRef):
        return term
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, (ox.Literal, ox.BlankNode)):
        return term.value if isinstance(term, ox.Literal) else f"_:{term.value}"
    return str(term)


def _rows(backend: Backend, name: str, bindings: dict | None = None, members: list[str] | None = None) -> list[tuple]:
    """One of the server's entity queries, as tuples of light terms; `members` adds VALUES ?m { ... }."""
    text = internal_query(name)
    if members is not None:
        values = " ".join(str(ox.NamedNode(m)) for m in members)  # pyoxigraph checks and writes each IRI
        text = _WHERE.sub(lambda mt: mt.group(0) + f"\n  VALUES ?m {{ {values} }}\n", text, count=1)
    if backend.settings.endpoint:
        return [tuple(_light(t) for t in r) for r in backend.store.select(text, bindings or {}).rows]
    res = backend.store.oxigraph.query(bind_with_values(text, {k: v for k, v in (bindings or {}).items()}),
                                       use_default_graph_as_union=True)
    names = [v.value for v in res.variables]
    return [tuple(_light(sol[n]) for n in names) for sol in res]


def _members(rows, labels) -> "OrderedDict[str, dict[str, list[Value]]]":
    out: OrderedDict[str, dict[str, list[Value]]] = OrderedDict()
    for m, q, v, v_label in rows:
        if not isinstance(m, URIRef) or q is None:
            continue
        cells = out.setdefault(str(m), defaultdict(list))
        val = Value(v, _text(v, v_label if v_label is not None else labels.get(str(v))))
        if all(x.term != v for x in cells[str(q)]):
            cells[str(q)].append(val)
    return out


def _kind(cells, labels) -> tuple[str, str]:
    types = sorted(str(t.term) for t in cells.get(str(RDF.type), []))
    if not types:
        return "", "Other"
    first = types[0]
    return first, labels.get(first) or shorten(URIRef(first))


def _title(label: str) -> str:
    return label[:1].upper() + label[1:]


def _tables(members, labels, via: str, hide: set[str], seen: set[str], totals: dict | None = None) -> list[Table]:
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
        literal = {q: all(v.iri is None for m in ms for v in members[m].get(q, [])) for q in props}
        props.sort(key=lambda q: (not literal[q], -counts[q], labels.get(q) or q))  # figures first, then links
        props += [q for q in (str(SOURCE), str(LOCATOR)) if q in counts]
        names = {m: _label_of(members[m]) for m in ms}
        repeated = {n for n in names.values() if n and list(names.values()).count(n) > 1}
        rows = []
        for m in sorted(ms, key=lambda m: (names[m] or _tail(m), m)):
            name = names[m] or _tail(m)  # the IRI's last segment reads better than a long CURIE in a row
            if name in repeated:
                name = f"{name} · {_tail(m)}"
            rows.append((Value(URIRef(m), name), members[m]))
        cols = [(q, labels.get(q) or shorten(URIRef(q))) for q in props]
        total = (totals or {}).get(cls, len(ms))
        tables.append(Table(_title(cls_label), via, cols, rows, total))
    return tables


def _tail(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1] or iri


def _label_of(cells) -> str:
    for prop in NAME_PROPS:
        if cells.get(prop):
            return cells[prop][0].text
    return ""


def describe_entity(backend: Backend, iri: str) -> EntityPage:
    """Everything the entity page shows about one IRI (runs in a worker: a few bound queries)."""
    labels = ontology_labels(backend)
    node = URIRef(iri)
    bind = {"entity": node}
    by_prop: OrderedDict[str, Fact] = OrderedDict()
    facts_rows = _rows(backend, "entity-facts", bind)
    for p, o, g, o_label in facts_rows:
        p_s = str(p)
        fact = by_prop.setdefault(p_s, Fact(p_s, labels.get(p_s) or shorten(p), [], []))
        if all(v.term != o for v in fact.values):
            fact.values.append(Value(o, _text(o, o_label if o_label is not None else labels.get(str(o)))))
        if g is not None and str(g) not in fact.graphs:
            fact.graphs.append(str(g))
    types = by_prop.pop(str(RDF.type)).values if str(RDF.type) in by_prop else []
    own = _label_of({p: f.values for p, f in by_prop.items()})
    last = (str(SOURCE), str(LOCATOR))
    facts = sorted(by_prop.values(), key=lambda f: (f.prop in last, f.prop not in NAME_PROPS[:3], f.prop_label.lower()))
    page = EntityPage(iri, own or labels.get(iri) or shorten(node), types, facts)
    if str(SOURCE) in by_prop:
        locators = [v.text for v in by_prop[str(LOCATOR)].values] if str(LOCATOR) in by_prop else []
        page.evidence = [(v, locators) for v in by_prop[str(SOURCE)].values]

    counts = {str(p): int(n) for p, n in _rows(backend, "entity-incoming-counts", bind)}
    for query, title in (("entity-as-property", "Used as the property of"), ("entity-as-graph", "Named graph holding statements about")):
        subjects = [r[0] for r in _rows(backend, query, bind)]
        if subjects:
            found = labels_for(backend, {str(x) for x in subjects if isinstance(x, URIRef)})
            items = sorted((Value(x, _text(x, found.get(str(x)))) for x in subjects), key=lambda v: v.text.lower())
            page.listings.append(Listing(title, len(items), items, open_ended=len(items) == 50))
    page.known = bool(facts_rows) or bool(counts) or bool(page.listings)
    seen: set[str] = {iri}
    # the record entities this one points at (its registrations, eligibility, source document...)
    page.tables += _tables(_members(_rows(backend, "entity-outgoing-members", bind), labels), labels,
                           "links from this entity", set(), seen)
    small_total = 0
    for p, n in sorted(counts.items(), key=lambda kv: labels.get(kv[0]) or kv[0]):
        name = labels.get(p) or shorten(URIRef(p))
        if n > HUB or p in (str(RDF.type), str(RDFS.subClassOf)):
            title = "Instances" if p == str(RDF.type) else "Subclasses" if p == str(RDFS.subClassOf) else f"Entities whose {name} is this one"
            sample = [r[0] for r in _rows(backend, "entity-incoming-sample", {"entity": node, "p": URIRef(p)})]
            found = labels_for(backend, {str(x) for x in sample if isinstance(x, URIRef)})
            items = sorted((Value(x, _text(x, found.get(str(x)))) for x in sample), key=lambda v: v.text.lower())
            page.listings.append(Listing(title, n, items))
            continue
        small_total += n
        members = _members(_rows(backend, "entity-incoming-members", {"entity": node, "p": URIRef(p)}), labels)
        page.tables += _tables(members, labels, name, {p}, seen)
    if 0 < small_total <= SECOND_HOP_MAX:
        page.tables += _second_hop(backend, bind, labels, seen)
    _fill_labels(backend, page)
    return page


def _second_hop(backend: Backend, bind: dict, labels: dict, seen: set[str]) -> list[Table]:
    """Tables of the entities two links away, grouped by class, the first TABLE_ROWS of each."""
    by_class: OrderedDict[str, list[str]] = OrderedDict()
    first_class: dict[str, str] = {}
    for m, cls in sorted(_rows(backend, "entity-second-hop", bind), key=lambda r: (str(r[0]), str(r[1]))):
        if not isinstance(m, URIRef):
            continue
        m, cls = str(m), str(cls)
        if m in seen or m in first_class:
            continue
        first_class[m] = cls
        by_class.setdefault(cls, []).append(m)
    chosen = [m for ms in by_class.values() for m in ms[:TABLE_ROWS]]
    if not chosen:
        return []
    facts = []
    for start in range(0, len(chosen), 300):
        facts += _rows(backend, "member-facts", members=chosen[start:start + 300])
    totals = {cls: len(ms) for cls, ms in by_class.items()}
    return _tables(_members(facts, labels), labels, "two links away", set(), seen, totals)


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
