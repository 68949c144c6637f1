"""Gathering the per-arm counts an analysis needs, through the query files in queries/internal/ (parameters bound)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

from msckg.graph.paths import QUERIES
from msckg.graph.query.files import read_query_file
from msckg.graph.query.binding import bind_with_values
from msckg.graph.query.saved import bindings_for, run_saved
from msckg.graph.safety import check_query
from msckg.graph.store.base import Store
from msckg.graph.store.embedded import EmbeddedStore

from .spec import AnalysisSpec

INTERNAL = QUERIES / "internal"
M = "https://w3id.org/msckg/"


@dataclass(slots=True)
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


@lru_cache(maxsize=4096)
def short(iri: str) -> str:
    """The readable tail of an msckg IRI (id/trial/X/arm/y -> trial/X/arm/y); other IRIs as they are."""
    for base in (M + "id/", M):
        if iri.startswith(base):
            return iri[len(base):]
    return iri


def _int(v) -> int | None:
    if v is None:
        return None
    try:
        return int(v)
    except ValueError:
        return None


def _bool(v) -> bool | None:
    return None if v is None else v.lower() == "true"


def _local(v) -> str:
    return "" if v is None else short(v)


def select_values(store: Store, name: str, params: dict[str, str]) -> list[dict[str, str]]:
    """Run queries/internal/<name>.rq with its parameters bound; rows as {variable: lexical value} (unbound left out).

    On Oxigraph stores (embedded or in memory) the answer is serialised by Oxigraph as SPARQL TSV results and
    split here: converting a hundred thousand terms to rdflib (or reading them one by one, or decoding JSON
    results) costs more than the query itself."""
    query = read_query_file(INTERNAL / f"{name}.rq")
    ox_store = getattr(store, "oxigraph", None)
    if ox_store is None:
        rows = run_saved(store, query, params)
        return [{v: str(t) for v, t in zip(rows.variables, r) if t is not None} for r in rows.rows]
    _check_once(query.text)  # the values bound below are escaped RDF terms: they cannot add a SERVICE or an update
    text = bind_with_values(query.text, bindings_for(query, params))
    answer = ox_store.query(text, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.TSV)
    lines = answer.decode("utf-8").split("\n")
    names = [n[1:] for n in lines[0].split("\t")]
    out = []
    for line in lines[1:]:
        if not line:
            continue
        out.append({n: _tsv_value(v) for n, v in zip(names, line.split("\t")) if v})
    return out


@lru_cache(maxsize=64)
def _check_once(text: str) -> None:
    check_query(text)


_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _tsv_value(term: str) -> str:
    """The lexical value of one term of SPARQL TSV results (an <IRI>, a "literal"^^<type>, "text"@lang or _:b)."""
    if term[0] == "<":
        return term[1:-1]
    if term[0] != '"':
        if term.startswith("_:"):
            return term
        return term  # a bare number or boolean (TSV's short forms)
    end = term.rindex('"')
    body = term[1:end]
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "u":
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        elif nxt == "U":
            out.append(chr(int(body[i + 2:i + 10], 16)))
            i += 10
        else:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
    return "".join(out)


def gather(store: Store, spec: AnalysisSpec) -> list[InputRow]:
    """Every count under the analysis target, one InputRow per node, arm and source (filters are applied later)."""
    is_ae = spec.kind == "adverse-event"
    rows = select_values(store, "pool-adverse-events" if is_ae else "pool-responses",
                         {"class" if is_ae else "kind": spec.target})
    designs = {r["trial"]: r for r in select_values(store, "pool-trial-designs", {})} if rows else {}
    out = []
    for r in rows:
        get = r.get
        design = designs.get(get("trial", ""), {})
        out.append(InputRow(
            node=get("node", ""), trial=get("trial", ""), trial_label="",
            allocation=_local(design.get("allocation")), control_type=_local(design.get("control_type")),
            arm=get("arm", ""), arm_label=get("arm_label", ""), arm_role=get("arm_role", ""),
            population=get("population", ""), population_label=get("population_label", ""),
            population_type=_local(get("population_type")),
            event_class=get("event_class" if is_ae else "outcome", ""),
            event_label=get("event_class_label" if is_ae else "outcome_label", ""),
            term=get("term", ""), grade_min=_int(get("grade_min")), grade_max=_int(get("grade_max")),
            serious=_bool(get("serious")), relatedness=_local(get("relatedness")),
            count=_int(get("count")), denominator=_int(get("denominator")),
            timepoint=get("timepoint", ""), source=get("source", ""), locator=get("locator", ""),
        ))
    out.sort(key=lambda x: (x.trial, x.group, x.event_class, x.node, x.source))
    return out


def class_tree(store: Store, target: str) -> dict[str, set[str]]:
    """For every class at or below `target`: the classes above it, up to `target` (through subClassOf and exactMatch)."""
    above: dict[str, set[str]] = {}
    for r in select_values(store, "pool-class-tree", {"class": target}):
        narrower, broader = r.get("narrower"), r.get("broader")
        if narrower and broader and narrower != broader:
            above.setdefault(narrower, set()).add(broader)
    return above


def label_of(store: Store, term: str) -> str:
    """The rdfs:label of a term ('' when it has none)."""
    rows = select_values(store, "pool-label", {"term": term})
    return rows[0].get("label", "") if rows else ""


class InMemory(EmbeddedStore):
    """An Oxigraph store held in memory (a build's validated dataset, a test graph) behind the Store interface."""

    def __init__(self, store: ox.Store):  # noqa: D107 - no folder, no generations: the store is given
        self.folder = None
        self._store = store
