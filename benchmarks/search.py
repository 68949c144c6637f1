"""Search and link latency on a synthetic large graph, beside a naive baseline measured in the same run.

    python -m benchmarks.search            # 1000 synthetic trials (about 430k quads)
    python -m benchmarks.search 200        # a smaller graph

msckg answers from the index written once per build (graph/search/index.py); the baseline answers
each query by scanning the store: a SPARQL CONTAINS filter over every label (and adverse-event
term) in Oxigraph for search, and over the 145,000 MONDO/CL/UBERON names loaded into Oxigraph for
link. The query string is bound as a substitution, never pasted into the query text. Figures are
p50 / p95 over every query, each run REPEAT times; nothing here is asserted (speed is never
asserted in a unit test).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox  # noqa: E402

from benchmarks.synthetic import synthetic_nquads  # noqa: E402
from msckg.graph.build.dataset import ontology_graph  # noqa: E402
from msckg.graph.paths import ONTOLOGY  # noqa: E402

REPEAT = 5
SEARCH_QUERIES = [
    "bleeding", "haemorrhage", "gastrointestinal hemorrhage", "infection", "fever", "pyrexia", "cytopenia",
    "hepatic disorder", "event 7", "synthetic trial 512", "Synthetic trial 77", "proportion result", "phase 2",
    "adverse event", "randomized", "haemorhage", "infektion", "trial 9 event 3", "cytopaenia", "liver",
]
LINK_QUERIES = [
    "severe aplastic anaemia", "refractory immune thrombocytopenia", "acute graft-versus-host disease",
    "umbilical cord mesenchymal stem cells", "Wharton's jelly", "gastrointestinal bleeding", "myocardial infarction",
    "hepatotoxicity", "T cell", "bone marrow",
]
NAIVE_SEARCH = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?s ?l ?q WHERE { ?s rdfs:label|<https://w3id.org/msckg/term> ?l . FILTER(CONTAINS(LCASE(STR(?l)), LCASE(?q))) } LIMIT 10"""
NAIVE_LINK = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?t ?l ?q WHERE { ?t rdfs:label ?l . FILTER(CONTAINS(LCASE(STR(?l)), LCASE(?q))) } LIMIT 5"""


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    p95 = s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]
    return statistics.median(s), p95


def timed_each(fn, items, repeat: int = REPEAT) -> list[float]:
    out = []
    for _ in range(repeat):
        for it in items:
            t0 = time.perf_counter()
            fn(it)
            out.append(time.perf_counter() - t0)
    return out


def row(name: str, ours: list[float], base: list[float]) -> None:
    o50, o95 = percentiles(ours)
    b50, b95 = percentiles(base)
    print(f"{name:<44} msckg p50 {o50 * 1000:8.2f} ms p95 {o95 * 1000:8.2f} ms   "
          f"baseline p50 {b50 * 1000:9.2f} ms p95 {b95 * 1000:9.2f} ms   ratio (p50) {b50 / max(o50, 1e-9):7.1f}x")


def vocabulary_store() -> ox.Store:
    """MONDO, CL and UBERON labels and synonyms in an Oxigraph store, for the naive link baseline."""
    from msckg.graph.search.expand import ExternalOntologies, obo_iri

    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    quads = []
    for terms in ExternalOntologies.data().values():
        for curie, t in terms.items():
            if t.get("deprecated"):
                continue
            s = ox.NamedNode(obo_iri(curie))
            for name in [t.get("label")] + list(t.get("synonyms") or []):
                if name:
                    quads.append(ox.Quad(s, label, ox.Literal(name), ox.DefaultGraph()))
    store = ox.Store()
    store.extend(quads)
    return store


def main(n_trials: int = 1000) -> None:
    from msckg.graph.search.index import write_index
    from msckg.graph.search.link import Linker
    from msckg.graph.search.rank import Searcher

    print(f"search and link benchmark: {n_trials} synthetic trials; p50/p95 over {REPEAT} runs of each query; "
          "baseline measured in the same run")
    data = synthetic_nquads(n_trials)
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.N_QUADS)
    store.load(ontology_graph(ONTOLOGY).serialize(format="nt"), format=ox.RdfFormat.N_TRIPLES,
               to_graph=ox.NamedNode("https://w3id.org/msckg/graph/ontology"))
    print(f"graph: {len(store)} quads")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "search"
        t0 = time.perf_counter()
        summary = write_index(store, folder, embedder=None, cache_dir=Path(tmp) / "cache")
        print(f"index (once per build): {summary['entities']} entities, {summary['tokens']} tokens, "
              f"{summary['postings']} postings in {time.perf_counter() - t0:.1f} s; "
              f"{sum(f.stat().st_size for f in folder.iterdir()) / 1e6:.1f} MB")

        t0 = time.perf_counter()
        searcher = Searcher(folder, embedder=None)
        searcher.search(SEARCH_QUERIES[0])
        cold = time.perf_counter() - t0
        q = ox.Variable("q")
        ours = timed_each(lambda text: searcher.search(text, limit=10), SEARCH_QUERIES)
        base = timed_each(lambda text: list(store.query(NAIVE_SEARCH, use_default_graph_as_union=True,
                                                        substitutions={q: ox.Literal(text)})), SEARCH_QUERIES, repeat=1)
        row(f"search, {len(SEARCH_QUERIES)} queries (top 10)", ours, base)
        print(f"{'':<44} (index opened and first query answered in {cold * 1000:.0f} ms)")

        linker = Linker(folder, embedder=None)
        vocab = vocabulary_store()
        ours = timed_each(lambda text: linker.link_text(text, limit=5), LINK_QUERIES)
        base = timed_each(lambda text: list(vocab.query(NAIVE_LINK, substitutions={q: ox.Literal(text)})), LINK_QUERIES, repeat=1)
        row(f"link, {len(LINK_QUERIES)} texts (top 5 of {len(vocab)} names)", ours, base)
        print("note: the baselines find only literal substrings (no ranking, spelling, typo, synonym or ontology);"
              " msckg's figures include all of that")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
