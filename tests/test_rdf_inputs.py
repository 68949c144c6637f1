"""RDF source files (Turtle, N-Triples, RDF/XML, JSON-LD) are parsed strictly: what rdflib would accept
but is not RDF is an error naming the file, and the line and column where the parser can tell."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph

from msckg.graph.build.sources import load_extra_sources, load_rdf_file
from msckg.loader.errors import SourceError

P = "<http://example.org/p>"

# invalid Turtle that rdflib reads without complaint -> (text, line, column)
RDFLIB_ACCEPTS = {
    "space in an IRI": (f'<http://a b> {P} "x" .\n', 1, 1),
    "braces in an IRI": (f'<http://a{{b}}> {P} "x" .\n', 1, 1),
    "literal as subject": (f'"s" {P} "x" .\n', 1, 1),
    "relative IRI without a base": (f'<a> {P} "x" .\n', 1, 1),
    "blank node as predicate": (f'<http://a> _:p "x" .\n\n', 1, 12),
    "number as predicate": (f'<http://a> 1 "x" .\n', 1, 12),
    "bad \\u escape": (f'<http://a> {P} "\\u00ZZ" .\n', 1, 40),
    "error on a later line": (f'<http://a> {P} "x" .\n<http://a> {P} "y" ;\n  {P} <http://b c> .\n', 3, 26),
}


@pytest.mark.parametrize("name", list(RDFLIB_ACCEPTS))
def test_invalid_turtle_that_rdflib_accepts_is_rejected_with_line_and_column(tmp_path, name):
    text, line, col = RDFLIB_ACCEPTS[name]
    Graph().parse(data=text, format="turtle")  # the premise: rdflib alone lets it through
    path = tmp_path / "bad.ttl"
    path.write_text(text)
    with pytest.raises(SourceError) as info:
        load_rdf_file(path)
    [p] = info.value.problems
    assert (p.file, p.line, p.column) == (str(path), line, col), p
    assert "syntax error" in p.message


@pytest.mark.parametrize("suffix,text,words", [
    (".ttl", f'<http://a> {P} "1.0e6"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n', "not a decimal"),
    (".ttl", f'<http://a> {P} "x"^^<http://www.w3.org/2001/XMLSchema#integer> .\n', "ill-typed literal"),
    (".ttl", f'<http://a> {P} "maybe"^^<http://www.w3.org/2001/XMLSchema#boolean> .\n', "ill-typed literal"),
    (".ttl", f'<http://a> {P} <<( <http://a> {P} <http://b> )>> .\n', "triple terms"),
    (".nt", f'<http://a> {P} "x"\n', "syntax error"),
    (".jsonld", '{"@id": "http://a", "http://example.org/p": {"@value": "1.0e6", "@type": "http://www.w3.org/2001/XMLSchema#decimal"}}', "not a decimal"),
])
def test_values_rdflib_would_quietly_change_are_refused(tmp_path, suffix, text, words):
    path = tmp_path / f"bad{suffix}"
    path.write_text(text)
    with pytest.raises(SourceError, match=words):
        load_rdf_file(path)


X = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/"'
RDF_XML = {
    "text beside rdf:resource": f'<rdf:RDF {X}><rdf:Description rdf:about="http://a"><ex:p rdf:resource="http://b">t</ex:p></rdf:Description></rdf:RDF>',
    "not RDF at all": "<notrdf/>",
    "datatype that is not an IRI": f'<rdf:RDF {X}><rdf:Description rdf:about="http://a"><ex:p rdf:datatype="not an iri">1</ex:p></rdf:Description></rdf:RDF>',
    "rdf:li as a node": f"<rdf:RDF {X}><rdf:li/></rdf:RDF>",
    "bad rdf:nodeID": f'<rdf:RDF {X}><rdf:Description><rdf:type rdf:nodeID="1bad"/></rdf:Description></rdf:RDF>',
    "mismatched tag": f'<rdf:RDF {X}><rdf:Description rdf:about="http://a"><ex:p>x</ex:q></rdf:Description></rdf:RDF>',
    "not UTF-8 as declared": '<?xml version="1.0" encoding="UTF-8"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\xe9</rdf:RDF>',
}


@pytest.mark.parametrize("name", list(RDF_XML))
def test_bad_rdf_xml_is_a_clear_error(tmp_path, name):
    path = tmp_path / "bad.rdf"
    path.write_bytes(RDF_XML[name].encode("latin-1"))
    with pytest.raises(SourceError) as info:
        load_rdf_file(path)
    [p] = info.value.problems
    assert p.file == str(path) and ("syntax error" in p.message or "malformed XML" in p.message), p
    if "malformed XML" in p.message:
        assert p.line >= 1 and p.column >= 1


@pytest.mark.parametrize("text,words,line", [
    ("[" * 100_000 + "]" * 100_000, "nested more than 64 levels", 1),
    ('{"@id": "http://a",\n "@id": "http://b"}', "duplicate key '@id'", 0),
    ('{"@id": "http://a",\n "x": }', "malformed JSON", 2),
    ('{"@id": "http://a", "http://example.org/p": "caf\xe9"}', "not UTF-8", 1),
    ('{"@context": {"@vocab": "http://v/"}, "@id": "http://a", "p": {"@value": 1, "@type": 3}}', "invalid JSON-LD", 0),
    ('{"@context": 5}', "must be an object or null", 0),
])
def test_bad_json_ld_is_a_clear_error(tmp_path, text, words, line):
    path = tmp_path / "bad.jsonld"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(SourceError) as info:
        load_rdf_file(path)
    [p] = info.value.problems
    assert words in p.message and p.line == line, p


def test_every_bad_source_is_reported_in_one_run(tmp_path):
    paths = []
    for i, (text, _, _) in enumerate(RDFLIB_ACCEPTS.values()):
        paths.append(tmp_path / f"bad{i}.ttl")
        paths[-1].write_text(text)
    paths.append(tmp_path / "notes.txt")
    paths[-1].write_text("x")
    with pytest.raises(SourceError) as info:
        load_extra_sources(paths)
    assert [p.file for p in info.value.problems] == [str(p) for p in paths]


GOOD = {
    ".ttl": f'@prefix ex: <http://example.org/> .\nex:a {P} "x", "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> ; ex:q [ ex:r ex:b ] .\n',
    ".nt": f'<http://example.org/a> {P} "x" .\n_:b {P} "y"@en .\n',
    ".rdf": f'<rdf:RDF {X}><rdf:Description rdf:about="http://example.org/a"><ex:p>x</ex:p><ex:q><rdf:Description><ex:r>y</ex:r></rdf:Description></ex:q></rdf:Description></rdf:RDF>',
    ".jsonld": json.dumps({"@context": {"@vocab": "http://example.org/"}, "@id": "http://example.org/a", "p": "x", "q": {"r": "y"}}),
}


@pytest.mark.parametrize("suffix", list(GOOD))
def test_good_sources_load_the_same_triples_twice_and_count_every_subject(tmp_path, suffix):
    from msckg.graph.build.dataset import canonical_hash

    path = tmp_path / f"good{suffix}"
    path.write_text(GOOD[suffix])
    first, second = load_rdf_file(path), load_rdf_file(path)
    assert canonical_hash({first.graph_iri: first.graph}) == canonical_hash({second.graph_iri: second.graph})
    subjects = {s for s in first.graph.subjects() if s != first.graph_iri}
    assert first.records_in == first.entities_out + first.rejected == len(subjects) == 2
