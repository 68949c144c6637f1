"""An entity's display label (its rdfs:label, or one made from what it is about) and its most specific type."""

from __future__ import annotations

from .dataset import Node
from .expand import ALT_LABEL, ID, LABEL, MSCKG, Ontology

M = MSCKG


class EntityLabels:
    """Labels of the index's entities and of the terms they link to, each made once."""

    def __init__(self, nodes: dict[str, Node], onto: Ontology):
        self.nodes = nodes
        self.onto = onto
        self._labels: dict[str, str] = {}
        self._spec: dict[tuple, str] = {}

    def term_label(self, iri: str) -> str:
        t = self.onto.term(iri)
        return t.label if t else self.onto.curie(iri)

    def short(self, iri: str) -> str:
        return iri[len(ID):] if iri.startswith(ID) else self.onto.curie(iri)

    def label(self, iri: str) -> str:
        """The entity's rdfs:label, or a label made from what it is about."""
        if iri in self._labels:
            return self._labels[iri]
        self._labels[iri] = self.short(iri)  # guards against cycles
        node = self.nodes.get(iri)
        lab = self._make_label(iri, node) if node else self.short(iri)
        self._labels[iri] = " ".join(lab.split())[:300]
        return self._labels[iri]

    def _make_label(self, iri: str, node: Node) -> str:
        if node.text.get(LABEL):
            return node.first(LABEL)
        types = node.types
        where = node.link(M + "arm") or node.link(M + "population") or node.link(M + "trial")
        where_l = self.label(where) if where else ""
        if M + "AdverseEventCount" in types or node.text.get(M + "term"):
            band = node.link(M + "gradeBand")
            grade = self.term_label(band) if band else (f"grade {node.first(M + 'grade')}" if node.first(M + "grade") else "")
            n = f" {node.first(M + 'affected')}/{node.first(M + 'atRisk')}" if node.first(M + "atRisk") else ""
            return f"{node.first(M + 'term')}{f' [{grade}]' if grade else ''}{n}{f' — {where_l}' if where_l else ''}"
        if node.text.get(M + "characteristic") and not node.links.get(M + "outcome") and not node.links.get(M + "experimentalArm"):
            cat = node.first(M + "category")
            return f"{node.first(M + 'characteristic')}{f': {cat}' if cat else ''}{f' — {where_l}' if where_l else ''}"
        outcome = node.link(M + "outcome")
        what = self.label(outcome) if outcome else node.first(M + "characteristic")
        if node.links.get(M + "experimentalArm") or node.links.get(M + "comparatorArm"):
            kind = self.term_label(self._specific_type(node.types))
            est = node.first(M + "estimate")
            ci = f" (95% CI {node.first(M + 'ciLower')}–{node.first(M + 'ciUpper')})" if node.first(M + "ciLower") else ""
            p = f", p={node.first(M + 'pValue')}" if node.first(M + "pValue") else ""
            pop = node.link(M + "population")
            return f"{kind}{f' {est}{ci}' if est else ''}{p}: {what}{f' ({self.label(pop)})' if pop else ''}"
        if outcome:
            val = ""
            if node.first(M + "count"):
                val = f"{node.first(M + 'count')}/{node.first(M + 'denominator')}" if node.first(M + "denominator") else node.first(M + "count")
            elif node.first(M + "median"):
                val = f"median {node.first(M + 'median')}"
            elif node.first(M + "estimate"):
                val = node.first(M + "estimate")
            elif node.first(M + "valueText"):
                val = node.first(M + "valueText")[:80]
            return f"{what}{f' — {where_l}' if where_l else ''}{f': {val}' if val else ''}"
        if node.text.get(M + "problem"):
            return f"source problem: {node.first(M + 'problem')[:100]}"
        for pred in (M + "name", M + "term", ALT_LABEL, M + "title"):
            if node.text.get(pred):
                return node.first(pred)
        return self.short(iri)

    def _specific_type(self, types: set[str]) -> str:
        if not types:
            return ""
        return sorted(types, key=lambda t: (-len(self.onto.ancestors(t)), t))[0]

    def specific_type(self, node: Node) -> str:
        key = tuple(sorted(node.types))
        if key not in self._spec:
            self._spec[key] = self._specific_type(node.types)
        return self._spec[key]
