"""A deterministic synthetic dataset of N invented trials (arms, regimens, results, AEs) as N-Quads."""

from __future__ import annotations

import random

M = "https://w3id.org/msckg/"
ID = M + "id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
AE_CLASSES = ["AE_GastrointestinalHaemorrhage", "AE_Haemorrhage", "AE_Infection", "AE_Fever", "AE_Cytopenia", "AE_HepaticDisorder"]


def _iri(x: str) -> str:
    return f"<{x}>"


def _lit(v, dt: str | None = None) -> str:
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"^^<{XSD}{dt}>' if dt else f'"{s}"'


def synthetic_nquads(n_trials: int, arms: int = 3, outcomes: int = 4, aes: int = 12, seed: int = 7) -> str:
    """N-Quads for `n_trials` invented trials, each in its own named graph."""
    rnd = random.Random(seed)
    lines: list[str] = []
    for t in range(n_trials):
        nct = f"NCT9{t:07d}"
        g = _iri(f"{M}graph/synthetic/{nct}")
        trial = f"{ID}trial/{nct}"
        pub = f"{ID}pub/synthetic-{t}"

        def q(s, p, o):
            lines.append(f"{_iri(s)} {_iri(p)} {o} {g} .")

        q(trial, RDF_TYPE, _iri(M + "Trial"))
        q(trial, LABEL, _lit(f"Synthetic trial {t}"))
        q(trial, M + "phase", _iri(M + rnd.choice(["Phase1", "Phase2", "Phase3"])))
        q(trial, M + "allocation", _iri(M + "Randomized"))
        q(pub, RDF_TYPE, _iri(M + "JournalArticle"))
        q(pub, M + "reports", _iri(trial))
        for a in range(arms):
            arm = f"{trial}/arm/{a}"
            q(arm, RDF_TYPE, _iri(M + ("ExperimentalArm" if a else "ControlArm")))
            q(arm, M + "armOf", _iri(trial))
            size = rnd.randint(10, 60)
            q(arm, M + "size", _lit(size, "nonNegativeInteger"))
            for o in range(outcomes):
                out = f"{trial}/outcome/{o}"
                if a == 0:
                    q(out, RDF_TYPE, _iri(M + "OutcomeMeasure"))
                    q(out, M + "outcomeOf", _iri(trial))
                    q(out, M + "outcomeKind", _iri(M + "OverallResponse"))
                res = f"{pub}/result/{a}-{o}"
                k = rnd.randint(0, size)
                q(res, RDF_TYPE, _iri(M + "ProportionResult"))
                q(res, M + "outcome", _iri(out))
                q(res, M + "arm", _iri(arm))
                q(res, M + "count", _lit(k, "nonNegativeInteger"))
                q(res, M + "denominator", _lit(size, "nonNegativeInteger"))
                q(res, M + "source", _iri(pub))
                q(res, M + "locator", _lit(f"Table 2 row {o}"))
            for e in range(aes):
                ae = f"{pub}/ae/{a}-{e}"
                q(ae, RDF_TYPE, _iri(M + "AdverseEventCount"))
                q(ae, M + "arm", _iri(arm))
                q(ae, M + "term", _lit(f"event {e}"))
                q(ae, M + "eventClass", _iri(M + AE_CLASSES[e % len(AE_CLASSES)]))
                q(ae, M + "grade", _lit(rnd.randint(1, 5), "integer"))
                q(ae, M + "affected", _lit(rnd.randint(0, size), "nonNegativeInteger"))
                q(ae, M + "atRisk", _lit(size, "nonNegativeInteger"))
                q(ae, M + "source", _iri(pub))
    return "\n".join(lines) + "\n"
