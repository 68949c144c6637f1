"""Search and link: ranked entities with reasons, and proposed external terms, from an index built once per build.

- `index.write_index(store, folder)` builds the index (called by graph.build.run);
- `rank.Searcher(folder).search(text)` ranks entities (lexical + ontology, blended with semantic
  similarity when the `embeddings` extra is installed);
- `link.Linker(folder)` proposes MONDO/CL/UBERON/declared terms for entities or free text.

See docs/search.md.
"""

from __future__ import annotations

from pathlib import Path

SEARCH_FOLDER = "search"
# judged curator queries for `msckg search-eval` (package data: an installed msckg carries them)
JUDGEMENTS = Path(__file__).resolve().parent / "search_judgements.yaml"


# `msckg link` hides candidates below this confidence unless asked for (--min-confidence 0). Measured on
# the seed graph's hold-out (its own 525 links removed, 3 candidates each): 0.6 keeps 480 of 527 right
# proposals (91 %) and drops 450 of 490 wrong ones (92 %); 0.5 keeps 486 right but 98 wrong
# (docs/decisions/0049; tests/test_link.py re-measures it).
CONFIDENCE_FLOOR = 0.6


def live_folder(store_folder: Path) -> Path:
    """The live index of an embedded store: <store>/current/search."""
    return Path(store_folder) / "current" / SEARCH_FOLDER


def __getattr__(name):  # lazy: importing graph.search must stay cheap for graph.build.run
    if name in ("Searcher", "SearchError"):
        from . import rank

        return getattr(rank, name)
    if name in ("Hit", "Result"):
        from . import results

        return getattr(results, name)
    if name in ("evaluate", "load_judgements"):
        from . import search_eval

        return getattr(search_eval, name)
    if name == "write_index":
        from .index import write_index

        return write_index
    if name == "Linker":
        from .link import Linker

        return Linker
    raise AttributeError(name)
