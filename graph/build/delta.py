"""An incremental build's store generation: a checkpoint of the live one with only the changed graphs replaced.

When the build cache's record of the last good build (`last.json`) describes the live generation, the new
generation starts as a RocksDB checkpoint of it (`pyoxigraph.Store.backup`: hard links to its immutable
files, a few milliseconds whatever its size), opened read-write beside it. Then the graphs whose canonical
hash changed, or that hold this build's load time (the build record, stamped derived analyses), are removed
and loaded again from an N-Quads file holding only them; the graphs of sources that are gone are removed.
Unchanged graphs are never written out again; the dataset's canonical hash is combined from the per-graph
hashes as in a full build (graph/build/dataset.py: dataset_hash), so both give the same value. The live
generation is only read; a failed build removes the checkpoint folder (docs/decisions/0151).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import URIRef

from msckg.graph.build.dataset import VOLATILE_PREDICATES, Assembled, Serialised, serialise
from msckg.graph.build.incremental import BuildCache, CachedGraph, has_blank_nodes
from msckg.graph.build.streaming import bulk_load_file


@dataclass
class Changes:
    """The graphs in which a new generation differs from the live one."""

    replaced: dict[str, int] = field(default_factory=dict)  # graph IRI -> triples now (changed, new, or stamped)
    dropped: list[str] = field(default_factory=list)  # graphs of the live generation no source gives any more

    def __len__(self) -> int:
        return len(self.replaced) + len(self.dropped)


def live_generation(store_folder: Path, cache: BuildCache) -> Path | None:
    """The live generation when the cache's last good build is the one it holds, else None (load in full).

    They differ when a build was killed or failed to save its cache after its swap, or when the cache
    was made by an older msckg that did not record its generation."""
    current = Path(store_folder) / "current"
    if cache.last is None or not current.exists():
        return None
    live = current.resolve()
    return live if live.is_dir() and cache.last.get("generation") == live.name else None


def _stamped(lines: list[str]) -> bool:
    return any(v in line for line in lines for v in VOLATILE_PREDICATES)


def write_changes(assembled: Assembled, out: BinaryIO, last: dict[str, str],
                  whole_out: BinaryIO | None = None) -> tuple[Serialised, Changes]:
    """Hash every graph (cached graphs keep the hash the cache gives) and write to `out` as N-Quads only the
    graphs that differ from the last build's (`last`: graph IRI -> canonical hash); release the triples.
    With `whole_out` every graph goes there too (what the search index reads: graph/build/run.py).

    A graph read back unchanged from the cache has exactly the lines the live generation holds; any other
    graph with the same hash holds the same triples (blank nodes aside) unless it carries a load time,
    which the hash leaves out: those graphs are replaced too."""
    changed: dict[URIRef, CachedGraph] = {}

    def each(iri: str, lines: list[str], sha: str) -> None:
        if assembled.each is not None:
            assembled.each(iri, lines, sha)
        g = assembled.graphs[URIRef(iri)]
        if last.get(iri) != sha or (not (isinstance(g, CachedGraph) and g.sha256) and _stamped(lines)):
            changed[URIRef(iri)] = CachedGraph(URIRef(iri), lines, has_blank_nodes(lines), sha)

    whole = serialise(assembled.graphs, nquads=whole_out is not None, each=each, out=whole_out)
    part = serialise(changed, out=out)  # the same N-Quads lines a full build writes for these graphs
    assembled._serialised = Serialised(b"", whole.canonical_hash, whole.triples, whole.graph_hashes, part.offsets)
    assembled.release()
    changes = Changes({str(i): len(g) for i, g in changed.items()}, sorted(set(last) - set(whole.graph_hashes)))
    return assembled._serialised, changes


def checkpoint(live: Path, gen: Path, nquads: Path, offsets: list[int], changes: Changes) -> ox.Store:
    """The new generation in folder `gen` (empty or absent): a checkpoint of `live`, the changed graphs
    removed, then the N-Quads file `nquads` (graphs starting at `offsets`) bulk-loaded into it."""
    if gen.exists():
        gen.rmdir()  # the checkpoint makes the folder itself
    source = ox.Store.read_only(str(live))
    source.backup(str(gen))
    del source
    store = ox.Store(str(gen))
    for iri in sorted(set(changes.replaced) | set(changes.dropped)):
        store.remove_graph(ox.NamedNode(iri))
    bulk_load_file(store, nquads, offsets)
    return store
