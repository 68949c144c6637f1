"""Property tests of RDF source files: whatever the bytes, in every format, only SourceError escapes."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from fuzz.inputs import JSONLD, RDF_XML, TURTLE
from msckg.graph.build.sources import RDF_FORMATS, load_rdf_file
from msckg.loader.errors import SourceError

from . import fuzzing  # noqa: F401  (profiles)

SEEDS = {".ttl": TURTLE, ".nt": '<http://example.org/a> <http://example.org/p> "x"@en .\n', ".rdf": RDF_XML, ".jsonld": JSONLD}
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
                    | st.sampled_from(["@id", "@type", "@value", "@list", "@set", "@graph", "@reverse", "@language", "@vocab", "@base",
                                       "http://example.org/p", "_:b", "@json", "xsd:decimal"]),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(
                        st.sampled_from(["@context", "@id", "@type", "@value", "@list", "@set", "@graph", "@reverse", "@language",
                                         "@vocab", "@base", "@container", "@included", "@nest", "@index", "@version", "@protected",
                                         "@direction", "@propagate", "p", "http://example.org/q"]), kids, max_size=4), max_leaves=20)


def _load(tmp_path, suffix: str, data: bytes) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        load_rdf_file(path)
    except SourceError as exc:
        assert exc.problems and all(p.file == str(path) for p in exc.problems)


@given(st.sampled_from(sorted(RDF_FORMATS)), st.binary(max_size=300))
def test_any_bytes(tmp_path, suffix, data):
    _load(tmp_path, suffix, data)


@given(st.sampled_from(sorted(SEEDS)), st.data())
def test_mutated_seeds(tmp_path, suffix, data):
    seed = SEEDS[suffix]
    at = data.draw(st.integers(0, len(seed)))
    cut = data.draw(st.integers(0, 8))
    insert = data.draw(st.text(alphabet=st.sampled_from(list("<>\"'@:;,.[](){}#^\\_ &!x1\n") + ["\u00e9", "\x00"]), max_size=6))
    _load(tmp_path, suffix, (seed[:at] + insert + seed[at + cut:]).encode("utf-8", "surrogatepass"))


@given(JSON)
def test_json_ld_trees(tmp_path, tree):
    _load(tmp_path, ".jsonld", json.dumps(tree).encode())
