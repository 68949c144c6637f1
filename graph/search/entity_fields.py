"""The indexed fields of each entity: what is read from the graph, with what weight and why.

An entity is every IRI under https://w3id.org/msckg/id/ that has a type. Its fields, with the
weight they carry in the ranking (rank.py) and the reason shown in 'why':

| kind         | from                                                                  | weight |
|--------------|-----------------------------------------------------------------------|--------|
| label        | rdfs:label; an adverse-event term as printed; a baseline characteristic | 1.0   |
| synonym      | skos:altLabel, name, title, short name, product code, registry ID     | 0.95   |
| abbreviation | a label/synonym/text with its abbreviations spelt out                 | x 0.92 |
| ontology     | linked terms (event class, condition class, cell type, tissue source, outcome kind, qualifier, exact/close match): label and synonyms | 0.85 |
| ontology     | the same terms' ancestors in the ontology graph and MONDO/CL/UBERON   | 0.85 x 0.92^d |
| ontology     | the terms of a linked condition/product/drug/intervention/outcome     | x 0.85 |
| type         | the entity's class and superclasses (label and alt labels)            | 0.6 / 0.5 x 0.92^d |
| definition   | msckg:definition, skos:definition; linked external terms' definitions | 0.55 / 0.45 |
| attribute    | other linked controlled values (phase, grade band, route, marker...)  | 0.55   |
| attribute    | a boolean property that holds (infusion-related, dose-limiting, serious) | 0.55 |
| context      | the label of a result's or comparison's outcome                       | 0.7    |
| context      | labels of other linked entities (arm, trial, manufacturer...)         | 0.4    |
| text         | other text (notes, criteria, summaries, values as printed)            | 0.35   |

The labels (an entity's own, or one made from what it is about, also used as other entities'
context) are made in entity_labels.py; each distinct field is held once in field_table.py; the
abbreviations the graph defines itself are learnt in learnt_abbreviations.py.
"""

from __future__ import annotations

from . import text as tx
from .dataset import Node
from .entity_labels import EntityLabels
from .expand import ALT_LABEL, CLOSE, DEFINITION, EXACT, ID, LABEL, MSCKG, Ontology
from .field_table import Field, FieldTable
from .learnt_abbreviations import learn_abbreviations


MAX_FIELDS = 4000

W_LABEL, W_SYNONYM, W_ABBREV = 1.0, 0.95, 0.92
W_ONTOLOGY, W_ANCESTOR_DECAY, W_INHERIT = 0.85, 0.92, 0.85
W_TYPE, W_SUPERTYPE = 0.6, 0.5
W_DEFINITION, W_EXT_DEFINITION = 0.55, 0.45
W_ATTRIBUTE, W_CONTEXT, W_ABOUT, W_SOURCE, W_TEXT = 0.55, 0.4, 0.7, 0.2, 0.35
EVIDENCE_PRIOR = 0.92

M = MSCKG
NAME_PROPS = {  # predicate -> (kind, weight)
    LABEL: ("label", W_LABEL),
    M + "term": ("label", W_LABEL),
    ALT_LABEL: ("synonym", W_SYNONYM),
    M + "name": ("synonym", W_SYNONYM),
    M + "title": ("synonym", W_SYNONYM),
    M + "shortName": ("synonym", W_SYNONYM),
    M + "productCode": ("synonym", W_SYNONYM),
    M + "registryId": ("synonym", W_SYNONYM),
    M + "doi": ("synonym", 0.8),
    M + "issn": ("synonym", 0.8),
    M + "eissn": ("synonym", 0.8),
}
DEFINITION_PROPS = {M + "definition", DEFINITION}
SKIP_LITERALS = {
    M + "locator", M + "asPrinted", M + "sourceFile", M + "sourceSha256", M + "recordSha256", M + "loaderVersion",
    M + "orcid", M + "pValueBound", M + "volume", M + "issue", M + "articleNumber",
}
# links whose target term classifies the entity: the term, its synonyms and its ancestors are indexed
CLASSIFYING = {
    M + "eventClass", M + "conditionClass", M + "cellType", M + "tissueSource", M + "outcomeKind", M + "qualifier",
    EXACT, CLOSE, M + "populationType", M + "controlType",
}
# links to a part whose classifying terms the entity inherits (trial -> condition -> MONDO term)
INHERIT = {M + "condition", M + "product", M + "drug", M + "intervention", M + "outcome"}
NO_CONTEXT = {M + "authorship", M + "conflictDeclaration", M + "armSizeIn", M + "involvesOrganisation"}
LOW_CONTEXT = {M + "source"}
# links whose target says what the entity is: a result is a value of its outcome, a regimen doses its
# intervention, an intervention gives its product or drug
ABOUT = {M + "outcome", M + "intervention", M + "product", M + "drug"}
# static rank: reported values a little below the trials, products, arms and outcomes they are about
LOW_PRIOR = {M + "Result", M + "Comparison", M + "AdverseEventCount", M + "BaselineCharacteristic", M + "SourceConflict"}
GENERIC_TYPES = {M + "Entity", M + "Concept", "http://www.w3.org/ns/prov#Entity", "http://www.w3.org/ns/prov#Agent"}


class IndexBuilder:
    """Turns the dataset into entity documents (field ids into one FieldTable) and postings."""

    def __init__(self, nodes: dict[str, Node], onto: Ontology):
        self.nodes = nodes
        self.onto = onto
        self.entities = sorted(i for i, n in nodes.items() if i.startswith(ID) and n.types)
        linked = {o for i in self.entities for os_ in nodes[i].links.values() for o in os_ if not o.startswith(ID)}
        self.learnt = learn_abbreviations(nodes, onto, linked)
        self.abbrev = tx.Abbreviations.builtin().copy()
        for a, n, exact in self.learnt:
            self.abbrev.add(a, n, exact)
        self.table = FieldTable()
        self.labels = EntityLabels(nodes, onto)
        self._term_fields: dict[tuple[str, str, bool, float], list[Field]] = {}
        # pieces of an entity's document, each built once: a literal, the set of flags, the set of types, one link
        self._literal: dict[tuple, list[int]] = {}
        self._flags: dict[tuple, list[int]] = {}
        self._types: dict[tuple, list[int]] = {}
        self._link: dict[tuple[str, str], list[int]] = {}
        self._pname: dict[str, str] = {}
        self._closure: dict[tuple, tuple[str, ...]] = {}

    # -- types -------------------------------------------------------------------------------
    def closure(self, node: Node) -> tuple[str, ...]:
        """The entity's classes and all their superclasses (for --type and the static rank)."""
        key = tuple(sorted(node.types))
        if key not in self._closure:
            self._closure[key] = tuple(sorted({c for t in key for c in self.onto.class_closure(t)}))
        return self._closure[key]

    # -- fields ------------------------------------------------------------------------------
    def term_fields(self, iri: str, weight: float, via: str, ancestors: bool) -> list[Field]:
        """The label, synonyms (and ancestors, definition) of a linked term, as fields."""
        key = (iri, via, ancestors, round(weight, 4))
        if key in self._term_fields:
            return self._term_fields[key]
        out: list[Field] = []
        term = self.onto.term(iri)
        if term:
            head = f"{via} {term.curie} '{term.label}'"
            out.append(Field("ontology", weight, term.label, head))
            for s in term.synonyms:
                out.append(Field("ontology", weight * 0.97, s, f"{head}, synonym '{s}'"))
            if term.definition and not iri.startswith(M):
                out.append(Field("definition", W_EXT_DEFINITION * weight / W_ONTOLOGY, term.definition, f"definition of {term.curie} '{term.label}'"))
            if ancestors:
                for anc, d in self.onto.ancestors(iri):
                    at = self.onto.term(anc)
                    if not at:
                        continue
                    w = weight * (W_ANCESTOR_DECAY ** d)
                    h = f"{head} is a {at.curie} '{at.label}'"
                    out.append(Field("ontology", w, at.label, h))
                    for s in at.synonyms[:12]:
                        out.append(Field("ontology", w * 0.97, s, f"{h} (synonym '{s}')"))
        self._term_fields[key] = out
        return out

    def _pred_name(self, pred: str) -> str:
        name = self._pname.get(pred)
        if name is None:
            name = self._pname[pred] = pred[len(M):] if pred.startswith(M) else self.labels.term_label(pred)
        return name

    def _literal_fields(self, pred: str, v: str, has_label: bool, has_characteristic: bool) -> list[int]:
        pname = self._pred_name(pred)
        if pred in NAME_PROPS:
            kind, w = NAME_PROPS[pred]
            f = Field(kind, w, v, f"{kind} '{v}'" if kind == "label" else f"{pname} '{v}'")
        elif pred == M + "characteristic" and not has_label:
            f = Field("label", 0.95, v, f"characteristic '{v}'")
        elif pred == M + "category" and not has_label and has_characteristic:
            f = Field("label", 0.9, v, f"category '{v}'")
        elif pred in DEFINITION_PROPS:
            f = Field("definition", W_DEFINITION, v, f"definition '{_clip(v)}'")
        else:
            f = Field("text", W_TEXT, v, f"{pname} '{_clip(v)}'")
        out = [f]
        # abbreviations spelt out (they only ever compete with other abbreviation fields, so their place does not matter)
        if len(f.text) < 2000:
            for exp, used in self.abbrev.expand(f.text):
                what = ", ".join(f"{a} = {e}" for a, e in used)
                out.append(Field("abbreviation", f.weight * W_ABBREV, exp, f"abbreviation {what} in {f.detail}"))
        return self.table.add_all(out)

    def _flag_fields(self, flags: tuple[str, ...]) -> list[int]:
        out = []
        for pred in flags:  # boolean properties that hold (infusion-related, dose-limiting toxicity, serious...): their label
            term = self.onto.term(pred)
            if term:
                out.append(Field("attribute", W_ATTRIBUTE, term.label, f"{term.label} (msckg:{pred[len(M):]} true)" if pred.startswith(M)
                                 else f"{term.label} ({term.curie} true)"))
        return self.table.add_all(out)

    def _type_fields(self, types: tuple[str, ...]) -> list[int]:
        out = []
        for t in types:
            term = self.onto.term(t)
            if term:
                out.append(Field("type", W_TYPE, term.label, f"a {term.curie} '{term.label}'"))
                for s in term.synonyms:
                    out.append(Field("type", W_TYPE * 0.97, s, f"a {term.curie} '{term.label}' ({s})"))
            for anc, d in self.onto.ancestors(t):
                if anc in GENERIC_TYPES:
                    continue
                at = self.onto.term(anc)
                if at:
                    out.append(Field("type", W_SUPERTYPE * (W_ANCESTOR_DECAY ** (d - 1)), at.label,
                                     f"a {self.onto.curie(t)}, which is a {at.curie} '{at.label}'"))
        return self.table.add_all(out)

    def _link_fields(self, pred: str, o: str) -> list[int]:
        pname = pred[len(M):] if pred.startswith(M) else self.onto.curie(pred)
        out: list[Field] = []
        if o.startswith(ID):
            if pred in NO_CONTEXT:
                return []
            w = W_SOURCE if pred in LOW_CONTEXT else (W_ABOUT if pred in ABOUT else W_CONTEXT)
            lab = self.labels.label(o)
            out.append(Field("context", w, lab, f"{pname} '{_clip(lab)}'"))
            if pred in INHERIT and o in self.nodes:
                for p2, objs2 in self.nodes[o].links.items():
                    if p2 in CLASSIFYING:
                        p2name = p2[len(M):] if p2.startswith(M) else self.onto.curie(p2)
                        for o2 in sorted(set(objs2)):
                            if not o2.startswith(ID):
                                out.extend(self.term_fields(o2, W_ONTOLOGY * W_INHERIT, f"{pname} '{_clip(lab, 60)}' has {p2name}", True))
        elif pred in CLASSIFYING:
            out.extend(self.term_fields(o, W_ONTOLOGY, pname, True))
        else:
            for f in self.term_fields(o, W_ATTRIBUTE, pname, False):
                if f.kind == "ontology":
                    out.append(Field("attribute", f.weight, f.text, f.detail))
        return self.table.add_all(out)

    def field_ids(self, iri: str) -> list[int]:
        """The entity's fields (ids), the strongest per kind and normal text, in no particular order."""
        node = self.nodes[iri]
        raw: list[int] = []
        text = node.text
        has_label = bool(text.get(LABEL))
        has_char = bool(text.get(M + "characteristic"))
        lit = self._literal
        for pred, vals in text.items():
            if pred in SKIP_LITERALS:
                continue
            for v in vals:
                key = (pred, v, has_label, has_char)
                got = lit.get(key)
                if got is None:
                    got = lit[key] = self._literal_fields(pred, v, has_label, has_char)
                raw.extend(got)
        if node.flags:
            key = tuple(sorted(node.flags))
            got = self._flags.get(key)
            if got is None:
                got = self._flags[key] = self._flag_fields(key)
            raw.extend(got)
        key = tuple(sorted(node.types))
        got = self._types.get(key)
        if got is None:
            got = self._types[key] = self._type_fields(key)
        raw.extend(got)
        links = self._link
        for pred, objs in node.links.items():
            for o in (sorted(set(objs)) if len(objs) > 1 else objs):
                k2 = (pred, o)
                got = links.get(k2)
                if got is None:
                    got = links[k2] = self._link_fields(pred, o)
                raw.extend(got)
        # keep the strongest field per (kind, normal text); the first of equal ones
        dkey, weight = self.table.dkey, self.table.weight
        best: dict[int, int] = {}
        for f in raw:
            k = dkey[f]
            if k < 0:
                continue
            b = best.get(k)
            if b is None or weight[b] < weight[f]:
                best[k] = f
        return list(best.values())

    def semantic_text(self, iri: str, fields: list[Field]) -> str:
        """A short text for the sentence embedder: names and classifying terms, not the display label's context.

        The display label of a reported value carries its arm and trial ('Fever [grade 3-4] 2/40 — MSC
        group...'); embedded whole, that context outweighs the concept, so the entity's own label fields
        come first and the display label is used only when it has none.
        """
        parts = [f.text for f in fields if f.kind == "label"][:2] or [self.labels.label(iri)]
        for f in fields:
            if f.kind in ("synonym", "label", "type") or (f.kind == "ontology" and f.weight >= W_ONTOLOGY * 0.97):
                if f.text not in parts:
                    parts.append(f.text)
            if sum(len(p) for p in parts) > 400:
                break
        return "; ".join(parts)


def _clip(s: str, n: int = 90) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"

