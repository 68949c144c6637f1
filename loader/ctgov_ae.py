"""Adverse events of a ClinicalTrials.gov record: one count per event row and group, group totals (deaths,
serious, other), and each event's class from its term and organ system (docs/ctgov.md, "Adverse-event classes")."""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from rdflib import RDFS, SKOS, Literal, URIRef
from rdflib.namespace import XSD

from .ctgov_context import NON_NEGATIVE_INTEGER, Ctx, arr, contains_phrase, obj, slug, text
from .ctgov_groups import Target, results_module
from .schema import ID, MSCKG, default_schema, read_prefixes

AE_TERM_MAPPINGS = Path(__file__).resolve().parent / "ctgov_ae_terms.sssom.tsv"
ACCEPTED = {"skos:exactMatch", "skos:closeMatch"}
OBO_AE_ROOT = URIRef("http://purl.obolibrary.org/obo/OAE_0000001")  # adverse event
BASE = "resultsSection.adverseEventsModule"
# Group totals: (field prefix, term as msckg writes it, serious, event class). Serious and other totals are
# counts of any adverse event: the OAE root, as curated totals are.
TOTALS = (("deaths", "All-Cause Mortality", True, MSCKG.AE_Death),
          ("serious", "Total, serious adverse events", True, OBO_AE_ROOT),
          ("other", "Total, other adverse events", False, OBO_AE_ROOT))


def fold(value: str) -> tuple[str, ...]:
    """Words of a term with British and American spellings made one ('haemorrhage' = 'hemorrhage', 'oedema' = 'edema')."""
    s = unicodedata.normalize("NFKC", value).casefold()
    s = re.sub(r"ae", "e", re.sub(r"oe", "e", s)).replace("tumour", "tumor")
    return tuple(re.findall(r"[^\W_]+", s))


class AeClassifier:
    """Event class of a (term, organ system): the class whose label or synonym the term is, else a reviewed term row,
    else the class whose label the term contains (the longest), else a reviewed organ-system row."""

    def __init__(self, labels: dict[tuple[str, ...], set[URIRef]], terms: dict, systems: dict, refused: dict):
        self.labels = labels          # folded label or synonym -> classes having it
        self.terms = terms            # folded term -> class (reviewed rows)
        self.systems = systems        # folded organ system -> class (reviewed rows)
        self.refused = refused        # folded term -> classes a reviewed 'Not' row refuses
        self._seen: dict[tuple[str, str | None], tuple[URIRef | None, str]] = {}

    def classify(self, term: str, organ_system: str | None) -> tuple[URIRef | None, str]:
        """(class or None, how it was found)."""
        got = self._seen.get((term, organ_system))
        if got is None:
            got = self._seen[(term, organ_system)] = self._classify(term, organ_system)
        return got

    def _classify(self, term: str, organ_system: str | None) -> tuple[URIRef | None, str]:
        key = fold(term)
        refused = self.refused.get(key, set())
        exact = self.labels.get(key, set()) - refused
        if len(exact) == 1:
            return next(iter(exact)), "the term is the class's label or synonym"
        if key in self.terms:
            return self.terms[key], "reviewed mapping of the term (loader/ctgov_ae_terms.sssom.tsv)"
        within = [(len(lab), c) for lab, cs in self.labels.items() for c in cs - refused if contains_phrase(key, lab)]
        if within:
            longest = max(n for n, _ in within)
            best = {c for n, c in within if n == longest}
            if len(best) == 1:
                return next(iter(best)), "the term contains the class's label or synonym"
        if organ_system and fold(organ_system) in self.systems:
            return self.systems[fold(organ_system)], "reviewed mapping of the organ system (loader/ctgov_ae_terms.sssom.tsv)"
        return None, ""


def _read_mappings(path: Path) -> tuple[dict, dict, dict]:
    conv = read_prefixes()
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    terms, systems, refused = {}, {}, {}
    for row in csv.DictReader(lines, delimiter="\t"):
        if not row.get("reviewer_id") or row.get("predicate_id") not in ACCEPTED:
            continue
        cls = URIRef(conv.expand_strict(row["object_id"]))
        key = fold(row["subject_label"])
        if row.get("predicate_modifier", "").casefold() == "not":
            refused.setdefault(key, set()).add(cls)
        elif row["subject_id"].partition(":")[2].startswith("soc/"):
            systems[key] = cls
        else:
            terms[key] = cls
    return terms, systems, refused


@lru_cache(maxsize=1)
def classifier() -> AeClassifier:
    schema = default_schema()
    g = schema.graph
    labels: dict[tuple[str, ...], set[URIRef]] = {}
    for cls in schema.classes:
        if cls != MSCKG.AdverseEventTerm and schema.is_a({cls}, MSCKG.AdverseEventTerm):
            for p in (RDFS.label, SKOS.altLabel):
                for lab in g.objects(cls, p):
                    labels.setdefault(fold(str(lab)), set()).add(cls)
    labels.pop(fold("other adverse event"), None)  # the catch-all class is never a lexical match
    return AeClassifier(labels, *_read_mappings(AE_TERM_MAPPINGS))


def write_adverse_events(ctx: Ctx, rs: dict) -> None:
    ae, targets = results_module(ctx, rs, "adverseEventsModule", "eventGroups")
    if ae is None:
        return
    pub = f"pub/ctgov-{ctx.nct}/ae"
    for gi, g in enumerate(arr(ae.get("eventGroups"))):
        g = obj(g)
        gid = text(g.get("id")) or ""
        for field_, term, serious, event_class in TOTALS:
            affected, at_risk = text(g.get(f"{field_}NumAffected")), text(g.get(f"{field_}NumAtRisk"))
            if affected is None and at_risk is None:
                continue
            path = f"{BASE}.eventGroups[{gi}].{field_}NumAffected"
            target = targets.get(gid)
            if target is None:
                ctx.reject("adverse-event count", path, "event group without an id")
                continue
            node = ID[f"{pub}/{field_}-total/{slug(gid)}"]
            _count(ctx, node, path, term, serious, affected, at_risk, None, target, event_class)
    seen_terms: set[tuple[str, str]] = set()
    for kind, serious in (("seriousEvents", True), ("otherEvents", False)):
        for i, ev in enumerate(arr(ae.get(kind))):
            ev = obj(ev)
            term, system = text(ev.get("term")), text(ev.get("organSystem"))
            event_class = classifier().classify(term, system)[0] if term else None
            if term and event_class is None and (system or "", term) not in seen_terms:
                seen_terms.add((system or "", term))
                ctx.unclassed_terms.append((system or "", term))
            for j, stat in enumerate(arr(ev.get("stats"))):
                stat = obj(stat)
                path = f"{BASE}.{kind}[{i}].stats[{j}]"
                if not term:
                    ctx.reject("adverse-event count", path, "adverse event without a term")
                    continue
                gid = text(stat.get("groupId")) or ""
                target = targets.get(gid)
                if target is None:
                    ctx.reject("adverse-event count", path, f"event group {gid!r} is not among eventGroups")
                    continue
                node = ID[f"{pub}/{'serious' if serious else 'other'}/{i}/{slug(gid)}"]
                _count(ctx, node, path, term, serious, text(stat.get("numAffected")), text(stat.get("numAtRisk")),
                       text(stat.get("numEvents")), target, event_class, system)


def _count(ctx: Ctx, node: URIRef, path: str, term: str, serious: bool, affected: str | None, at_risk: str | None,
           events: str | None, target: Target, event_class: URIRef | None, organ_system: str | None = None) -> None:
    for name, val in (("affected", affected), ("atRisk", at_risk), ("events", events)):
        if val is not None and not NON_NEGATIVE_INTEGER.match(val):
            ctx.reject("adverse-event count", path, f"{name} '{val}' is not a whole number")
            return
    if affected is None:
        ctx.reject("adverse-event count", path, "no number of subjects affected")
        return
    ctx.evidence(node, MSCKG.AdverseEventCount, path)
    ctx.add(node, MSCKG["term"], Literal(term))
    ctx.add(node, MSCKG.serious, Literal("true" if serious else "false", datatype=XSD.boolean))
    ctx.add(node, MSCKG.relatedness, MSCKG.RelatednessNotStated)  # registry AE tables are all-cause
    ctx.add(node, target.predicate, target.iri)
    ctx.number(node, "affected", affected, path)
    if at_risk is not None:
        ctx.number(node, "atRisk", at_risk, path)
    if events is not None:
        ctx.number(node, "events", events, path)
    if event_class is not None:
        ctx.add(node, MSCKG.eventClass, event_class)
    ctx.text(node, MSCKG.category, organ_system)
    ctx.ok("adverse-event count")
