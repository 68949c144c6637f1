"""The hold-out measure of `link`: remove the graph's own links, propose terms again, count the right first proposals."""

from __future__ import annotations

from .expand import CLOSE, EXACT, EXTERNAL_ONTOLOGIES, ID, ExternalOntologies
from .link import Linker
from .link_slots import SLOTS, M
from .link_tables import ae_terms, is_term


def gold_links(store) -> tuple[list[tuple[str, str, set[str], str]], list]:
    """The graph's own links to external/AE terms: [(subject, slot, {targets}, category)] and their quads."""
    from .dataset import read_dataset

    nodes, onto = read_dataset(store)
    ae = ae_terms(onto)
    gold: dict[tuple[str, str], set[str]] = {}
    cats: dict[tuple[str, str], str] = {}
    drop = []
    known = set(onto.labels)

    def resolvable(o: str) -> bool:
        c = onto.curie(o)
        return o in known or (c.split(":", 1)[0] in EXTERNAL_ONTOLOGIES and ExternalOntologies.term(c) is not None)

    for iri, node in nodes.items():
        if iri.startswith(ID):
            for slot in SLOTS:
                for o in node.links.get(slot.predicate, []):
                    if slot.name == "eventClass":
                        cat = "eventClass (local AE class)" if o.startswith(M) else "eventClass (external term)"
                        if o not in ae:
                            continue
                    else:
                        cat = slot.name
                        if not resolvable(o):
                            continue
                    gold.setdefault((iri, slot.name), set()).add(o)
                    cats[(iri, slot.name)] = cat
                    drop.append((iri, slot.predicate, o))
        elif iri.startswith(M) and is_term(onto, iri):
            for pred in (EXACT, CLOSE):
                for o in node.links.get(pred, []):
                    if not o.startswith(M) and resolvable(o):
                        slot = "match-ae" if iri in ae else "match"
                        gold.setdefault((iri, slot), set()).add(o)
                        cats[(iri, slot)] = "ontology term alignment"
                        drop.append((iri, pred, o))
    return [(s, sl, t, cats[(s, sl)]) for (s, sl), t in sorted(gold.items())], drop


def store_without(store, drop: list[tuple[str, str, str]]):
    """A copy of an Oxigraph store without the given (subject, predicate, object) triples, in any graph."""
    import pyoxigraph as ox

    dropped = set(drop)
    out = ox.Store()
    quads = [q for q in store.quads_for_pattern(None, None, None, None)
             if not (isinstance(q.object, ox.NamedNode) and (q.subject.value, q.predicate.value, q.object.value) in dropped)]
    out.extend(quads)
    return out


def holdout_rate(linker: Linker, gold: list[tuple[str, str, set[str], str]], prefer_declared: bool = True) -> dict:
    """Share of held-out links whose first proposal is a right term, overall and per category."""
    tasks = {(t.iri, t.slot): t for t in linker.tasks("all")}
    per: dict[str, list[int]] = {}
    misses = []
    for subject, slot, targets, cat in gold:
        task = tasks.get((subject, slot))
        ok = 0
        top = None
        if task is not None:
            cands = linker.link_task(task, limit=1, prefer_declared=prefer_declared)
            top = cands[0].iri if cands else None
            ok = int(top in targets)
        per.setdefault(cat, []).append(ok)
        if not ok:
            misses.append((subject, slot, sorted(targets), top))
    allv = [x for v in per.values() for x in v]
    return {"overall": sum(allv) / len(allv) if allv else 0.0, "n": len(allv),
            "categories": {k: {"rate": sum(v) / len(v), "n": len(v)} for k, v in sorted(per.items())}, "misses": misses}
