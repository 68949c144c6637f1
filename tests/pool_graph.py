"""Small invented graphs for the `msckg pool` tests: trials with known per-arm counts, plus the ontology."""

from __future__ import annotations

from functools import lru_cache

import pyoxigraph as ox

from msckg.graph.build.dataset import ontology_graph
from msckg.graph.paths import ONTOLOGY
from msckg.graph.synthesis.gather import InMemory

M = "https://w3id.org/msckg/"
ID = M + "id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
ROLE_CLASS = {"experimental": "ExperimentalArm", "control": "ControlArm", "placebo": "PlaceboArm"}


@lru_cache(maxsize=1)
def _ontology_nt() -> str:
    return ontology_graph(ONTOLOGY).serialize(format="nt")


def _lit(v, dt: str | None = None) -> str:
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"^^<{XSD}{dt}>' if dt else f'"{s}"'


def trial_quads(tid: str, arms: list[tuple[str, int, int]], *, kind: str = "adverse-event",
                event_class: str = "AE_Infection", grade_band: str | None = "AnyGrade", population_type: str = "SafetySet",
                allocation: str = "Randomized", control_type: str = "PlaceboControl", timepoint: str | None = None,
                serious: bool | None = None, term: str = "infection") -> list[str]:
    """N-Quads of one invented trial: arms (role, count, denominator), one count per arm in one named graph."""
    g = f"<{M}graph/test/{tid}>"
    trial, pub = f"{ID}trial/{tid}", f"{ID}pub/test-{tid}"
    lines = []

    def q(s, p, o):
        lines.append(f"<{s}> <{p}> {o} {g} .")

    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    q(trial, rdf_type, f"<{M}Trial>")
    q(trial, label, _lit(f"Test trial {tid}"))
    if allocation:
        q(trial, M + "allocation", f"<{M}{allocation}>")
    if control_type:
        q(trial, M + "controlType", f"<{M}{control_type}>")
    q(pub, rdf_type, f"<{M}JournalArticle>")
    q(pub, label, _lit(f"Report of test trial {tid}"))
    q(pub, M + "reports", f"<{trial}>")
    reg = f"{trial}/registration/ctgov"
    q(trial, M + "registration", f"<{reg}>")
    q(reg, rdf_type, f"<{M}ClinicalTrialsGovRegistration>")
    q(reg, label, _lit(tid))
    q(reg, M + "registryId", _lit(tid))
    pop = f"{trial}/population/p"
    if population_type:
        q(pop, rdf_type, f"<{M}AnalysisPopulation>")
        q(pop, M + "populationOf", f"<{trial}>")
        q(pop, M + "populationType", f"<{M}{population_type}>")
    outcome = f"{trial}/outcome/response"
    if kind == "response":
        q(outcome, rdf_type, f"<{M}OutcomeMeasure>")
        q(outcome, M + "outcomeOf", f"<{trial}>")
        q(outcome, M + "outcomeKind", f"<{M}{event_class}>")
        q(outcome, label, _lit("overall response"))
    for i, (role, count, n) in enumerate(arms):
        arm = f"{trial}/arm/{role}-{i}"
        q(arm, rdf_type, f"<{M}{ROLE_CLASS[role]}>")
        q(arm, M + "armOf", f"<{trial}>")
        q(arm, label, _lit(f"{role} arm {i}"))
        node = f"{pub}/{'ae' if kind == 'adverse-event' else 'result'}/{i}"
        q(node, M + "source", f"<{pub}>")
        q(node, M + "locator", _lit(f"Table 2, row {i + 1}"))
        q(node, M + "arm", f"<{arm}>")
        if population_type:
            q(node, M + "population", f"<{pop}>")
        if timepoint:
            q(node, M + "timePoint", _lit(timepoint))
        if kind == "adverse-event":
            q(node, rdf_type, f"<{M}AdverseEventCount>")
            q(node, M + "eventClass", f"<{M}{event_class}>")
            q(node, M + "term", _lit(term))
            if grade_band:
                q(node, M + "gradeBand", f"<{M}{grade_band}>")
            if serious is not None:
                q(node, M + "serious", _lit(str(serious).lower(), "boolean"))
            q(node, M + "affected", _lit(count, "nonNegativeInteger"))
            q(node, M + "atRisk", _lit(n, "nonNegativeInteger"))
        else:
            q(node, rdf_type, f"<{M}ProportionResult>")
            q(node, M + "outcome", f"<{outcome}>")
            q(node, M + "count", _lit(count, "nonNegativeInteger"))
            q(node, M + "denominator", _lit(n, "nonNegativeInteger"))
    return lines


def store_of(quads: list[str]) -> InMemory:
    """An in-memory store holding the ontology (in its graph) and the given quads."""
    s = ox.Store()
    s.load(_ontology_nt(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(M + "graph/ontology"))
    s.load("\n".join(quads) + "\n", format=ox.RdfFormat.N_QUADS)
    return InMemory(s)


def two_arm_store(counts: list[tuple[str, int, int, int, int]], **kw) -> InMemory:
    """A store of two-arm trials: (trial id, experimental events, experimental N, control events, control N)."""
    quads = []
    for tid, x1, n1, x2, n2 in counts:
        quads += trial_quads(tid, [("experimental", x1, n1), ("control", x2, n2)], **kw)
    return store_of(quads)
