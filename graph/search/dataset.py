"""The dataset as the search index sees it: every IRI subject with its types, text, values, flags and links."""

from __future__ import annotations

import re

from .expand import ID, MSCKG, RDF_TYPE, Ontology

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_LONG = 24  # a value list longer than this gets a set beside it, so restated triples are dropped in O(1)


class Node:
    """Everything the dataset says about one IRI subject (plain dicts: one Node per subject of the store)."""

    __slots__ = ("types", "text", "values", "flags", "links")

    def __init__(self) -> None:
        self.types: set[str] = set()
        self.text: dict[str, list[str]] = {}     # string literals
        self.values: dict[str, list[str]] = {}   # typed literals
        self.flags: set[str] = set()             # boolean properties that are true
        self.links: dict[str, list[str]] = {}    # IRI objects

    def first(self, pred: str) -> str:
        vals = self.text.get(pred) or self.values.get(pred) or []
        return min(vals) if vals else ""

    def link(self, pred: str) -> str:
        vals = self.links.get(pred) or []
        return min(vals) if vals else ""


class _Seen:
    """Which triples of the store were already read, without a set of every triple.

    A triple restated in several graphs is kept once. The subject's value list for the predicate
    already says which values were read: short lists are scanned, long ones get a set beside them.
    Two literals with the same text but another datatype or language (e.g. "x" and "x"@en) are
    different triples; a predicate's most common (datatype, language) is the default, and a list
    that also holds another one gets an exact set of (value, datatype, language) instead.
    """

    def __init__(self) -> None:
        self.default: dict[str, tuple[str, str]] = {}   # predicate -> its first literal's (datatype, language)
        self.long: dict[tuple[int, str, int], set] = {}  # (node, predicate, list) -> values, for long pure lists
        self.mixed: dict[tuple[int, str, int], set] = {}  # (node, predicate, list) -> (value, datatype, language)

    def add(self, node: Node, kind: int, d: dict, pv: str, v: str, form: tuple[str, str]) -> bool:
        """Append `v` to node's list `d[pv]` unless this triple was read before; True if it is new."""
        lst = d.get(pv)
        default = self.default.setdefault(pv, form)
        key = (id(node), pv, kind)
        exact = self.mixed.get(key) if self.mixed else None
        if lst is None:
            d[pv] = [v]
            if form != default:
                self.mixed[key] = {(v, *form)}
            return True
        if exact is None and form != default:
            exact = self.mixed[key] = {(x, *default) for x in lst}
        if exact is not None:
            k = (v, *form)
            if k in exact:
                return False
            exact.add(k)
            lst.append(v)
            return True
        if len(lst) < _LONG:
            if v in lst:
                return False
            lst.append(v)
            return True
        seen = self.long.get(key)
        if seen is None:
            seen = self.long[key] = set(lst)
        if v in seen:
            return False
        seen.add(v)
        lst.append(v)
        return True


def read_dataset(store, quads=None) -> tuple[dict[str, Node], Ontology]:
    """Every IRI subject of the store (all graphs, each triple once) and the ontology of the terms it uses.

    One pass over the quads; IRIs used as objects are shared strings. `quads` (pyoxigraph Quads, e.g.
    `pyoxigraph.parse` of the N-Quads file the store was loaded from) are read instead of the store when
    given: the same dataset in another order, read about 5x faster than Oxigraph's on-disk store decodes
    it. The result does not depend on the order: every value list, and the predicates of each node, are
    put in code-point order once all is read (settle), as are the terms' synonyms.
    """
    import pyoxigraph as ox

    nodes: dict[str, Node] = {}
    onto = Ontology()
    iris: dict[str, str] = {}
    seen = _Seen()
    Literal, NamedNode = ox.Literal, ox.NamedNode
    get_node = nodes.get
    PLAIN = (XSD_STRING, "")

    canonical = None if quads is None else _Canonical()  # the store's form of a typed literal, not the file's
    for q in (store.quads_for_pattern(None, None, None, None) if quads is None else quads):
        s = q.subject
        if type(s) is not NamedNode:
            continue
        o = q.object
        to = type(o)
        if to is not Literal and to is not NamedNode:
            continue
        sv = s.value
        node = get_node(sv)
        if node is None:
            node = nodes[sv] = Node()
        pv = q.predicate.value
        if to is Literal:
            dt = o.datatype.value
            ov = o.value
            if dt == XSD_STRING:
                new = seen.add(node, 0, node.text, pv, ov, PLAIN)
            elif dt == RDF_LANGSTRING:
                new = seen.add(node, 0, node.text, pv, ov, (dt, o.language or ""))
            else:
                if canonical is not None:
                    ov = canonical(o, ov, dt)
                new = seen.add(node, 1, node.values, pv, ov, (dt, ""))
                if new and dt == XSD_BOOLEAN and ov in ("true", "1"):
                    node.flags.add(pv)
            if new and not sv.startswith(ID):
                onto.add_triple(sv, pv, ov, True)
        else:
            ov = o.value
            ov = iris.setdefault(ov, ov)
            if pv == RDF_TYPE:
                if ov in node.types:
                    continue
                node.types.add(ov)
            elif not seen.add(node, 2, node.links, pv, ov, PLAIN):
                continue
            if not sv.startswith(ID):
                onto.add_triple(sv, pv, ov, False)
    del iris, seen
    settle(nodes)
    onto.settle()
    from msckg.loader.schema import read_prefixes

    try:
        onto.set_prefixes(dict(read_prefixes().prefix_map))
    except Exception:  # the prefixes file is the project's; without it CURIEs fall back to IRIs
        onto.set_prefixes({"msckg": MSCKG, "id": ID})
    return nodes, onto


_XSD = "http://www.w3.org/2001/XMLSchema#"
_PLAIN_FORMS = {_XSD + "integer": re.compile(r"0|-?[1-9][0-9]{0,17}"), _XSD + "boolean": re.compile(r"true|false"),
                _XSD + "date": re.compile(r"[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")}


class _Canonical:
    """The lexical form Oxigraph's store keeps for a typed literal ("1.50"^^xsd:decimal is kept as "1.5", a
    boolean "1" as "true"): read from a one-quad scratch store, once per distinct literal, so that quads
    read from a file give the values the store would."""

    def __init__(self) -> None:
        import pyoxigraph as ox

        self.store, self.memo = ox.Store(), {}
        self.s, self.p = ox.NamedNode("urn:msckg:scratch"), ox.NamedNode("urn:msckg:value")
        self.quad = ox.Quad

    def __call__(self, literal, value: str, datatype: str) -> str:
        if datatype in _PLAIN_FORMS and _PLAIN_FORMS[datatype].fullmatch(value):
            return value  # already the store's form (most values: counts, dates, flags)
        key = (value, datatype)
        got = self.memo.get(key)
        if got is None:
            self.store.add(self.quad(self.s, self.p, literal))
            kept = next(iter(self.store.quads_for_pattern(self.s, self.p, None)))
            self.store.remove(kept)
            got = self.memo[key] = kept.object.value
        return got


def settle(nodes: dict) -> None:
    """Each node's predicates and each value list in code-point order, so that reading the same triples in
    any order gives the same nodes (the index is then byte for byte the same)."""
    for node in nodes.values():
        for d in (node.text, node.values, node.links):
            for lst in d.values():
                if len(lst) > 1:
                    lst.sort()
            if len(d) > 1:
                items = sorted(d.items())
                d.clear()
                d.update(items)
