"""The validate path (graph/validate/run.py: pyshacl, and the build's SPARQL-compiled shapes) passes the W3C SHACL core test cases of
every SHACL feature ontology/shapes/shapes.ttl uses; a new feature in the shapes needs its cases here."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.util import from_n3
from ruamel.yaml import YAML

from msckg.graph.paths import SHAPES
from msckg.graph.validate.run import fast_shacl_violations, shacl_violations

SH = Namespace("http://www.w3.org/ns/shacl#")
CASES = YAML(typ="safe").load((Path(__file__).parent / "shacl_core_cases.yaml").read_text(encoding="utf-8"))["cases"]


def _graph(case) -> Graph:
    for _ in ox.parse(case["graph"].encode(), format=ox.RdfFormat.TURTLE):  # the fixture itself is valid Turtle
        pass
    return Graph().parse(data=case["graph"], format="turtle")


def _expected_term(g: Graph, text: str) -> str:
    """The text the validate path prints for a term written in Turtle form (rdflib parses it the same way)."""
    if text in ("", "_:"):
        return text
    return str(from_n3(text, nsm=g.namespace_manager))


def _fast(g: Graph):
    """The build's validate path: shapes compiled to SPARQL over an Oxigraph store, pyshacl for the rest."""
    store = ox.Store()
    store.load(g.serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
    return fast_shacl_violations(store, g, g)


@pytest.mark.parametrize("path", ["pyshacl", "sparql"])
@pytest.mark.parametrize("case", CASES, ids=[c["w3c"] for c in CASES])
def test_w3c_core_case(case, path):
    g = _graph(case)
    blanks = {str(t) for triple in g for t in triple if isinstance(t, BNode)}
    # the W3C cases hold data and shapes in one graph
    found = shacl_violations(g, g) if path == "pyshacl" else _fast(g)
    got = Counter(" | ".join("_:" if x in blanks else x for x in (v.focus, v.path, v.value)) + " | " + v.severity for v in found)
    want = Counter(" | ".join(_expected_term(g, x.strip()) for x in r.split("|")[:3]) + " | " + r.split("|")[3].strip()
                   for r in case["results"])
    assert got == want
    assert (not found) == case["conforms"]  # SHACL: a graph conforms when validation has no result of any severity


def test_message_is_reported():
    [case] = [c for c in CASES if c["w3c"] == "core/misc/message-001"]
    g = _graph(case)
    assert [v.message for v in shacl_violations(g, g)] == ["Test message"]


def _features(g: Graph) -> set[str]:
    """SHACL terms a shapes graph uses: its sh: predicates and the sh: classes it instantiates."""
    used = {str(p) for p in g.predicates() if str(p).startswith(str(SH))}
    used |= {str(o) for o in g.objects() if isinstance(o, URIRef) and str(o).startswith(str(SH))}
    return {u[len(str(SH)):] for u in used}


def test_every_feature_of_the_shapes_has_conformance_cases():
    shapes = Graph()
    for f in sorted(SHAPES.glob("*.ttl")):
        shapes.parse(f, format="turtle")
    covered = set()
    for case in CASES:
        covered |= _features(_graph(case))
    missing = _features(shapes) - covered
    assert not missing, f"SHACL features used by the shapes without a W3C conformance case here: {sorted(missing)}"
