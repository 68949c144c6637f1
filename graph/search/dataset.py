"""The dataset as the search index sees it: every IRI subject with its types, text, values, flags and links."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .expand import ID, MSCKG, RDF_TYPE, Ontology

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


@dataclass
class Node:
    """Everything the dataset says about one IRI subject."""

    types: set[str] = field(default_factory=set)
    text: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))    # string literals
    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # typed literals
    flags: set[str] = field(default_factory=set)                                     # boolean properties that are true
    links: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))   # IRI objects

    def first(self, pred: str) -> str:
        vals = self.text.get(pred) or self.values.get(pred) or []
        return sorted(vals)[0] if vals else ""

    def link(self, pred: str) -> str:
        vals = self.links.get(pred) or []
        return sorted(vals)[0] if vals else ""



def read_dataset(store) -> tuple[dict[str, Node], Ontology]:
    """Every IRI subject of the store (all graphs) and the ontology of the terms it uses."""
    import pyoxigraph as ox

    nodes: dict[str, Node] = {}
    onto = Ontology()
    seen: set[tuple] = set()
    for q in store.quads_for_pattern(None, None, None, None):
        s, p, o = q.subject, q.predicate, q.object
        if not isinstance(s, ox.NamedNode):
            continue
        key = (s.value, p.value, str(o))
        if key in seen:
            continue
        seen.add(key)
        sv, pv = s.value, p.value
        if isinstance(o, ox.Literal):
            node = nodes.setdefault(sv, Node())
            dt = o.datatype.value if o.datatype else XSD_STRING
            (node.text if dt in (XSD_STRING, RDF_LANGSTRING) else node.values)[pv].append(o.value)
            if dt == XSD_BOOLEAN and o.value in ("true", "1"):
                node.flags.add(pv)
            if not sv.startswith(ID):
                onto.add_triple(sv, pv, o.value, True)
        elif isinstance(o, ox.NamedNode):
            node = nodes.setdefault(sv, Node())
            if pv == RDF_TYPE:
                node.types.add(o.value)
            else:
                node.links[pv].append(o.value)
            if not sv.startswith(ID):
                onto.add_triple(sv, pv, o.value, False)
    del seen
    from msckg.loader.schema import read_prefixes

    try:
        onto.set_prefixes(dict(read_prefixes().prefix_map))
    except Exception:  # the prefixes file is the project's; without it CURIEs fall back to IRIs
        onto.set_prefixes({"msckg": MSCKG, "id": ID})
    return nodes, onto
