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
Nothing here is real data; every name is invented.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANUFACTURERS = [  # (slug, preferred name, other spellings seen in registry records)
    (f"cellmaker-{i:02d}", f"{name} Biotech Co., Ltd", [f"{name} Biotechnology Co. Ltd.", f"{name.upper()} BIOTECH", f"{name} Bio-Tech"])
    for i, name in enumerate([
        "Arcadia", "Beringen", "Calderon", "Dunmore", "Elsworth", "Farrow", "Galen", "Harrowgate", "Ilford", "Jarrow",
        "Kestrel", "Lindqvist", "Marlow", "Northam", "Oakridge", "Pembury", "Quantock", "Rysdale", "Selwood", "Tamsin",
        "Ulvik", "Vantor", "Wexcombe", "Xandria", "Yelverton", "Zennor", "Ashgrove", "Brackley", "Cotswold", "Denholm",
    ])
]
CONDITIONS = [
    ("Immune Thrombocytopenia", "refractory-itp"), ("Aplastic Anemia", "saa"), ("Acute Graft Versus Host Disease", "agvhd"),
    ("Chronic Graft Versus Host Disease", "cgvhd"), ("Myelodysplastic Syndromes", "mds"), ("Poor Graft Function", "pgf"),
    ("Severe Aplastic Anaemia", "severe-saa"), ("Steroid-refractory Acute GVHD", "sr-agvhd"),
]
AE_TERMS = [  # (term as printed, organ system); several map to the ontology's adverse-event classes
    ("Pyrexia", "General disorders"), ("Fever", "General disorders"), ("Infection", "Infections and infestations"),
    ("Gastrointestinal haemorrhage", "Gastrointestinal disorders"), ("Haemorrhage", "Vascular disorders"),
    ("Cytopenia", "Blood and lymphatic system disorders"), ("Anaemia", "Blood and lymphatic system disorders"),
    ("Thrombocytopenia", "Blood and lymphatic system disorders"), ("Neutropenia", "Blood and lymphatic system disorders"),
    ("Nausea", "Gastrointestinal disorders"), ("Diarrhoea", "Gastrointestinal disorders"), ("Vomiting", "Gastrointestinal disorders"),
    ("Headache", "Nervous system disorders"), ("Rash", "Skin and subcutaneous tissue disorders"), ("Fatigue", "General disorders"),
    ("Cough", "Respiratory disorders"), ("Pneumonia", "Infections and infestations"), ("Sepsis", "Infections and infestations"),
    ("Hypertension", "Vascular disorders"), ("Hypokalaemia", "Metabolism and nutrition disorders"),
    ("Alanine aminotransferase increased", "Investigations"), ("Infusion related reaction", "Injury and procedural complications"),
    ("Chills", "General disorders"), ("Arthralgia", "Musculoskeletal disorders"), ("Back pain", "Musculoskeletal disorders"),
    ("Insomnia", "Psychiatric disorders"), ("Dizziness", "Nervous system disorders"), ("Oedema peripheral", "General disorders"),
    ("Epistaxis", "Respiratory disorders"), ("Hepatic disorder", "Hepatobiliary disorders"), ("Renal disorder", "Renal disorders"),
    ("Cytomegalovirus infection", "Infections and infestations"), ("Febrile neutropenia", "Blood and lymphatic system disorders"),
    ("Pruritus", "Skin and subcutaneous tissue disorders"), ("Abdominal pain", "Gastrointestinal disorders"),
    ("Constipation", "Gastrointestinal disorders"), ("Mucositis", "Gastrointestinal disorders"), ("Dyspnoea", "Respiratory disorders"),
]
DRUGS = ["Cyclosporine", "Eltrombopag", "Ruxolitinib", "Methylprednisolone", "Anti-thymocyte globulin", "Tacrolimus"]
OUTCOMES = [
    ("Overall Response Rate", "Percentage of participants with complete or partial response", "COUNT_OF_PARTICIPANTS"),
    ("Complete Response", "Participants with platelet count above 100 x 10^9/L", "COUNT_OF_PARTICIPANTS"),
    ("Time to Response", "Days from first infusion to response", "MEDIAN"),
    ("Platelet Count", "Platelet count at the time point", "MEAN"),
    ("Overall Survival", "Participants alive at the time point", "COUNT_OF_PARTICIPANTS"),
    ("Treatment-emergent Adverse Events", "Participants with at least one TEAE", "COUNT_OF_PARTICIPANTS"),
]
INJECTABLE_RULES = ["R-COUNT-DENOMINATOR", "R-PERCENT-MATCH", "R-AE-AFFECTED", "R-CI-BRACKETS", "R-AE-PERCENT-MATCH"]
ID = "https://w3id.org/msckg/id/"


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


def _q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return json.dumps(text, ensure_ascii=False)


def _dates(rnd: random.Random) -> tuple[str, str]:
    y = rnd.randint(2008, 2022)
    m = rnd.randint(1, 12)
    return f"{y}-{m:02d}", f"{y + rnd.randint(1, 4)}-{rnd.randint(1, 12):02d}"


# ------------------------------------------------------------------------------ registry records

def ctgov_study(i: int, rnd: random.Random) -> dict:
    """One ClinicalTrials.gov API v2 study record (a dict ready for json.dump)."""
    nct = f"NCT9{i:07d}"
    cond, _ = rnd.choice(CONDITIONS)
    slug, maker, spellings = rnd.choice(MANUFACTURERS)
    maker_as_printed = rnd.choice([maker] + spellings)
    randomized = rnd.random() < 0.55
    n_arms = rnd.randint(2, 4) if randomized else rnd.choice([1, 2, 3])
    phase = rnd.choice([["PHASE1"], ["PHASE2"], ["PHASE1", "PHASE2"], ["PHASE2", "PHASE3"], ["PHASE3"], ["EARLY_PHASE1"]])
    start, end = _dates(rnd)
    product = f"UC-MSC-{slug[-2:]}{rnd.randint(1, 9)}"
    drug = rnd.choice(DRUGS)
    arms = []
    for a in range(n_arms):
        if a == 0 or not randomized or rnd.random() < 0.5:
            dose = rnd.choice(["0.5", "1.0", "2.0", "5.0"])
            arms.append({"label": f"UC-MSC {dose} x 10^6 cells/kg", "type": "EXPERIMENTAL",
                         "description": f"Umbilical cord MSCs {dose} x 10^6 cells/kg intravenously once weekly for 4 weeks plus {drug}",
                         "interventionNames": [f"Biological: {product}", f"Drug: {drug}"]})
        else:
            kind = rnd.choice(["PLACEBO_COMPARATOR", "ACTIVE_COMPARATOR"])
            arms.append({"label": "Placebo" if kind == "PLACEBO_COMPARATOR" else f"{drug} alone", "type": kind,
                         "description": "Saline infusion plus standard therapy" if kind == "PLACEBO_COMPARATOR" else f"{drug} alone",
                         "interventionNames": ["Drug: Placebo" if kind == "PLACEBO_COMPARATOR" else f"Drug: {drug}"]})
    labels = [a["label"] for a in arms]
    for k, lab in enumerate(labels):  # titles repeat when doses repeat: make them unique like real records do
        if labels.count(lab) > 1:
            arms[k]["label"] = labels[k] = f"{lab}, cohort {k + 1}"
    interventions = [
        {"type": "BIOLOGICAL", "name": product, "description": f"Allogeneic umbilical cord mesenchymal stromal cells by {maker_as_printed}",
         "armGroupLabels": [a["label"] for a in arms if f"Biological: {product}" in a["interventionNames"]], "otherNames": [f"hUC-MSC {product}"]},
        {"type": "DRUG", "name": drug, "description": f"{drug} at the standard dose",
         "armGroupLabels": [a["label"] for a in arms if f"Drug: {drug}" in a["interventionNames"]]},
    ]
    if any("Drug: Placebo" in a["interventionNames"] for a in arms):
        interventions.append({"type": "DRUG", "name": "Placebo", "description": "Normal saline",
                              "armGroupLabels": [a["label"] for a in arms if "Drug: Placebo" in a["interventionNames"]]})
    outcomes = rnd.sample(OUTCOMES, rnd.randint(2, 4))
    sizes = [rnd.randint(8, 60) for _ in arms]
    study = {
        "protocolSection": {
            "identificationModule": {
                "nctId": nct, "orgStudyIdInfo": {"id": f"SYN-{i:06d}"},
                "organization": {"fullName": maker_as_printed, "class": "INDUSTRY"},
                "briefTitle": f"Umbilical Cord MSCs for {cond} (synthetic study {i})",
                "officialTitle": f"A {'Randomized' if randomized else 'Single-arm'} Phase {' / '.join(p[-1] for p in phase)} Study of {product} in {cond}",
                **({"acronym": f"SYN{i}"} if rnd.random() < 0.3 else {}),
            },
            "statusModule": {
                "statusVerifiedDate": end, "overallStatus": rnd.choice(["COMPLETED", "RECRUITING", "TERMINATED", "UNKNOWN", "ACTIVE_NOT_RECRUITING"]),
                "startDateStruct": {"date": start, "type": "ACTUAL"},
                "primaryCompletionDateStruct": {"date": end, "type": "ACTUAL"},
                "completionDateStruct": {"date": end, "type": "ESTIMATED"},
                "studyFirstSubmitDate": f"{start}-{rnd.randint(1, 28):02d}",
                "lastUpdatePostDateStruct": {"date": f"{end}-{rnd.randint(1, 28):02d}", "type": "ACTUAL"},
            },
            "sponsorCollaboratorsModule": {
                "responsibleParty": {"type": "SPONSOR"},
                "leadSponsor": {"name": maker_as_printed, "class": "INDUSTRY"},
                "collaborators": [{"name": f"{rnd.choice(['Central', 'Provincial', 'University', 'First Affiliated'])} Hospital {rnd.randint(1, 80)}", "class": "OTHER"}],
            },
            "oversightModule": {"oversightHasDmc": rnd.random() < 0.5},
            "descriptionModule": {"briefSummary": f"This study evaluates the safety and efficacy of {product} in patients with {cond}."},
            "conditionsModule": {"conditions": [cond], "keywords": ["mesenchymal stem cells", "umbilical cord"]},
            "designModule": {
                "studyType": "INTERVENTIONAL", "phases": phase,
                "designInfo": {"allocation": "RANDOMIZED" if randomized else ("NON_RANDOMIZED" if n_arms > 1 else "NA"),
                               "interventionModel": "PARALLEL" if n_arms > 1 else "SINGLE_GROUP", "primaryPurpose": "TREATMENT",
                               "maskingInfo": {"masking": rnd.choice(["NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE"]) if randomized else "NONE"}},
                "enrollmentInfo": {"count": sum(sizes), "type": "ACTUAL"},
            },
            "armsInterventionsModule": {"armGroups": arms, "interventions": interventions},
            "outcomesModule": {
                "primaryOutcomes": [{"measure": outcomes[0][0], "description": outcomes[0][1], "timeFrame": "Day 28"}],
                "secondaryOutcomes": [{"measure": o[0], "description": o[1], "timeFrame": rnd.choice(["Day 56", "Week 12", "Month 6"])} for o in outcomes[1:]],
            },
            "eligibilityModule": {
                "eligibilityCriteria": "Inclusion Criteria:\n\n* Diagnosis confirmed\n\nExclusion Criteria:\n\n* Active infection",
                "healthyVolunteers": False, "sex": "ALL", "minimumAge": rnd.choice(["2 Years", "14 Years", "18 Years", "6 Months"]),
                "maximumAge": rnd.choice(["65 Years", "70 Years", "18 Years", "75 Years"]), "stdAges": ["ADULT"],
            },
            "contactsLocationsModule": {"locations": [{"facility": f"Hospital {rnd.randint(1, 200)}", "city": rnd.choice(["Tianjin", "Beijing", "Shanghai", "Wuhan", "Chengdu"]), "country": "China"} for _ in range(rnd.randint(1, 4))]},
            "referencesModule": {"references": [{"pmid": str(30000000 + i * 3 + r), "type": rnd.choice(["RESULT", "BACKGROUND"]), "citation": f"Author{r} A, et al. Synthetic report {i}.{r}. J Synth Med. 2023."} for r in range(rnd.randint(0, 3))]},
        },
        "hasResults": False,
    }
    if rnd.random() < 0.5:
        study["resultsSection"] = _results(rnd, arms, sizes, outcomes)
        study["hasResults"] = True
    return study


def _results(rnd: random.Random, arms: list, sizes: list, outcomes: list) -> dict:
    titles = [a["label"] for a in arms]
    og = [{"id": f"OG{k:03d}", "title": t, "description": arms[k]["description"]} for k, t in enumerate(titles)]
    measures = []
    for n, (title, desc, param) in enumerate(outcomes):
        m = {"type": "PRIMARY" if n == 0 else "SECONDARY", "title": title, "description": desc, "reportingStatus": "POSTED",
             "paramType": param, "timeFrame": "Day 28" if n == 0 else "Week 12", "groups": og,
             "denoms": [{"units": "Participants", "counts": [{"groupId": g["id"], "value": str(s)} for g, s in zip(og, sizes)]}]}
        if param == "COUNT_OF_PARTICIPANTS":
            m["unitOfMeasure"] = "Participants"
            counts = [rnd.randint(0, s) for s in sizes]
            m["classes"] = [{"categories": [{"measurements": [{"groupId": g["id"], "value": str(c)} for g, c in zip(og, counts)]}]}]
            if len(arms) > 1:
                est = round(rnd.uniform(0.3, 4.0), 2)
                lo, hi = round(est * rnd.uniform(0.3, 0.9), 2), round(est * rnd.uniform(1.1, 2.5), 2)
                m["analyses"] = [{"groupIds": [og[0]["id"], og[1]["id"]], "groupDescription": f"{titles[0]} versus {titles[1]}",
                                  "nonInferiorityType": "SUPERIORITY", "pValue": f"{rnd.uniform(0.001, 0.9):.3f}",
                                  "statisticalMethod": rnd.choice(["Fisher Exact", "Chi-squared", "Cochran-Mantel-Haenszel"]),
                                  "paramType": "Odds Ratio (OR)", "paramValue": f"{est}", "ciPctValue": "95", "ciNumSides": "TWO_SIDED",
                                  "ciLowerLimit": f"{lo}", "ciUpperLimit": f"{hi}"}]
        elif param == "MEDIAN":
            m["unitOfMeasure"] = "days"
            m["dispersionType"] = "FULL_RANGE"
            m["classes"] = [{"categories": [{"measurements": [
                {"groupId": g["id"], "value": str(v), "lowerLimit": str(max(1, v - rnd.randint(1, 10))), "upperLimit": str(v + rnd.randint(1, 40))}
                for g, v in ((g, rnd.randint(7, 60)) for g in og)]}]}]
        else:
            m["unitOfMeasure"] = "10^9 platelets/L"
            m["dispersionType"] = "STANDARD_DEVIATION"
            m["classes"] = [{"categories": [{"measurements": [
                {"groupId": g["id"], "value": f"{rnd.uniform(10, 150):.1f}", "spread": f"{rnd.uniform(2, 40):.1f}"} for g in og]}]}]
        measures.append(m)
    eg = [{"id": f"EG{k:03d}", "title": t, "description": arms[k]["description"],
           "seriousNumAffected": rnd.randint(0, s // 3), "seriousNumAtRisk": s, "otherNumAffected": rnd.randint(s // 3, s), "otherNumAtRisk": s}
          for k, (t, s) in enumerate(zip(titles, sizes))]
    terms = rnd.sample(AE_TERMS, rnd.randint(6, 16))
    serious_terms = terms[: rnd.randint(1, 4)]

    def rows(chosen, serious):
        return [{"term": t, "organSystem": org, "sourceVocabulary": "MedDRA 25.0", "assessmentType": "SYSTEMATIC_ASSESSMENT",
                 "stats": [{"groupId": g["id"], "numEvents": (a := rnd.randint(0, max(1, s // (4 if serious else 2)))) + rnd.randint(0, 2),
                            "numAffected": a, "numAtRisk": s} for g, s in zip(eg, sizes)]} for t, org in chosen]

    bg = [{"id": f"BG{k:03d}", "title": t} for k, t in enumerate(titles)] + [{"id": f"BG{len(titles):03d}", "title": "Total"}]
    total = sum(sizes)
    ages = [rnd.randint(20, 60) for _ in sizes]
    females = [rnd.randint(0, s) for s in sizes]
    return {
        "participantFlowModule": {"groups": [{"id": f"FG{k:03d}", "title": t} for k, t in enumerate(titles)],
                                  "periods": [{"title": "Overall Study", "milestones": [{"type": "STARTED", "achievements": [{"groupId": f"FG{k:03d}", "numSubjects": str(s)} for k, s in enumerate(sizes)]}]}]},
        "baselineCharacteristicsModule": {
            "groups": bg,
            "denoms": [{"units": "Participants", "counts": [{"groupId": g["id"], "value": str(s)} for g, s in zip(bg, sizes + [total])]}],
            "measures": [
                {"title": "Age, Continuous", "paramType": "MEDIAN", "dispersionType": "FULL_RANGE", "unitOfMeasure": "years",
                 "classes": [{"categories": [{"measurements": [{"groupId": g["id"], "value": str(a), "lowerLimit": str(a - 10), "upperLimit": str(a + 15)}
                                                               for g, a in zip(bg, ages + [sum(ages) // len(ages)])]}]}]},
                {"title": "Sex: Female, Male", "paramType": "COUNT_OF_PARTICIPANTS", "unitOfMeasure": "Participants",
                 "classes": [{"categories": [
                     {"title": "Female", "measurements": [{"groupId": g["id"], "value": str(f)} for g, f in zip(bg, females + [sum(females)])]},
                     {"title": "Male", "measurements": [{"groupId": g["id"], "value": str(s - f)} for g, s, f in zip(bg, sizes + [total], females + [sum(females)])]}]}]},
            ]},
        "outcomeMeasuresModule": {"outcomeMeasures": measures},
        "adverseEventsModule": {"frequencyThreshold": "5", "timeFrame": "Up to 6 months", "eventGroups": eg,
                                "seriousEvents": rows(serious_terms, True), "otherEvents": rows(terms, False)},
        "moreInfoModule": {"pointOfContact": {"title": "Study director", "organization": "Synthetic sponsor"}},
    }


# ------------------------------------------------------------------------------ curated records

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


# ------------------------------------------------------------------------------ the corpus

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
