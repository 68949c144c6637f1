"""The search index as the first version built it (a set of every triple, dataclass nodes, one field list per entity).

Kept only as the reference that tests/test_search_index_build.py compares graph/search/index.py
against: the one-pass reader and the shared field table must give the same index, table by table.
Where the old code called helpers that did not change (labels, term fields, the ontology), this
reuses them from the new IndexBuilder (the labels from its EntityLabels).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from msckg.graph.search import text as tx
from msckg.graph.search.dataset import RDF_LANGSTRING, XSD_BOOLEAN, XSD_STRING, settle
from msckg.graph.search.expand import ALT_LABEL, ID, LABEL, MSCKG, RDF_TYPE, Ontology
from msckg.graph.search.entity_fields import (ABOUT, CLASSIFYING, DEFINITION_PROPS, EVIDENCE_PRIOR, GENERIC_TYPES, INHERIT,
                                              LOW_CONTEXT, LOW_PRIOR, MAX_FIELDS, NAME_PROPS, NO_CONTEXT, SKIP_LITERALS, W_ABBREV,
                                              W_ABOUT, W_ANCESTOR_DECAY, W_ATTRIBUTE, W_CONTEXT, W_DEFINITION, W_INHERIT, W_ONTOLOGY,
                                              W_SOURCE, W_SUPERTYPE, W_TEXT, W_TYPE, IndexBuilder, _clip)
from msckg.graph.search.field_table import Field
from msckg.graph.search.indexfile import POSTING

M = MSCKG


@dataclass
class OldNode:
    types: set[str] = field(default_factory=set)
    text: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    flags: set[str] = field(default_factory=set)
    links: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def first(self, pred: str) -> str:
        vals = self.text.get(pred) or self.values.get(pred) or []
        return sorted(vals)[0] if vals else ""

    def link(self, pred: str) -> str:
        vals = self.links.get(pred) or []
        return sorted(vals)[0] if vals else ""


def old_read_dataset(store) -> tuple[dict[str, OldNode], Ontology]:
    import pyoxigraph as ox

    from msckg.loader.schema import read_prefixes

    nodes: dict[str, OldNode] = {}
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
            node = nodes.setdefault(sv, OldNode())
            dt = o.datatype.value if o.datatype else XSD_STRING
            (node.text if dt in (XSD_STRING, RDF_LANGSTRING) else node.values)[pv].append(o.value)
            if dt == XSD_BOOLEAN and o.value in ("true", "1"):
                node.flags.add(pv)
            if not sv.startswith(ID):
                onto.add_triple(sv, pv, o.value, True)
        elif isinstance(o, ox.NamedNode):
            node = nodes.setdefault(sv, OldNode())
            if pv == RDF_TYPE:
                node.types.add(o.value)
            else:
                node.links[pv].append(o.value)
            if not sv.startswith(ID):
                onto.add_triple(sv, pv, o.value, False)
    settle(nodes)  # the values in code-point order, as the new reader leaves them (order-independent reading)
    onto.settle()
    onto.set_prefixes(dict(read_prefixes().prefix_map))
    return nodes, onto


def old_learn_abbreviations(nodes, onto: Ontology, linked_terms: set[str]) -> list[tuple[str, str, bool]]:
    learnt: dict[tuple[str, str], bool] = {}

    def consider(names: list[str]) -> None:
        shorts = [n for n in names if tx.looks_like_abbreviation(n)]
        longs = [n for n in names if not tx.looks_like_abbreviation(n)]
        for a in shorts:
            if tx.Abbreviations.builtin().lookup(a):
                continue
            for n in longs:
                if tx.is_acronym_of(a, n) and a.lower() not in tx.fold(n):
                    learnt[(a, n)] = len(a.rstrip("s")) <= 3
                    break

    for iri, node in nodes.items():
        if iri.startswith(ID):
            consider(node.text.get(LABEL, []) + node.text.get(ALT_LABEL, []))
    for iri in set(onto.labels) | linked_terms:
        term = onto.term(iri)
        if term:
            consider([term.label] + term.synonyms)
    return sorted((a, n, exact) for (a, n), exact in learnt.items())


class OldBuilder(IndexBuilder):
    """The first version's per-entity field list, on the shared label and term-field helpers."""

    def __init__(self, nodes, onto):
        super().__init__(nodes, onto)
        linked = {o for i in self.entities for p, os_ in nodes[i].links.items() for o in os_ if not o.startswith(ID)}
        self.learnt = old_learn_abbreviations(nodes, onto, linked)
        self.abbrev = tx.Abbreviations.builtin().copy()
        for a, n, exact in self.learnt:
            self.abbrev.add(a, n, exact)

    def old_fields(self, iri: str) -> list[Field]:
        node = self.nodes[iri]
        out: list[Field] = []
        has_label = bool(node.text.get(LABEL))
        for pred, vals in node.text.items():
            if pred in SKIP_LITERALS:
                continue
            pname = self.labels.term_label(pred) if not pred.startswith(M) else pred[len(M):]
            for v in vals:
                if pred in NAME_PROPS:
                    kind, w = NAME_PROPS[pred]
                    out.append(Field(kind, w, v, f"{kind} '{v}'" if kind == "label" else f"{pname} '{v}'"))
                elif pred == M + "characteristic" and not has_label:
                    out.append(Field("label", 0.95, v, f"characteristic '{v}'"))
                elif pred == M + "category" and not has_label and node.text.get(M + "characteristic"):
                    out.append(Field("label", 0.9, v, f"category '{v}'"))
                elif pred in DEFINITION_PROPS:
                    out.append(Field("definition", W_DEFINITION, v, f"definition '{_clip(v)}'"))
                else:
                    out.append(Field("text", W_TEXT, v, f"{pname} '{_clip(v)}'"))
        for pred in sorted(node.flags):
            term = self.onto.term(pred)
            if term:
                out.append(Field("attribute", W_ATTRIBUTE, term.label, f"{term.label} (msckg:{pred[len(M):]} true)" if pred.startswith(M)
                                 else f"{term.label} ({term.curie} true)"))
        for f in list(out):
            if f.kind in ("label", "synonym", "text", "definition") and len(f.text) < 2000:
                for exp, used in self.abbrev.expand(f.text):
                    what = ", ".join(f"{a} = {e}" for a, e in used)
                    out.append(Field("abbreviation", f.weight * W_ABBREV, exp, f"abbreviation {what} in {f.detail}"))
        for t in sorted(node.types):
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
        for pred, objs in node.links.items():
            pname = pred[len(M):] if pred.startswith(M) else self.onto.curie(pred)
            for o in sorted(set(objs)):
                if o.startswith(ID):
                    if pred in NO_CONTEXT:
                        continue
                    w = W_SOURCE if pred in LOW_CONTEXT else (W_ABOUT if pred in ABOUT else W_CONTEXT)
                    lab = self.labels.label(o)
                    out.append(Field("context", w, lab, f"{pname} '{_clip(lab)}'"))
                    if pred in INHERIT and o in self.nodes:
                        sub = self.nodes[o]
                        for p2, objs2 in sub.links.items():
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
        best: dict[tuple[str, str], Field] = {}
        for f in out:
            if not f.text or not f.text.strip():
                continue
            k = (f.kind, tx.normal(f.text))
            if not k[1]:
                continue
            if k not in best or best[k].weight < f.weight:
                best[k] = f
        fields = sorted(best.values(), key=lambda f: (-f.weight, f.kind, f.text))
        return fields[:MAX_FIELDS]


def old_index(store) -> dict:
    """The tables the first version wrote (entity, posting, typeidx, prior), the learnt abbreviations and the embedder's texts."""
    nodes, onto = old_read_dataset(store)
    builder = OldBuilder(nodes, onto)
    postings: dict[str, list[tuple[int, int, int, float]]] = defaultdict(list)
    rows, sem_texts, priors = [], [], []
    type_members: dict[str, list[int]] = defaultdict(list)
    for eid, iri in enumerate(builder.entities):
        node = nodes[iri]
        flds = builder.old_fields(iri)
        stored = []
        for fidx, f in enumerate(flds):
            seq = tx.content_terms(f.text)
            toks = set(seq)
            if not toks:
                continue
            n = min(len(toks), 32767)
            for t in toks | set(tx.bigrams(seq)):
                postings[t].append((eid, fidx, n, f.weight))
            stored.append([f.kind, round(f.weight, 4), f.text[:500], f.detail[:400]])
        spec = builder.labels._specific_type(node.types)
        closure = {c for t in node.types for c in onto.class_closure(t)}
        priors.append(EVIDENCE_PRIOR if closure & LOW_PRIOR else 1.0)
        rows.append((eid, iri, builder.labels.label(iri), onto.curie(spec) if spec else "", json.dumps(stored, ensure_ascii=False)))
        sem_texts.append(builder.semantic_text(iri, flds))
        for t in node.types:
            for c in onto.class_closure(t):
                type_members[c].append(eid)
    posting = {}
    for tok, plist in postings.items():
        arr = np.array(plist, dtype=POSTING)
        posting[tok] = (len(np.unique(arr["e"])) if " " not in tok else 0, arr.tobytes())
    return {
        "entity": rows,
        "posting": posting,
        "typeidx": {c: (onto.curie(c), builder.labels.term_label(c), np.array(sorted(set(ids)), dtype="<i4").tobytes())
                    for c, ids in type_members.items()},
        "prior": np.array(priors, dtype="<f4").tobytes(),
        "abbreviations_learnt": [list(x) for x in builder.learnt],
        "tokens": sum(1 for t in postings if " " not in t),
        "postings": sum(len(p) for t, p in postings.items() if " " not in t),
        "sem_texts": sem_texts,
    }
