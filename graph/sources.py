"""Sources other than curated records (ClinicalTrials.gov JSON), dispatched to their loader by file type."""

from __future__ import annotations

from pathlib import Path

from loader.errors import Problem, SourceError
from loader.records import LoadedRecord


def load_extra_sources(paths: list[Path], load_time: str | None = None) -> list[LoadedRecord]:
    """Load each extra source file with the loader for its format."""
    out = []
    for p in paths:
        if p.suffix == ".json":
            from loader.ctgov import ctgov_to_graph

            out.append(ctgov_to_graph(p, load_time=load_time))
        else:
            raise SourceError([Problem(str(p), 0, 0, "", f"no loader for '{p.suffix}' files (known: .json ClinicalTrials.gov API v2)")])
    return out
