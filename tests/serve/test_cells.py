"""Readable answers on the query page: the `#+ columns:` set by default, `X_label` as the text of a link to
X's entity page, every column on request, and only http(s) IRIs linked out."""

from __future__ import annotations

from pathlib import Path

from rdflib import Literal, URIRef

from msckg.graph.query.files import read_query_file
from msckg.graph.serve.cells import answer_table, cell_for, csv_columns, declared_columns, external_url, shown_columns

T = URIRef("https://w3id.org/msckg/id/trial/NCT1")
D1, D2 = "https://w3id.org/msckg/id/pub/a", "https://w3id.org/msckg/id/pub/b"


def test_declared_columns_are_the_default_and_labels_fold_into_links(tmp_path: Path):
    rq = tmp_path / "q.rq"
    rq.write_text("#+ summary: s\n#+ columns: trial, n\nSELECT ?trial ?trial_label ?n ?reported_by WHERE {}\n", encoding="utf-8")
    q = read_query_file(rq)
    assert declared_columns(q) == ["trial", "n"]
    variables = ["trial", "trial_label", "n", "reported_by"]
    rows = [(T, Literal("Trial one"), Literal(3), Literal(f"{D1}; {D2}"))]
    table = answer_table(variables, rows, {D1: "Paper A"}, declared_columns(q), all_columns=False)
    assert table.columns == ["trial", "n"]
    cell = table.rows[0][0][0]
    assert cell.text == "Trial one" and cell.href == "/entity?iri=https%3A%2F%2Fw3id.org%2Fmsckg%2Fid%2Ftrial%2FNCT1"
    every = answer_table(variables, rows, {D1: "Paper A"}, declared_columns(q), all_columns=True)
    assert every.columns == ["trial", "n", "reported_by"]  # trial_label folded into trial
    docs = every.rows[0][2]
    assert [c.text for c in docs] == ["Paper A", "id:pub/b"] and all(c.href for c in docs)
    assert csv_columns(variables, ["trial", "n"]) == ["trial", "trial_label", "n"]


def test_without_a_columns_header_every_column_shows_with_looked_up_labels():
    assert shown_columns(["a", "b", "b_label"], None, False) == ["a", "b"]
    cells = cell_for(T, None, {str(T): "Looked-up label"})
    assert cells[0].text == "Looked-up label"
    assert cell_for(T)[0].text == "id:trial/NCT1"  # a CURIE when there is no label


def test_only_http_iris_are_linked_out():
    assert external_url("javascript:alert(1)") is None
    assert external_url("data:text/html,x") is None
    assert external_url("https://example.org/x") == "https://example.org/x"
    c = cell_for(URIRef("javascript:alert(1)"))[0]
    assert c.external is None and c.href.startswith("/entity?iri=javascript%3A")
    assert cell_for(URIRef("http://purl.obolibrary.org/obo/MONDO_1"))[0].external == "http://purl.obolibrary.org/obo/MONDO_1"
