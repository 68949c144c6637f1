"""A store of N synthetic trials for the load test (benchmarks/synthetic.py plus the ontology), built once."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox  # noqa: E402

from benchmarks.synthetic import synthetic_nquads  # noqa: E402


def build_synthetic_store(folder: Path, n_trials: int) -> Path:
    """Write <folder>/current with `n_trials` synthetic trials, the ontology and a search index (if absent)."""
    from msckg.graph.build.dataset import ONTOLOGY_GRAPH, ontology_graph
    from msckg.graph.paths import ONTOLOGY
    from msckg.graph.search.index import write_index
    from msckg.graph.store.generations import StoreLock, swap_live, write_generation

    folder = Path(folder)
    if (folder / "current").exists():
        return folder
    t0 = time.perf_counter()
    onto = ontology_graph(ONTOLOGY).serialize(format="nt")
    mem = ox.Store()
    mem.load(synthetic_nquads(n_trials), format=ox.RdfFormat.N_QUADS)
    mem.load(onto, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(ONTOLOGY_GRAPH)))
    folder.mkdir(parents=True, exist_ok=True)
    with StoreLock(folder):
        gen = write_generation(folder, mem.dump(format=ox.RdfFormat.N_QUADS), "gen-synthetic-")
        write_index(mem, gen / "search", embedder=None, cache_dir=folder / ".search-cache")
        swap_live(folder, gen)
    print(f"built {folder}: {n_trials} synthetic trials, {len(mem):,} quads in {time.perf_counter() - t0:.0f} s")
    return folder


if __name__ == "__main__":
    build_synthetic_store(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
