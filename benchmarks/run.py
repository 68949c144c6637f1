"""Speed benchmarks: each figure printed beside a baseline measured in the same run (make bench)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox  # noqa: E402
from rdflib import Dataset  # noqa: E402

from benchmarks.synthetic import synthetic_nquads  # noqa: E402
from msckg.graph.build.dataset import ontology_graph  # noqa: E402
from msckg.graph.paths import ONTOLOGY, QUERIES  # noqa: E402
from msckg.graph.query.files import read_query_file  # noqa: E402

AE_QUERY = """PREFIX msckg: <https://w3id.org/msckg/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?trial ?arm ?term ?grade ?affected ?atRisk WHERE {
  ?ae a msckg:AdverseEventCount ; msckg:arm ?arm ; msckg:term ?term ; msckg:grade ?grade ;
      msckg:affected ?affected ; msckg:atRisk ?atRisk ; msckg:eventClass ?cls .
  ?cls rdfs:subClassOf* msckg:AE_Haemorrhage .
  ?arm msckg:armOf ?trial .
  FILTER(?grade >= 3)
}"""


def timed(fn, repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def row(name: str, ours: float, base: float, unit: str = "s") -> None:
    print(f"{name:<48} msckg {ours:9.4f} {unit}   baseline {base:9.4f} {unit}   ratio {base / ours:8.1f}x")


def main() -> None:
    onto_nt = ontology_graph(ONTOLOGY).serialize(format="nt")
    print("benchmark                                        (median of 3 runs; baseline measured in the same run)")
    for n in (50, 200):
        data = synthetic_nquads(n)
        triples = data.count("\n")

        def ox_load():
            s = ox.Store()
            s.load(data, format=ox.RdfFormat.N_QUADS)

        def rdflib_load():
            Dataset().parse(data=data, format="nquads")

        row(f"load {n} trials ({triples} quads): oxigraph vs rdflib", timed(ox_load), timed(rdflib_load))

    data = synthetic_nquads(50)
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.N_QUADS)
    store.load(onto_nt, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("https://w3id.org/msckg/graph/ontology"))
    ds = Dataset(default_union=True)
    ds.parse(data=data, format="nquads")
    ds.graph("https://w3id.org/msckg/graph/ontology").parse(data=onto_nt, format="nt")
    n_ox = len(list(store.query(AE_QUERY, use_default_graph_as_union=True)))
    n_rd = len(list(ds.query(AE_QUERY)))
    assert n_ox == n_rd, (n_ox, n_rd)
    row(f"grade>=3 haemorrhage join, 50 trials ({n_ox} rows): oxigraph vs rdflib",
        timed(lambda: list(store.query(AE_QUERY, use_default_graph_as_union=True))), timed(lambda: list(ds.query(AE_QUERY)), repeat=1))
    for name in ("trials", "adverse-events"):
        path = QUERIES / f"{name}.rq"
        if path.exists():
            q = read_query_file(path)
            from msckg.graph.query.saved import bindings_for
            from msckg.graph.query.binding import bind_with_values

            text = bind_with_values(q.text, bindings_for(q, {}))
            row(f"saved query '{name}', 50 trials: oxigraph vs rdflib",
                timed(lambda: list(store.query(text, use_default_graph_as_union=True))), timed(lambda: list(ds.query(text)), repeat=1))


if __name__ == "__main__":
    main()
