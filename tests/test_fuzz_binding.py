"""Property tests of query-parameter binding: any value either is refused with ParamError/BindingError or
is bound so that the query keeps its structure and the value comes back exactly as given."""

from __future__ import annotations

import pyoxigraph as ox
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Literal, URIRef

from msckg.graph.query.binding import BindingError, bind_with_values
from msckg.graph.query.files import Param
from msckg.graph.query.saved import ParamError, coerce, saved_queries
from msckg.graph.store.terms import to_rdflib

from . import fuzzing  # noqa: F401  (profiles)

HOSTILE = st.sampled_from(['"', "'", "}", "{", ">", "<", "\\", "\n", "\r", "#", " . } INSERT DATA { <a> <b> <c> } #", "\\u0022",
                           "\"@en", "^^", "?x", "$x", ")", "(", "VALUES", "UNDEF", "\x00", "\u2028", "\ud7ff", "\U0001F600"])
VALUES = st.one_of(st.text(max_size=40), st.lists(HOSTILE | st.text(max_size=3), max_size=8).map("".join))
STORE = ox.Store()  # empty: the probe query answers from its VALUES row alone
PROBE = 'SELECT ?v ?marker WHERE { BIND("intact" AS ?marker) }'
PARAMS = [Param("v", t, None, "", pattern, lo, hi) for t, pattern, lo, hi in
          [("string", None, None, None), ("string", r"[A-Za-z ]+", None, None), ("integer", None, 0, 10), ("decimal", None, 0, 100),
           ("boolean", None, None, None), ("iri", None, None, None)]]


def _round_trip(term) -> None:
    query = bind_with_values(PROBE, {"v": term})
    sols = list(STORE.query(query))
    assert [v.value for v in STORE.query(query).variables] == ["v", "marker"]
    assert len(sols) == 1 and sols[0]["marker"].value == "intact"  # one row, the rest of the query untouched
    back = to_rdflib(sols[0]["v"])
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype).endswith("#decimal"):
        assert back.toPython() == term.toPython()  # stores write decimals canonically (0.0 -> 0, decision 0004)
    else:
        assert back == term  # the value comes back exactly


@given(st.sampled_from(PARAMS), VALUES)
def test_coerced_values_bind_without_changing_the_query(param, text):
    try:
        term = coerce(param, text)
    except ParamError:
        return
    try:
        _round_trip(term)
    except BindingError:
        assert param.type == "iri"  # only an IRI can hold characters that cannot be bound
    if param.type == "string":
        assert str(term) == text


@given(VALUES, st.sampled_from([None, "en", "en-GB", "x" * 9]))
def test_any_literal_round_trips(text, lang):
    try:
        _round_trip(Literal(text, lang=lang))
    except BindingError:
        assert lang and len(lang) > 8  # only a malformed tag (a subtag of more than 8) is refused


@given(st.text(max_size=30).map(lambda s: "http://example.org/" + s))
def test_iris_bind_or_are_refused(text):
    try:
        _round_trip(URIRef(text))
    except BindingError:
        pass


QUERIES = [(q, p) for q in saved_queries().values() for p in q.params]


@given(st.sampled_from(QUERIES), VALUES)
def test_saved_queries_keep_their_columns_whatever_the_value(qp, text):
    query, param = qp
    try:
        term = coerce(param, text)
        bound = bind_with_values(query.text, {param.name: term})
    except (ParamError, BindingError):
        return
    default = bind_with_values(query.text, {param.name: coerce(param, param.default)}) if param.default is not None else None
    got = [v.value for v in STORE.query(bound, use_default_graph_as_union=True).variables]
    if default is not None:
        assert got == [v.value for v in STORE.query(default, use_default_graph_as_union=True).variables]
