"""Invented ClinicalTrials.gov API v2 study records for benchmarks/generate.py, half of them with a results section."""

from __future__ import annotations

import random

from benchmarks.generate_vocabulary import AE_TERMS, CONDITIONS, DRUGS, MANUFACTURERS, OUTCOMES


def _dates(rnd: random.Random) -> tuple[str, str]:
    y = rnd.randint(2008, 2022)
    m = rnd.randint(1, 12)
    return f"{y}-{m:02d}", f"{y + rnd.randint(1, 4)}-{rnd.randint(1, 12):02d}"


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

