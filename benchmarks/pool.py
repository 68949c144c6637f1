"""`msckg pool` at scale: one pooled analysis over an ontology class at 10k synthetic trials (make bench).

    python benchmarks/pool.py            # 10,000 two-arm trials
    python benchmarks/pool.py 2000       # a smaller graph

Each invented trial has an experimental and a placebo arm and a safety population; each arm has one
any-grade count under msckg:AE_Haemorrhage (gastrointestinal, cerebral haemorrhage or haemorrhagic
cystitis, so the class is reached through rdfs:subClassOf) and seven counts of other events. The figure is
`run_analysis` for every haemorrhage (gather through queries/internal/pool-adverse-events.rq, the class tree,
screening, effect sizes, fixed effect, DL, REML and PM), beside the baseline measured in the same run:
gathering the same rows with the saved query `adverse-events` alone (class=msckg:AE_Haemorrhage). Median of
3 runs; nothing is asserted (speed is never asserted in a unit test); the machine is shared, so figures are
noisy. The generator is deterministic (seeded).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox  # noqa: E402

from msckg.graph.build.dataset import ontology_graph  # noqa: E402
from msckg.graph.paths import ONTOLOGY, QUERIES  # noqa: E402
from msckg.graph.query.files import read_query_file  # noqa: E402
from msckg.graph.query.saved import run_saved  # noqa: E402
from msckg.graph.synthesis.analysis import run_analysis  # noqa: E402
from msckg.graph.synthesis.gather import InMemory  # noqa: E402
from msckg.graph.synthesis.spec import AnalysisSpec  # noqa: E402

M = "https://w3id.org/msckg/"
ID = M + "id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
HAEMORRHAGES = ["AE_GastrointestinalHaemorrhage", "AE_CerebralHaemorrhage", "AE_HaemorrhagicCystitis"]
OTHERS = ["AE_Infection", "AE_Fever", "AE_Pneumonia", "AE_Sepsis", "AE_Nausea", "AE_Diarrhoea", "AE_Anaemia"]


def pool_nquads(n_trials: int, seed: int = 16) -> str:
    """N-Quads of `n_trials` invented two-arm trials, one named graph each."""
    rnd = random.Random(seed)
    lines: list[str] = []
    for t in range(n_trials):
        nct = f"NCT7{t:07d}"
        g = f"<{M}graph/bench/{nct}>"
        trial, pub, pop = f"{ID}trial/{nct}", f"{ID}pub/bench-{t}", f"{ID}trial/{nct}/population/safety"

        def q(s, p, o):
            lines.append(f"<{s}> <{p}> {o} {g} .")

        q(trial, TYPE, f"<{M}Trial>")
        q(trial, M + "allocation", f"<{M}Randomized>")
        q(trial, M + "controlType", f"<{M}PlaceboControl>")
        q(pop, TYPE, f"<{M}AnalysisPopulation>")
        q(pop, M + "populationOf", f"<{trial}>")
        q(pop, M + "populationType", f"<{M}SafetySet>")
        haem = rnd.choice(HAEMORRHAGES)
        for a, cls in enumerate(("ExperimentalArm", "PlaceboArm")):
            arm = f"{trial}/arm/{a}"
            n = rnd.randint(20, 120)
            q(arm, TYPE, f"<{M}{cls}>")
            q(arm, M + "armOf", f"<{trial}>")
            for e, event in enumerate([haem] + OTHERS):
                node = f"{pub}/ae/{a}-{e}"
                q(node, TYPE, f"<{M}AdverseEventCount>")
                q(node, M + "arm", f"<{arm}>")
                q(node, M + "population", f"<{pop}>")
                q(node, M + "eventClass", f"<{M}{event}>")
                q(node, M + "term", f'"{event[3:].lower()}"')
                q(node, M + "gradeBand", f"<{M}AnyGrade>")
                q(node, M + "affected", f'"{rnd.randint(0, n // 3)}"^^<{XSD}nonNegativeInteger>')
                q(node, M + "atRisk", f'"{n}"^^<{XSD}nonNegativeInteger>')
                q(node, M + "source", f"<{pub}>")
                q(node, M + "locator", f'"Table 3 row {e}"')
    return "\n".join(lines) + "\n"


def _median(fn, clock, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        runs.append(clock() - t0)
    return sorted(runs)[len(runs) // 2]


def timed(fn, repeat: int = 3) -> float:
    """Median wall seconds."""
    return _median(fn, time.perf_counter, repeat)


def cpu_timed(fn, repeat: int = 3) -> float:
    """Median CPU seconds of this process (Oxigraph evaluates in it): what a shared machine's load inflates least."""
    return _median(fn, time.process_time, repeat)


def main(n: int = 10_000) -> None:
    t0 = time.perf_counter()
    store = ox.Store()
    store.load(pool_nquads(n), format=ox.RdfFormat.N_QUADS)
    store.load(ontology_graph(ONTOLOGY).serialize(format="nt"), format=ox.RdfFormat.N_TRIPLES,
               to_graph=ox.NamedNode(M + "graph/ontology"))
    print(f"pool benchmark: {n} synthetic trials, {len(store)} quads, loaded in {time.perf_counter() - t0:.1f} s")
    wrapped = InMemory(store)
    saved = read_query_file(QUERIES / "adverse-events.rq")
    baseline_rows = len(run_saved(wrapped, saved, {"class": "msckg:AE_Haemorrhage"}).rows)
    spec = AnalysisSpec("adverse-event", M + "AE_Haemorrhage")
    result = run_analysis(wrapped, spec)
    ours = timed(lambda: run_analysis(wrapped, spec))
    base = timed(lambda: run_saved(wrapped, saved, {"class": "msckg:AE_Haemorrhage"}))
    ours_cpu = cpu_timed(lambda: run_analysis(wrapped, spec))
    base_cpu = cpu_timed(lambda: run_saved(wrapped, saved, {"class": "msckg:AE_Haemorrhage"}))
    reml = result.comparison.pooled["reml"]
    print(f"{'pooled analysis, every haemorrhage (' + str(result.comparison.k) + ' trials pooled)':<60} "
          f"msckg {ours:8.3f} s   baseline {base:8.3f} s   ratio {base / ours:6.1f}x   (target: msckg <= 2 s)")
    print(f"{'  the same, CPU seconds of this process (load inflates less)':<60} "
          f"msckg {ours_cpu:8.3f} s   baseline {base_cpu:8.3f} s   ratio {base_cpu / ours_cpu:6.1f}x")
    print(f"{'':<60} saved query 'adverse-events' alone returned {baseline_rows} rows; "
          f"REML RR {2.718281828459045 ** reml.estimate:.3f}, tau² {reml.tau2:.4f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
