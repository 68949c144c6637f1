"""The fast SHACL path (shapes as SPARQL in Oxigraph) gives exactly pyshacl's violations."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from msckg.graph.build.dataset import ontology_graph
from msckg.graph.build.run import assemble, memory_store
from msckg.graph.paths import ONTOLOGY
from msckg.graph.validate import shapes_sparql
from msckg.graph.validate.run import fast_shacl_violations, load_shapes, shacl_violations

HERE = Path(__file__).resolve().parent / "shapes"
FIXTURES = sorted((HERE / "invalid").glob("*.ttl")) + sorted((HERE / "valid").glob("*.ttl"))


def key(v):
    return (v.rule, v.severity, v.focus, v.path, v.value, v.message)


def both(store: ox.Store, union: Graph, shapes: Graph | None = None):
    return Counter(map(key, shacl_violations(union, shapes))), Counter(map(key, fast_shacl_violations(store, union, shapes)))


@lru_cache(maxsize=1)
def ontology() -> Graph:
    return ontology_graph(ONTOLOGY)


def store_of(graph: Graph) -> ox.Store:
    store = ox.Store()
    store.load(graph.serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
    return store


def test_every_project_shape_compiles():
    p = shapes_sparql.plan(load_shapes())
    assert p.compiled and p.for_pyshacl == [], "a shape fell back to pyshacl: extend shapes_sparql or accept the cost"


def test_seed_graph_same_violations():
    store, union = memory_store(assemble())
    ref, fast = both(store, union)
    assert fast == ref


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_each_fixture_same_violations(fixture):
    union = ontology() + Graph().parse(fixture, format="turtle")
    ref, fast = both(store_of(union), union)
    assert fast == ref
    if fixture.parent.name == "invalid":  # the fixture breaks its rule (or a QC rule, which SHACL leaves alone)
        assert set(ref) == set(fast)


def test_one_violation_of_every_rule_in_one_graph():
    """Every invalid fixture in one graph (each fixture's entities renamed apart): every SHACL rule fires, the same on both paths."""
    from rdflib import URIRef

    ident = "https://w3id.org/msckg/id/"
    union = ontology() + Graph()
    for f in sorted((HERE / "invalid").glob("*.ttl")):
        def rename(t, stem=f.stem):
            return URIRef(f"{ident}{stem}/{t[len(ident):]}") if isinstance(t, URIRef) and str(t).startswith(ident) else t
        for triple in Graph().parse(f, format="turtle"):
            union.add(tuple(rename(t) for t in triple))
    ref, fast = both(store_of(union), union)
    assert fast == ref
    text = "\n".join(p.read_text() for p in (ONTOLOGY / "shapes").glob("*.ttl"))
    import re

    shacl_rules = set(re.findall(r'"\[(R-[A-Z0-9-]+)\]', text))
    assert shacl_rules <= {k[0] for k in ref}


def test_generated_corpus_same_violations(tmp_path):
    """A generated corpus (registry JSON + curated YAML, with flagged violations) gives the same results."""
    from benchmarks.generate import generate
    from msckg.loader.sink import fast_graphs

    generate(30, tmp_path, violations=5)
    with fast_graphs():
        a = assemble(tmp_path / "data", extra_sources=[tmp_path / "ctgov"])
    store = ox.Store()
    store.load(a.nquads(), format=ox.RdfFormat.N_QUADS)
    from msckg.graph.validate.run import union_graph

    ref, fast = both(store, union_graph(store))
    assert fast == ref and sum(ref.values()) >= 2


UNSUPPORTED = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix msckg: <https://w3id.org/msckg/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix ex: <https://example.org/> .
ex:ArmIn a sh:NodeShape ; sh:targetClass msckg:Arm ;
  sh:property [ sh:path rdfs:label ; sh:in ( "MSC arm" ) ; sh:message "[R-TEST-IN] label from a list" ] .
ex:TrialLabel a sh:NodeShape ; sh:targetClass msckg:Trial ;
  sh:property [ sh:path rdfs:label ; sh:minCount 2 ; sh:message "[R-TEST-TWO] two labels" ] .
"""


def test_unsupported_shape_falls_back_to_pyshacl(built_mini):
    """A shape with a constraint the compiler does not know is run by pyshacl; the results still agree."""
    shapes = Graph().parse(data=UNSUPPORTED, format="turtle")
    p = shapes_sparql.plan(shapes)
    assert [str(s) for s in p.for_pyshacl] == ["https://example.org/ArmIn"]
    folder, _, _ = built_mini
    from msckg.graph.store.embedded import EmbeddedStore

    store = ox.Store()
    store.load(EmbeddedStore(folder).dump(ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
    from msckg.graph.validate.run import union_graph

    ref, fast = both(store, union_graph(store), shapes)
    assert fast == ref
    assert {k[0] for k in ref} == {"R-TEST-IN", "R-TEST-TWO"}
