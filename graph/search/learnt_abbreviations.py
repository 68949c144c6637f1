"""Abbreviations the graph defines itself: an acronym-like name of an entity or term, with the longer name it stands for."""

from __future__ import annotations

from . import text as tx
from .dataset import Node
from .expand import ALT_LABEL, ID, LABEL, Ontology


def learn_abbreviations(nodes: dict[str, Node], onto: Ontology, linked_terms: set[str]) -> list[tuple[str, str, bool]]:
    """Acronym-like alternative names of the graph's own entities and terms, with what they stand for."""
    learnt: dict[tuple[str, str], bool] = {}
    builtin = tx.Abbreviations.builtin()
    done: set[tuple[str, ...]] = set()

    def consider(names: list[str]) -> None:
        shorts = [n for n in names if tx.looks_like_abbreviation(n)]
        if not shorts:
            return
        key = tuple(names)
        if key in done:
            return
        done.add(key)
        longs = [n for n in names if not tx.looks_like_abbreviation(n)]
        for a in shorts:
            if builtin.lookup(a):
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
