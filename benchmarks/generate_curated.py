"""Invented curated ChiCTR trials for benchmarks/generate.py: entities, a journal article, an abstract, flagged violations."""

from __future__ import annotations

import json
import random

from benchmarks.generate_vocabulary import AE_TERMS, CONDITIONS, MANUFACTURERS

INJECTABLE_RULES = ["R-COUNT-DENOMINATOR", "R-PERCENT-MATCH", "R-AE-AFFECTED", "R-CI-BRACKETS", "R-AE-PERCENT-MATCH"]
ID = "https://w3id.org/msckg/id/"


def _q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return json.dumps(text, ensure_ascii=False)


def organisations_yaml() -> str:
    lines = ["# Invented manufacturers of the benchmark corpus (benchmarks/generate.py): one node, several spellings.", "entities:"]
    for slug, name, spellings in MANUFACTURERS:
        lines += [f"  - key: org/{slug}", "    a: Organisation", f"    label: {_q(name)}", "    altLabel:"]
        lines += [f"      - {_q(s)}" for s in spellings]
    return "\n".join(lines) + "\n"


def curated_trial(i: int, rnd: random.Random, rule: str | None = None) -> tuple[str, str, list[dict], str | None]:
    """(entities YAML, article YAML, injected violations, conference abstract YAML or None) for one ChiCTR trial.

    `rule` (one of INJECTABLE_RULES) breaks that rule once in the article and flags it as a source problem."""
    cid = f"ChiCTR9{i:09d}"
    t = f"trial/{cid}"
    cond, cslug = rnd.choice(CONDITIONS)
    slug, maker, _ = rnd.choice(MANUFACTURERS)
    arms = ["msc", "control"] if rnd.random() < 0.6 or rule == "R-CI-BRACKETS" else ["dose-1", "dose-2", "dose-3"]
    sizes = {a: rnd.randint(8, 40) for a in arms}
    randomized = arms[0] == "msc"
    e = [
        "# An invented ChiCTR trial of the benchmark corpus (benchmarks/generate.py).", "entities:",
        f"  - key: {t}", "    a: Trial", f"    label: {_q(f'UC-MSCs for {cond}, synthetic curated trial {i}')}",
        f"    registration: {t}/registration/chictr", f"    phase: {rnd.choice(['Phase1', 'Phase2', 'Phase1_2'])}",
        f"    allocation: {'Randomized' if randomized else 'NonRandomized'}", f"    masking: {'DoubleBlind' if randomized else 'OpenLabel'}",
        f"    actualEnrolment: {sum(sizes.values())}", f"    condition: condition/{cslug}-{i}",
        f"  - key: {t}/registration/chictr", "    a: ChiCTRRegistration", f"    registryId: {cid}",
        f"  - key: condition/{cslug}-{i}", "    a: Condition", f"    label: {_q(cond)}",
        f"  - key: product/{slug}-{i}", "    a: MscProduct", f"    label: {_q(f'UC-MSC product {i}')}", f"    manufacturer: org/{slug}",
        "    incompletelyCharacterised: true",
        f"  - key: {t}/intervention/msc", "    a: CellTherapy", f"    label: {_q('UC-MSC infusion')}", f"    product: product/{slug}-{i}",
    ]
    for a in arms:
        cls = "ControlArm" if a == "control" else ("ExperimentalArm" if a == "msc" else "DoseCohort")
        e += [f"  - key: {t}/arm/{a}", f"    a: {cls}", f"    label: {_q(f'{a} arm')}", f"    armOf: {t}", f"    size: {sizes[a]}"]
        if a != "control":
            e += [f"  - key: {t}/regimen/{a}", "    a: DosingRegimen", f"    label: {_q(f'{a} regimen')}", f"    intervention: {t}/intervention/msc",
                  f"    arm: {t}/arm/{a}", f"    doseValue: {rnd.choice(['0.5', '1', '2'])}", "    administrations: 4",
                  f"    source: pub/synthetic-{i}", "    locator: Methods ¶2"]
    e += [f"  - key: {t}/population/itt", "    a: AnalysisPopulation", f"    label: {_q('intention to treat')}", f"    populationOf: {t}",
          "    populationType: IntentionToTreat", f"    size: {sum(sizes.values())}", "    includesArm: [" + ", ".join(f"{t}/arm/{a}" for a in arms) + "]",
          f"  - key: {t}/outcome/orr", "    a: OutcomeMeasure", f"    label: {_q('Overall response at day 28')}", f"    outcomeOf: {t}",
          "    importance: PrimaryOutcome", "    outcomeKind: OverallResponse", "    timePoint: day 28"]
    pub = f"pub/synthetic-{i}"
    r = ["# An invented journal article of the benchmark corpus (benchmarks/generate.py).", "document:", f"  key: {pub}", "  a: JournalArticle",
         f"  label: {_q(f'Synthetic et al. {2015 + i % 10}, report {i}')}", f"  doi: 10.9999/synthetic.{i}", f"  reports: {t}",
         f"  sourceFile: synthetic-{i}.txt", "entities:"]
    injected: list[dict] = []
    kept: dict[str, tuple[int, int]] = {}
    for a in arms:
        n = sizes[a]
        k = rnd.randint(0, n)
        pct = f"{100 * k / n:.1f}"
        here = rule if a == arms[0] else None
        key = f"{pub}/result/orr-{a}"
        if here == "R-COUNT-DENOMINATOR":
            k, pct = n + 2, None  # no percent printed, so only this rule breaks
        elif here == "R-PERCENT-MATCH":
            pct = f"{(100 * k / n + 17) % 100:.1f}"
        kept[a] = (k, n)
        r += [f"  - key: {key}", "    a: ProportionResult", f"    outcome: {t}/outcome/orr", f"    arm: {t}/arm/{a}", f"    count: {k}",
              f"    denominator: {n}"] + ([f"    percent: {pct}"] if pct else []) + ["    timePoint: day 28", f"    locator: {_q(f'Table 2, row {a}')}"]
        if here in ("R-COUNT-DENOMINATOR", "R-PERCENT-MATCH"):
            injected.append({"rule": here, "focus": ID + key})
        for j, (term, _) in enumerate(rnd.sample(AE_TERMS, 8)):
            at_risk = n
            affected = rnd.randint(0, n)
            ae_rule = here if j == 0 else None
            ae_pct = f"{100 * affected / at_risk:.1f}"
            if ae_rule == "R-AE-AFFECTED":
                affected = n + 1
            if ae_rule == "R-AE-PERCENT-MATCH":
                ae_pct = f"{(100 * affected / at_risk + 23) % 100:.1f}"
            akey = f"{pub}/ae/{a}-{j}"
            r += [f"  - key: {akey}", "    a: AdverseEventCount", f"    arm: {t}/arm/{a}", f"    term: {_q(term.lower())}",
                  f"    grade: {rnd.randint(1, 4)}", f"    serious: {'true' if rnd.random() < 0.2 else 'false'}",
                  f"    affected: {affected}", f"    atRisk: {at_risk}"] + ([] if ae_rule == "R-AE-AFFECTED" else [f"    percent: {ae_pct}"]) + [f"    locator: {_q(f'Table 3, row {term}, column {a}')}"]
            if ae_rule in ("R-AE-AFFECTED", "R-AE-PERCENT-MATCH"):
                injected.append({"rule": ae_rule, "focus": ID + akey})
    if randomized:
        est = round(rnd.uniform(0.5, 5), 2)
        lo, hi = round(est * 0.5, 2), round(est * 1.8, 2)
        if rule == "R-CI-BRACKETS":
            lo, hi = round(est * 1.5, 2), round(est * 2.5, 2)
        ckey = f"{pub}/comparison/orr"
        r += [f"  - key: {ckey}", "    a: OddsRatio", f"    outcome: {t}/outcome/orr", f"    experimentalArm: {t}/arm/msc",
              f"    comparatorArm: {t}/arm/control", f"    estimate: {est}", f"    ciLower: {lo}", f"    ciUpper: {hi}",
              f"    pValue: {rnd.uniform(0.001, 0.5):.3f}", "    locator: Results ¶4"]
        if rule == "R-CI-BRACKETS":
            injected.append({"rule": rule, "focus": ID + ckey})
    for n_flag, v in enumerate(injected):
        rel = v["focus"][len(ID):]
        r += [f"  - key: {pub}/conflict/{n_flag}", "    a: SourceConflict", f"    flags: {rel}",
              f"    problem: {_q('The printed value breaks ' + v['rule'] + ' in the source; kept as printed.')}",
              f"    ruleFlagged: {v['rule']}", f"    locator: {_q('Table 2')}"]
    abstract = None
    if i % 5 == 0:  # a conference abstract reporting the same trial, one value different: R-SOURCE-CONFLICT (a warning)
        a = arms[0]
        k, n = kept[a]
        k2 = (k + 1) % (n + 1)
        apub = f"pub/synthetic-{i}-abstract"
        abstract = "\n".join([
            "# An invented conference abstract of the benchmark corpus (benchmarks/generate.py).", "document:", f"  key: {apub}",
            "  a: ConferenceAbstract", f"  label: {_q(f'Synthetic abstract {i}')}", f"  reports: {t}", f"  sourceFile: synthetic-{i}-abstract.txt",
            "entities:", f"  - key: {apub}/result/orr-{a}", "    a: ProportionResult", f"    outcome: {t}/outcome/orr", f"    arm: {t}/arm/{a}",
            f"    count: {k2}", f"    denominator: {n}", "    timePoint: day 28", "    locator: Results",
        ]) + "\n"
    return "\n".join(e) + "\n", "\n".join(r) + "\n", injected, abstract

