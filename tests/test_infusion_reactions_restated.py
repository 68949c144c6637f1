"""infusion-reactions reads a count that restates another (msckg:sameQuantityAs) through the restated one.

Decision 0171 makes the query start from the counts that can pass its test (infusion-related, dose-limiting,
or of an infusion-reaction class) and reach the counts restating them; the seed and the generated corpus have
few restatements, so a hand-made graph (tests/fixtures/restated-counts/) holds each case.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from msckg.graph.paths import QUERIES
from msckg.graph.query.binding import bind_with_values
from msckg.graph.query.files import read_query_file
from msckg.graph.query.saved import bindings_for

GRAPH = Path(__file__).parent / "fixtures" / "restated-counts" / "restated-counts.trig"


def _rows() -> list[dict[str, str]]:
    store = ox.Store()
    store.load(path=str(GRAPH), format=ox.RdfFormat.TRIG)
    query = read_query_file(QUERIES / "infusion-reactions.rq")
    res = store.query(bind_with_values(query.text, bindings_for(query, {})), use_default_graph_as_union=True)
    names = [v.value for v in res.variables]
    return [{n: (s[n].value if s[n] is not None else "") for n in names} for s in res]


def test_restated_counts_are_read_through_the_count_they_restate():
    rows = {(r["event"], r["affected"]): r for r in _rows()}
    # c1 (infusion-related) and r1 restating it with the same number: one row, both documents
    fever = rows[("Fever", "3")]
    assert sorted(fever["reported_by"].split("; ")) == ["Table document", "Text document"]
    assert sorted(fever["locators"].split(" | ")) == ["Table document: Table 2", "Text document: Results, para 2"]
    assert fever["criteria"] == "infusion-related; "
    assert rows[("Rash", "1")]["criteria"] == "dose-limiting; "
    # r5 restates a node that is infusion-related: listed through it (it names no event)
    assert rows[("", "1")]["reported_by"] == "Text document"
    # r3 says infusion-related but restates c3, which is not: read through c3, neither is listed;
    # c4 is infusion-related false
    assert set(rows) == {("Fever", "3"), ("Rash", "1"), ("", "1")}
