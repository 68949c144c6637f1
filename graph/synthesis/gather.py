"""Gathering the per-arm counts an analysis needs, through the query files in queries/internal/ (parameters bound)."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import URIRef

from msckg.graph.paths import QUERIES
from msckg.graph.query.files import read_query_file
from msckg.graph.query.saved import run_saved
from msckg.graph.store.base import Store
from msckg.graph.store.embedded import EmbeddedStore

from .spec import AnalysisSpec

INTERNAL = QUERIES / "internal"
M = "https://w3id.org/msckg/"


@dataclass(frozen=True)
class InputRow:
    """One count read from the graph: the node, its trial, arm and population, and where it is printed."""

    node: str
    trial: str
    trial_label: str
    allocation: str          # local name of the trial's allocation ('' when not stated)
    control_type: str        # local name of the trial's control type ('' when not stated)
    arm: str                 # '' when the count is for a population or trial only
    arm_label: str
    arm_role: str            # experimental, control, placebo, or ''
    population: str
    population_label: str
    population_type: str     # local name (IntentionToTreat, SafetySet, ...) or ''
    event_class: str         # adverse-event class, or the outcome for a response
    event_label: str
    term: str
    grade_min: int | None
    grade_max: int | None
    serious: bool | None
    relatedness: str         # local name or ''
    count: int | None
    denominator: int | None
    timepoint: str
    source: str
    locator: str

    @property
    def group(self) -> str:
        """The arm, else the population the count is for."""
        return self.arm or self.population

    @property
    def group_label(self) -> str:
        return self.arm_label or self.population_label or short(self.group)


def short(iri: str) -> str:
    """The readable tail of an msckg IRI (id/trial/X/arm/y -> trial/X/arm/y); other IRIs as they are."""
    for base in (M + "id/", M):
        if iri.startswith(base):
            return iri[len(base):]
    return iri


def _text(v) -> str:
    return "" if v is None else str(v)


def _int(v) -> int | None:
    if v is None:
        return None
    try:
        return int(str(v))
    except ValueError:
        return None


def _bool(v) -> bool | None:
    if v is None:
        return None
    return str(v).lower() == "true"


def _local(v) -> str:
    return "" if v is None else short(str(v))


def gather(store: Store, spec: AnalysisSpec) -> list[InputRow]:
    """Every count under the analysis target, one InputRow per node and arm (filters are applied later)."""
    name = "pool-adverse-events" if spec.kind == "adverse-event" else "pool-responses"
    query = read_query_file(INTERNAL / f"{name}.rq")
    param = "class" if spec.kind == "adverse-event" else "kind"
    rows = run_saved(store, query, {param: spec.target})
    col = {v: i for i, v in enumerate(rows.variables)}
    out = []
    for r in rows.rows:
        get = lambda k: r[col[k]] if k in col else None  # noqa: E731
        is_ae = spec.kind == "adverse-event"
        out.append(InputRow(
            node=_text(get("node")), trial=_text(get("trial")), trial_label=_text(get("trial_label")),
            allocation=_local(get("allocation")), control_type=_local(get("control_type")),
            arm=_text(get("arm")), arm_label=_text(get("arm_label")), arm_role=_text(get("arm_role")),
            population=_text(get("population")), population_label=_text(get("population_label")),
            population_type=_local(get("population_type")),
            event_class=_text(get("event_class") if is_ae else get("outcome")),
            event_label=_text(get("event_class_label") if is_ae else get("outcome_label")),
            term=_text(get("term")), grade_min=_int(get("grade_min")), grade_max=_int(get("grade_max")),
            serious=_bool(get("serious")), relatedness=_local(get("relatedness")),
            count=_int(get("count")), denominator=_int(get("denominator")),
            timepoint=_text(get("timepoint")), source=_text(get("source")), locator=_text(get("locator")),
        ))
    return out


def class_tree(store: Store, target: str) -> dict[str, set[str]]:
    """For every class at or below `target`: the classes above it, up to `target` (through subClassOf and exactMatch)."""
    query = read_query_file(INTERNAL / "pool-class-tree.rq")
    rows = run_saved(store, query, {"class": target})
    above: dict[str, set[str]] = {}
    for narrower, broader in rows.rows:
        if isinstance(narrower, URIRef) and isinstance(broader, URIRef) and narrower != broader:
            above.setdefault(str(narrower), set()).add(str(broader))
    return above


def label_of(store: Store, term: str) -> str:
    """The rdfs:label of a term ('' when it has none)."""
    rows = run_saved(store, read_query_file(INTERNAL / "pool-label.rq"), {"term": term})
    return str(rows.rows[0][0]) if rows.rows and rows.rows[0][0] is not None else ""


class InMemory(EmbeddedStore):
    """An Oxigraph store held in memory (a build's validated dataset, a test graph) behind the Store interface."""

    def __init__(self, store: ox.Store):  # noqa: D107 - no folder, no generations: the store is given
        self.folder = None
        self._store = store
