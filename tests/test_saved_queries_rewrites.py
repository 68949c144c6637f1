"""Saved queries rewritten for speed give exactly the rows of the text they replaced.

tests/fixtures/queries-before/NAME.rq keeps each saved query as it was before a rewrite; each is run
beside queries/NAME.rq (same parameters) on the curated seed dataset and on a generated corpus
(benchmarks/generate.py), and the two must give the same variables and the same rows, and share
the same ORDER BY clause, so they list the rows in the same order. (Rows that tie on every ORDER BY
key come in an order the engine does not fix, old text and new alike, so the rows are compared as
a multiset; so do the values a GROUP_CONCAT joins, so those cells are compared as sorted values.) Both datasets are built in memory the way `msckg build` assembles them. Speed is
measured by `make bench`, never here.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from msckg.graph.paths import DATA, QUERIES
from msckg.graph.query.binding import bind_with_values
from msckg.graph.query.files import read_query_file
from msckg.graph.query.saved import bindings_for

BEFORE = Path(__file__).parent / "fixtures" / "queries-before"
REWRITTEN = sorted(p.stem for p in BEFORE.glob("*.rq"))
# parameter sets besides the defaults, for queries that take parameters
PARAMS = {
    "adverse-events": [{"class": "msckg:AE_Haemorrhage"}, {"min_grade": "3"}, {"serious_only": "true"}, {"per_source": "true"}],
    "response-rates": [{"per_source": "true"}],
}
# what the generator never writes: compared on the corpus all the same, proven non-empty on the seed
NOT_GENERATED = {"add-on-designs": "no generated regimen is given on top of another (msckg:addOnTo)",
                 "shared-manufacturers": "no two generated trials name the same manufacturer node"}
CORPUS_TRIALS = 120  # the old source-conflicts is quadratic: a few hundred trials would take minutes


def _memory_store(**kw) -> ox.Store:
    from msckg.graph.build.run import assemble, memory_store

    store, _ = memory_store(assemble(**kw))
    return store


@pytest.fixture(scope="module")
def seed() -> ox.Store:
    if not any((DATA / "records").glob("*.yaml")):
        pytest.skip("data/records is empty: the curated seed records have not landed yet")
    return _memory_store()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> ox.Store:
    from benchmarks.generate import generate

    out = tmp_path_factory.mktemp("corpus")
    generate(CORPUS_TRIALS, out)
    return _memory_store(data=out / "data", extra_sources=[out / "ctgov"])


# a GROUP_CONCAT column: its separator and name (SPARQL leaves the order of the joined values to the engine)
_CONCAT = re.compile(r'GROUP_CONCAT\(DISTINCT [^;]+; separator="([^"]+)"\)[^\n]* AS \?(\w+)\)')


def _cell(term, sep: str | None):
    """A cell as compared: a GROUP_CONCAT's values as a sorted tuple (their order is the engine's), else the term."""
    if sep is None or term is None:
        return term
    return ("GROUP_CONCAT", tuple(sorted(term.value.split(sep))))


def _rows(store: ox.Store, path: Path, given: dict[str, str]) -> tuple[list[str], Counter, str]:
    """The query's variables, its rows (a multiset; GROUP_CONCAT cells as their sorted values) and its ORDER BY clause."""
    query = read_query_file(path)
    res = store.query(bind_with_values(query.text, bindings_for(query, given)), use_default_graph_as_union=True)
    names = [v.value for v in res.variables]
    # the GROUP_CONCAT columns of the old text and the new (one may take a column from a sub-select's)
    name = path.stem
    seps = {n: sep for p in (BEFORE / f"{name}.rq", QUERIES / f"{name}.rq") for sep, n in _CONCAT.findall(p.read_text(encoding="utf-8"))}
    order = re.search(r"\nORDER BY[^\n]*(\n[ \t]+[^\n]*)*", query.text)
    rows = Counter(tuple(_cell(sol[n], seps.get(n)) for n in names) for sol in res)
    return names, rows, " ".join(order.group(0).split()) if order else ""


def _cases():
    for name in REWRITTEN:
        for given in [{}] + PARAMS.get(name, []):
            yield pytest.param(name, given, id=name + "".join(f"-{k}={v}" for k, v in given.items()))


def test_every_rewritten_query_keeps_its_header():
    """The fixture is the old text of a saved query that still exists, with the same header lines."""
    assert REWRITTEN
    for name in REWRITTEN:
        old, new = read_query_file(BEFORE / f"{name}.rq"), read_query_file(QUERIES / f"{name}.rq")
        assert (old.header, old.lines, old.params) == (new.header, new.lines, new.params)


@pytest.mark.parametrize("name,given", list(_cases()))
def test_same_rows_on_the_seed_dataset(seed, name, given):
    old = _rows(seed, BEFORE / f"{name}.rq", given)
    new = _rows(seed, QUERIES / f"{name}.rq", given)
    if name in NOT_GENERATED and not given:
        assert new[1], f"{name} gives no rows on the seed dataset either: the comparison would prove nothing"
    assert new == old


@pytest.mark.parametrize("name,given", list(_cases()))
def test_same_rows_on_a_generated_corpus(corpus, name, given):
    old = _rows(corpus, BEFORE / f"{name}.rq", given)
    new = _rows(corpus, QUERIES / f"{name}.rq", given)
    assert new[1] or given or name in NOT_GENERATED, f"{name} gives no rows on the generated corpus: the comparison would prove nothing"
    assert new == old
