"""Answers converted from pyoxigraph to rdflib terms: each distinct term once, the same rows as term by term."""

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from msckg.graph.store.terms import rows_to_rdflib, to_rdflib


def _solutions():
    store = ox.Store()
    ex = "https://example.org/"
    for i in range(30):
        s = ox.NamedNode(f"{ex}s{i % 7}")
        store.add(ox.Quad(s, ox.NamedNode(ex + "n"), ox.Literal(str(i % 4), datatype=ox.NamedNode(str(XSD.integer)))))
        store.add(ox.Quad(s, ox.NamedNode(ex + "l"), ox.Literal(f"label {i % 3}", language="en")))
        store.add(ox.Quad(s, ox.NamedNode(ex + "b"), ox.BlankNode(f"b{i % 2}")))
    q = ("SELECT ?s ?n ?l ?b ?none WHERE { ?s <https://example.org/n> ?n ; <https://example.org/l> ?l ; "
         "<https://example.org/b> ?b OPTIONAL { ?s <https://example.org/nothing> ?none } } ORDER BY ?s ?n ?l ?b")
    return lambda: store.query(q)


def test_rows_equal_term_by_term_conversion():
    run = _solutions()
    names = ["s", "n", "l", "b", "none"]
    expected = [tuple(to_rdflib(sol[n]) for n in names) for sol in run()]
    got = rows_to_rdflib(run(), names)
    assert got == expected and len(got) > 30
    kinds = {type(t) for row in got for t in row}
    assert {URIRef, Literal, BNode, type(None)} <= kinds
    # the typed and language-tagged literals keep their datatype and tag
    assert all(r[1].datatype == XSD.integer and r[2].language == "en" and r[4] is None for r in got)


def test_each_distinct_term_is_one_object():
    got = rows_to_rdflib(_solutions()(), ["s", "l"])
    labels = [r[1] for r in got]
    assert len({id(x) for x in labels}) == len(set(labels)) == 3
