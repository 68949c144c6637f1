"""A deterministic generator of N invented trials in msckg's own input formats, for benchmarks.

    python -m benchmarks.generate 1000 /tmp/bench-1k     # writes data/ (curated YAML) and ctgov/ (API v2 JSON)

Every `curated_every`-th trial is a curated ChiCTR-registered trial (an entities file and one
journal article per trial, a conference abstract for some, as in data/); all others are
ClinicalTrials.gov API v2 study records shaped like the real ones (../shared/ctgov/v2): two to
four arm groups, a cell product from a pool of manufacturers whose names come in several
spellings, a drug or placebo, outcome measures whose results give counts with denominators,
medians with ranges or means with standard deviations, analyses with odds ratios, confidence
intervals and p-values, up to twenty serious and other adverse-event rows for each event group,
baseline characteristics, eligibility, sponsors and collaborators, references to publications.
Half of the registry records have no results section, like the real registry.

`violations` rule violations are injected into curated articles, each flagged by a curator (a
msckg:SourceConflict naming the rule), so the build passes and validation reports exactly that
many acknowledged findings: see `Manifest.injected`. The same seed always gives the same bytes.
Nothing here is real data; every name is invented. The registry records are written by
generate_registry.py, the curated trials by generate_curated.py, from the names in
generate_vocabulary.py; this module lays out the corpus and its manifest.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python benchmarks/generate.py` too, as before the split

from benchmarks.generate_curated import INJECTABLE_RULES, curated_trial, organisations_yaml  # noqa: E402
from benchmarks.generate_registry import ctgov_study  # noqa: E402


@dataclass
class Manifest:
    """What one generated corpus holds: counts, file lists and the injected (flagged) violations."""

    trials: int
    seed: int
    registry_records: list[str] = field(default_factory=list)
    curated_files: list[str] = field(default_factory=list)
    injected: list[dict] = field(default_factory=list)  # {rule, focus}

    def injected_by_rule(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for v in self.injected:
            out[v["rule"]] = out.get(v["rule"], 0) + 1
        return dict(sorted(out.items()))


def generate(n_trials: int, out: Path, seed: int = 11, curated_every: int = 10, violations: int = 10) -> Manifest:
    """Write `n_trials` trials under `out`: data/entities, data/records (curated YAML) and ctgov/ (JSON)."""
    out = Path(out)
    (out / "data" / "entities").mkdir(parents=True, exist_ok=True)
    (out / "data" / "records").mkdir(parents=True, exist_ok=True)
    (out / "ctgov").mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    man = Manifest(n_trials, seed)
    (out / "data" / "entities" / "organisations.yaml").write_text(organisations_yaml(), encoding="utf-8")
    man.curated_files.append("data/entities/organisations.yaml")
    n_curated = len(range(0, n_trials, curated_every)) if curated_every else 0
    inject = [INJECTABLE_RULES[k % len(INJECTABLE_RULES)] for k in range(min(violations, n_curated))]
    for i in range(n_trials):
        if curated_every and i % curated_every == 0:
            ent, rec, injected, abstract = curated_trial(i, rnd, inject.pop(0) if inject else None)
            man.injected += injected
            for rel, text in ((f"data/entities/trial-synthetic-{i:07d}.yaml", ent), (f"data/records/synthetic-{i:07d}.yaml", rec),
                              (f"data/records/synthetic-{i:07d}-abstract.yaml", abstract)):
                if text:
                    (out / rel).write_text(text, encoding="utf-8")
                    man.curated_files.append(rel)
        else:
            study = ctgov_study(i, rnd)
            rel = f"ctgov/{study['protocolSection']['identificationModule']['nctId']}.json"
            (out / rel).write_text(json.dumps(study, indent=2, ensure_ascii=False), encoding="utf-8")
            man.registry_records.append(rel)
    (out / "manifest.json").write_text(json.dumps(asdict(man), indent=1), encoding="utf-8")
    return man


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        print(__doc__)
        raise SystemExit(2)
    man = generate(int(argv[0]), Path(argv[1]))
    print(f"{man.trials} trials: {len(man.registry_records)} registry records, {len(man.curated_files)} curated files, "
          f"{len(man.injected)} flagged violations {man.injected_by_rule()} -> {argv[1]}")


if __name__ == "__main__":
    main(sys.argv[1:])
