"""ClinicalTrials.gov enum values, analysis types, outcome kinds and units -> msckg terms, read from the TSV tables beside this file."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from rdflib import URIRef

from .schema import MSCKG, read_prefixes

HERE = Path(__file__).resolve().parent
ENUM_TABLE = HERE / "ctgov_terms.tsv"
ANALYSIS_TABLE = HERE / "ctgov_analysis_types.tsv"
OUTCOME_KIND_TABLE = HERE / "ctgov_outcome_kinds.tsv"
UNIT_TABLE = HERE / "ctgov_units.tsv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _term(curie: str, path: Path) -> URIRef:
    prefix, _, local = curie.partition(":")
    if prefix != "msckg" or not local:
        raise ValueError(f"{path.name}: '{curie}' is not an msckg: CURIE")
    return MSCKG[local]


@lru_cache(maxsize=1)
def enum_tables() -> dict[str, dict]:
    """{table: {registry value: term}}; the phases table is keyed by the tuple of phases."""
    out: dict[str, dict] = {}
    for row in _rows(ENUM_TABLE):
        key = tuple(row["registry_value"].split()) if row["table"] == "phases" else row["registry_value"]
        out.setdefault(row["table"], {})[key] = _term(row["term"], ENUM_TABLE)
    return out


@lru_cache(maxsize=1)
def analysis_types() -> list[tuple[re.Pattern, URIRef]]:
    """(pattern, comparison class) in table order: the first pattern found in the parameter type wins."""
    return [(re.compile(row["pattern"]), _term(row["term"], ANALYSIS_TABLE)) for row in _rows(ANALYSIS_TABLE)]


@lru_cache(maxsize=1)
def outcome_kinds() -> list[tuple[re.Pattern, URIRef | None]]:
    """(pattern, outcome kind or None for 'not a response outcome') in table order."""
    return [(re.compile(row["pattern"]), _term(row["term"], OUTCOME_KIND_TABLE) if row["term"] else None)
            for row in _rows(OUTCOME_KIND_TABLE)]


def unit_key(printed: str) -> str:
    """A printed unit for looking up: case-folded, spaces collapsed, no space around '/', '^', '*' and '.'."""
    s = re.sub(r"\s+", " ", printed.strip().casefold())
    return re.sub(r"\s*([/^*])\s*", r"\1", s)


@lru_cache(maxsize=1)
def units() -> dict[str, tuple[str, URIRef | None]]:
    """Printed unit (unit_key) -> (UCUM code, UO or QUDT term or None)."""
    conv = read_prefixes()
    out: dict[str, tuple[str, URIRef | None]] = {}
    for row in _rows(UNIT_TABLE):
        term = URIRef(conv.expand_strict(row["term"])) if row["term"] else None
        for spelling in row["printed"].split(" | "):
            key = unit_key(spelling)
            if key in out:
                raise ValueError(f"{UNIT_TABLE.name}: the unit '{spelling}' is listed twice")
            out[key] = (row["ucum"], term)
    return out
