"""Saved-query parameters: typed, validated, and bound (never pasted into the query text).

A value that does not fit its parameter's type or range is refused with a ParamError; a value
that fits is bound as one RDF term, so quotes, braces, newlines or SPARQL keywords inside it can
change neither the query nor its result's shape, and a string comes back exactly as given.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import XSD

from msckg.graph.query.files import read_query_file
from msckg.graph.safety import check_query
from msckg.graph.query.saved import ParamError, bindings_for, coerce, run_saved
from msckg.graph.store.base import Rows
from msckg.graph.store.embedded import EmbeddedStore
from msckg.graph.store.generations import swap_live, write_generation
from msckg.graph.store.terms import to_oxigraph, to_rdflib

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib 7's Dataset internals

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
FIXTURE = ROOT / "tests" / "fixtures" / "synthetic.trig"
AE = read_query_file(QUERIES / "adverse-events.rq")

HOSTILE = [
    '"',
    "'",
    '"""',
    "}",
    "a\nb",
    "line one\r\nline two\t(tab)",
    "\\u0022",          # a SPARQL escape for a quote: harmless once bound
    '\u0022',           # the quote character itself
    'x" } ; DROP ALL #',
    "' } INSERT DATA { <http://a> <http://b> <http://c> } #",
    '") } UNION { ?s ?p ?o } #',
    "?text",
    "<http://example.org/x>",
    "\\",
    "# comment",
    "",
    "émoji 🧬 and ünïcode",
]


class OxigraphMemoryStore:
    """The embedded store's select/ask, on an in-memory Oxigraph store (mirrors EmbeddedStore)."""

    def __init__(self, store: ox.Store | None = None):
        self.oxigraph = store or ox.Store()

    def select(self, query: str, bindings=None) -> Rows:
        check_query(query)
        subs = {ox.Variable(k): to_oxigraph(v) for k, v in (bindings or {}).items()}
        res = self.oxigraph.query(query, use_default_graph_as_union=True, substitutions=subs)
        names = [v.value for v in res.variables]
        return Rows(names, [tuple(to_rdflib(sol[n]) for n in names) for sol in res])


class RdflibStore:
    """The same interface over rdflib (initBindings), the second SPARQL implementation."""

    def __init__(self, ds: Dataset | None = None):
        self.ds = ds if ds is not None else Dataset(default_union=True)

    def select(self, query: str, bindings=None) -> Rows:
        check_query(query)
        res = self.ds.query(query, initBindings=bindings or {})
        return Rows([str(v) for v in res.vars], [tuple(r) for r in res])


class RecordingStore:
    """Remembers what it was asked: the query text and the bindings."""

    def __init__(self):
        self.calls = []

    def select(self, query: str, bindings=None) -> Rows:
        self.calls.append((query, bindings))
        return Rows([], [])


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory) -> EmbeddedStore:
    """A real on-disk EmbeddedStore holding the synthetic dataset (built with the store's own functions)."""
    folder = tmp_path_factory.mktemp("store")
    mem = ox.Store()
    mem.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    from msckg.graph.build.dataset import ONTOLOGY_GRAPH
    from msckg.loader.schema import ontology_files

    for f in ontology_files():
        mem.load(path=str(f), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(str(ONTOLOGY_GRAPH)))
    gen = write_generation(folder, mem.dump(format=ox.RdfFormat.N_QUADS), "gen-test")
    swap_live(folder, gen)
    return EmbeddedStore(folder)


@pytest.fixture
def echo_query(tmp_path):
    """A test-only saved query that returns its string parameter untouched, and its length."""
    path = tmp_path / "echo.rq"
    path.write_text(
        "#+ summary: Return the text parameter as given\n"
        "#+ description: Test-only: proves a string parameter is bound, not pasted.\n"
        "#+ tags: test\n"
        "#+ param: text:string=hello the text to return\n"
        "SELECT ?text ?echo ?length ?triples WHERE {\n"
        "  { SELECT (COUNT(*) AS ?triples) WHERE { ?s ?p ?o } }\n"
        "  BIND(CONCAT(?text, \"\") AS ?echo)\n"
        "  BIND(STRLEN(?text) AS ?length)\n"
        "}\n",
        encoding="utf-8",
    )
    return read_query_file(path)


# ------------------------------------------------------------------------------------------ typing


def test_parameters_are_read_typed_with_defaults_and_ranges():
    params = {p.name: p for p in AE.params}
    assert [p.name for p in AE.params] == ["min_grade", "serious_only", "class", "per_source"]
    assert (params["min_grade"].type, params["min_grade"].default) == ("integer", "1")
    assert (params["min_grade"].minimum, params["min_grade"].maximum) == (1, 5)
    assert (params["serious_only"].type, params["serious_only"].default) == ("boolean", "false")
    assert (params["class"].type, params["class"].default, params["class"].kind) == ("iri", "msckg:AdverseEventTerm", "class")
    assert (params["per_source"].type, params["per_source"].default) == ("boolean", "false")


def test_every_parameter_is_always_bound_to_a_typed_term():
    b = bindings_for(AE, {})
    assert b["min_grade"] == Literal("1", datatype=XSD.integer)
    assert b["serious_only"] == Literal("false", datatype=XSD.boolean)
    assert b["class"] == URIRef("https://w3id.org/msckg/AdverseEventTerm")
    b = bindings_for(AE, {"min_grade": "3", "serious_only": "TRUE", "class": "msckg:AE_Haemorrhage"})
    assert b["min_grade"] == Literal("3", datatype=XSD.integer)
    assert b["serious_only"] == Literal("true", datatype=XSD.boolean)
    assert b["class"] == URIRef("https://w3id.org/msckg/AE_Haemorrhage")
    assert bindings_for(AE, {"class": "http://purl.obolibrary.org/obo/OAE_0000001"})["class"] == URIRef(
        "http://purl.obolibrary.org/obo/OAE_0000001")


@pytest.mark.parametrize("value", ['"x"', "hello world", "hello", "x y:z", "<http://example.org/a>", "msckg:a b",
                                   "http://example.org/a b", "http://example.org/a>b", 'http://example.org/"x"',
                                   "http://example.org/{x}", "nosuchprefix:Thing", "msckg:x\n} DROP ALL",
                                   'x" } ; DROP ALL #', "", "\\u0022"])
def test_iri_parameter_refuses_what_is_not_an_iri(value):
    with pytest.raises(ParamError, match="class"):
        bindings_for(AE, {"class": value})


@pytest.mark.parametrize("value", ["7", "0", "6", "-1", "abc", "3.5", "1e3", "", " 3", "3 ", "3; DROP ALL"])
def test_min_grade_refuses_out_of_range_and_non_integers(value):
    with pytest.raises(ParamError, match="min_grade"):
        bindings_for(AE, {"min_grade": value})


@pytest.mark.parametrize("value", ["1", "5", "+3"])
def test_min_grade_accepts_grades_1_to_5(value):
    assert int(bindings_for(AE, {"min_grade": value})["min_grade"]) == int(value)


@pytest.mark.parametrize("value", ["yes", "1", "no", "", 'true" } #'])
def test_boolean_refuses_anything_but_true_or_false(value):
    with pytest.raises(ParamError, match="serious_only"):
        bindings_for(AE, {"serious_only": value})


def test_unknown_parameters_are_refused_by_name():
    with pytest.raises(ParamError, match="no parameter grade"):
        bindings_for(AE, {"grade": "3"})


def test_string_pattern_and_decimal_constraints(tmp_path):
    path = tmp_path / "p.rq"
    path.write_text("#+ summary: x\n#+ param: code:string=AB a code pattern=[A-Z]{2}\n"
                    "#+ param: ratio:decimal=0.5 a ratio range=0..1\nSELECT ?code ?ratio WHERE {}\n", encoding="utf-8")
    q = read_query_file(path)
    assert bindings_for(q, {"code": "XY", "ratio": "0.25"}) == {"code": Literal("XY"), "ratio": Literal("0.25", datatype=XSD.decimal)}
    for bad in ("xy", "XYZ", 'X"', "X}"):
        with pytest.raises(ParamError, match="code"):
            bindings_for(q, {"code": bad})
    for bad in ("1.5", "-0.1", "abc", "0.5; DROP"):
        with pytest.raises(ParamError, match="ratio"):
            bindings_for(q, {"ratio": bad})
    assert coerce(q.params[1], "1") == Literal("1", datatype=XSD.decimal)


# ------------------------------------------------------------------------------------------ binding


def test_the_query_text_is_passed_unchanged_with_bindings_beside_it():
    store = RecordingStore()
    run_saved(store, AE, {"min_grade": "3", "class": "msckg:AE_Haemorrhage"}, check=False)
    (query, bindings), = store.calls
    assert query == AE.text  # nothing pasted in
    assert bindings == bindings_for(AE, {"min_grade": "3", "class": "msckg:AE_Haemorrhage"})


@pytest.mark.parametrize("value", HOSTILE, ids=[repr(v)[:30] for v in HOSTILE])
@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_hostile_strings_round_trip_exactly(echo_query, value, engine):
    store = OxigraphMemoryStore() if engine == "oxigraph" else RdflibStore()
    rows = run_saved(store, echo_query, {"text": value})
    assert rows.variables == ["text", "echo", "length", "triples"]
    assert len(rows.rows) == 1
    text, echo, length, triples = rows.rows[0]
    assert str(text) == value and str(echo) == value
    assert isinstance(echo, Literal) and echo.datatype in (None, XSD.string) and not echo.language
    assert int(length) == len(value)
    assert int(triples) == 0  # nothing was inserted


@pytest.mark.parametrize("value", HOSTILE, ids=[repr(v)[:30] for v in HOSTILE])
def test_hostile_strings_on_the_embedded_store(fixture_store, echo_query, value):
    before = len(fixture_store.oxigraph)
    rows = run_saved(fixture_store, echo_query, {"text": value})
    assert [str(t) for t in rows.rows[0][:2]] == [value, value]
    assert int(rows.rows[0][3]) == before == len(fixture_store.oxigraph)


@pytest.mark.parametrize("value", ["http://example.org/a#';DROP", "http://example.org/x?q=1&r='2'", "msckg:AE_'quoted'",
                                   "https://w3id.org/msckg/AE_Haemorrhage#x;y"])
def test_odd_but_valid_iris_are_bound_as_one_term(fixture_store, value):
    """An IRI the validator lets through is one term: the answer keeps its shape and is simply empty."""
    b = bindings_for(AE, {"class": value})
    assert isinstance(b["class"], URIRef)
    rows = run_saved(fixture_store, AE, {"class": value}, check=False)
    default = run_saved(fixture_store, AE, {})
    assert rows.variables == default.variables
    assert rows.rows == []
    assert default.rows


@pytest.mark.parametrize("value,suggestion", [("msckg:AE_Haemorhage", "msckg:AE_Haemorrhage"),
                                              ("msckg:AE_Bleeding", "msckg:AE_Haemorrhage"),  # by its other name
                                              ("https://w3id.org/msckg/AE_Fevr", "msckg:AE_Fever")])
def test_a_class_the_graph_does_not_know_is_refused_with_a_suggestion(fixture_store, value, suggestion):
    with pytest.raises(ParamError, match=f"no class .* in the graph \\(did you mean {suggestion}\\?\\)"):
        run_saved(fixture_store, AE, {"class": value})
    # an external class the graph knows is accepted
    assert run_saved(fixture_store, AE, {"class": "obo:OAE_0000001"}).rows


def test_parameters_change_only_the_rows(fixture_store):
    default = run_saved(fixture_store, AE, {})
    narrowed = run_saved(fixture_store, AE, {"min_grade": "3", "serious_only": "true", "class": "msckg:AE_Haemorrhage"})
    assert narrowed.variables == default.variables
    assert 0 < len(narrowed.rows) < len(default.rows)
    i = narrowed.variables.index
    for row in narrowed.rows:  # the parameters are echoed as bound terms
        assert row[i("min_grade")] == Literal("3", datatype=XSD.integer)
        assert row[i("serious_only")] == Literal("true", datatype=XSD.boolean)
        assert row[i("class")] == URIRef("https://w3id.org/msckg/AE_Haemorrhage")
