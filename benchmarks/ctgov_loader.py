"""The ClinicalTrials.gov loader's speed on generated records (make bench): records/s and triples/s beside json.load of
the same files, per-record cost at two sizes (loading is linear in records), and what one record costs a build beside its fixed part.

    python benchmarks/ctgov_loader.py            # 10,000 records (CTGOV_BENCH_N to change), figures on stdout
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from msckg.loader.ctgov import ctgov_to_graph  # noqa: E402

TERMS = [("Infections and infestations", "Nasopharyngitis"), ("Gastrointestinal disorders", "Nausea"),
         ("General disorders", "Pyrexia"), ("Blood and lymphatic system disorders", "Anaemia"),
         ("Respiratory, thoracic and mediastinal disorders", "Epistaxis"), ("Nervous system disorders", "Headache"),
         ("Gastrointestinal disorders", "Gastrointestinal haemorrhage"), ("Skin and subcutaneous tissue disorders", "Rash")]


def generated_study(i: int, rng: random.Random) -> dict:
    """One study shaped like the registry's: arms, interventions, a baseline with a Total column, outcomes with an
    analysis, participant flow and adverse events per group."""
    nct = f"NCT8{i:07d}"
    arms = ["UC-MSC", "Placebo"] + (["UC-MSC high dose"] if i % 3 == 0 else [])
    groups = [{"id": f"G{k:03d}", "title": a} for k, a in enumerate(arms)]

    def gid(prefix, k):
        return f"{prefix}{k:03d}"

    n = [rng.randint(10, 60) for _ in arms]
    return {"protocolSection": {
        "identificationModule": {"nctId": nct, "briefTitle": f"Generated trial {i}"},
        "statusModule": {"overallStatus": "COMPLETED", "startDateStruct": {"date": f"20{10 + i % 14}-0{1 + i % 9}", "type": "ACTUAL"},
                         "lastUpdatePostDateStruct": {"date": "2024-01-01", "type": "ACTUAL"}},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": f"Sponsor {i % 50}", "class": ["INDUSTRY", "OTHER", "NIH"][i % 3]}},
        "conditionsModule": {"conditions": [["Aplastic Anemia", "Immune Thrombocytopenia", "Graft vs Host Disease"][i % 3]]},
        "designModule": {"studyType": "INTERVENTIONAL", "phases": ["PHASE2"], "enrollmentInfo": {"count": sum(n), "type": "ACTUAL"},
                         "designInfo": {"allocation": "RANDOMIZED", "interventionModel": "PARALLEL", "maskingInfo": {"masking": "DOUBLE"}}},
        "eligibilityModule": {"minimumAge": "18 Years", "maximumAge": "65 Years"},
        "armsInterventionsModule": {
            "armGroups": [{"label": a, "type": "PLACEBO_COMPARATOR" if a == "Placebo" else "EXPERIMENTAL"} for a in arms],
            "interventions": [{"type": "BIOLOGICAL", "name": "Umbilical cord mesenchymal stem cells",
                               "armGroupLabels": [a for a in arms if a != "Placebo"]},
                              {"type": "DRUG", "name": "Placebo", "armGroupLabels": ["Placebo"]}]},
        "contactsLocationsModule": {"locations": [{"facility": f"Hospital {i % 200}", "city": "Tianjin", "country": "China"}]}},
        "resultsSection": {
            "participantFlowModule": {"groups": [dict(g, id=gid("FG", k)) for k, g in enumerate(groups)], "periods": [{
                "title": "Overall Study", "milestones": [{"type": t, "achievements": [
                    {"groupId": gid("FG", k), "numSubjects": str(x if t == "STARTED" else x - 1)} for k, x in enumerate(n)]}
                    for t in ("STARTED", "COMPLETED")]}]},
            "baselineCharacteristicsModule": {
                "groups": [dict(g, id=gid("BG", k)) for k, g in enumerate(groups)] + [{"id": gid("BG", len(arms)), "title": "Total"}],
                "denoms": [{"units": "Participants", "counts": [{"groupId": gid("BG", k), "value": str(x)}
                                                                for k, x in enumerate(n + [sum(n)])]}],
                "measures": [{"title": "Age, Continuous", "paramType": "MEAN", "dispersionType": "STANDARD_DEVIATION",
                              "unitOfMeasure": "years", "classes": [{"categories": [{"measurements": [
                                  {"groupId": gid("BG", k), "value": f"{rng.uniform(30, 60):.1f}", "spread": f"{rng.uniform(5, 15):.1f}"}
                                  for k in range(len(arms) + 1)]}]}]}]},
            "outcomeMeasuresModule": {"outcomeMeasures": [{
                "type": "PRIMARY", "title": "Number of Participants With an Overall Response", "paramType": "COUNT_OF_PARTICIPANTS",
                "unitOfMeasure": "Participants", "timeFrame": "Day 28",
                "groups": [dict(g, id=gid("OG", k)) for k, g in enumerate(groups)],
                "denoms": [{"units": "Participants", "counts": [{"groupId": gid("OG", k), "value": str(x)} for k, x in enumerate(n)]}],
                "classes": [{"categories": [{"measurements": [{"groupId": gid("OG", k), "value": str(rng.randint(0, x))}
                                                              for k, x in enumerate(n)]}]}],
                "analyses": [{"groupIds": [gid("OG", 0), gid("OG", 1)], "paramType": "Odds Ratio (OR)", "paramValue": f"{rng.uniform(0.5, 4):.2f}",
                              "ciPctValue": "95", "ciNumSides": "TWO_SIDED", "ciLowerLimit": "0.40", "ciUpperLimit": "9.90",
                              "pValue": f"{rng.uniform(0.001, 0.9):.3f}", "statisticalMethod": "Fisher Exact", "nonInferiorityType": "SUPERIORITY"}]}]},
            "adverseEventsModule": {
                "eventGroups": [dict(g, id=gid("EG", k), seriousNumAffected=rng.randint(0, 3), seriousNumAtRisk=x,
                                     otherNumAffected=rng.randint(0, x), otherNumAtRisk=x) for (k, g), x in zip(enumerate(groups), n)],
                "otherEvents": [{"term": term, "organSystem": system, "stats": [
                    {"groupId": gid("EG", k), "numAffected": rng.randint(0, 5), "numAtRisk": x} for k, x in enumerate(n)]}
                    for system, term in rng.sample(TERMS, 5)]}}}


def generate(n: int, folder: Path, seed: int = 13) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        p = folder / f"NCT8{i:07d}.json"
        p.write_text(json.dumps(generated_study(i, rng), indent=1), encoding="utf-8")
        paths.append(p)
    return paths


def load_all(paths: list[Path]) -> tuple[float, int]:
    labels: dict = {}
    t0 = time.perf_counter()
    triples = sum(len(ctgov_to_graph(p, org_labels=labels).graph) for p in paths)
    return time.perf_counter() - t0, triples


def json_all(paths: list[Path]) -> float:
    t0 = time.perf_counter()
    for p in paths:
        with p.open(encoding="utf-8") as fh:
            json.load(fh)
    return time.perf_counter() - t0


def main() -> None:
    n = int(os.environ.get("CTGOV_BENCH_N", "10000"))
    small = max(1, n // 10)
    with tempfile.TemporaryDirectory(prefix="msckg-ctgov-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        paths = generate(n, folder)
        print(f"registry loader on {n} generated ClinicalTrials.gov v2 records (written in {time.perf_counter() - t0:.1f} s; "
              "one run each, on a shared machine: noisy)")
        base_small, base = json_all(paths[:small]), json_all(paths)
        secs_small, _ = load_all(paths[:small])
        secs, triples = load_all(paths)
        print(f"  baseline json.load:      {n / base:10.0f} records/s   ({base:.1f} s)")
        print(f"  msckg.loader.ctgov:      {n / secs:10.0f} records/s   {triples / secs:10.0f} triples/s   ({secs:.1f} s, "
              f"{triples} triples; {secs / base:.0f}x json.load)")
        print(f"  per record: {1000 * secs_small / small:.2f} ms at {small} records, {1000 * secs / n:.2f} ms at {n} "
              f"(json.load {1000 * base_small / small:.2f} / {1000 * base / n:.2f} ms): linear when these agree")
        # what one record costs a build, against the build's fixed part: real `msckg build` processes (start-up
        # included), CPU seconds from the kernel's accounting (steadier than wall time on a shared machine)
        real = sorted((Path(__file__).resolve().parents[2] / "shared" / "ctgov" / "v2").glob("NCT*.json"),
                      key=lambda f: f.stat().st_size)
        record = real[-1] if real else paths[0]  # a real record's size when ../shared is beside the checkout
        cost = record_cost(folder, record)
        cost["record"] = record.name
        print(f"  one registry record ({record.name}, {record.stat().st_size / 1e3:.0f} kB) in a build of the seeds "
              "(msckg build, CPU seconds):")
        print(f"    fixed part, a rebuild with nothing changed: {cost['fixed']:.2f} s "
              f"(msckg --help alone {cost['start']:.2f} s)")
        print(f"    the seeds built, then the record added:     {cost['added']:.2f} s: the record {cost['added'] - cost['fixed']:.2f} s "
              f"= {100 * (cost['added'] - cost['fixed']) / cost['added']:.0f}% of the build")
        print(f"    first build of the seeds alone / with it:   {cost['first_seeds']:.2f} s / {cost['first_both']:.2f} s "
              f"(loading the record alone, in-process: {record_load(record):.2f} s)")
        cost["record_share"] = (cost["added"] - cost["fixed"]) / cost["added"]
        out = Path(os.environ.get("CTGOV_BENCH_JSON", ".bench/ctgov-record-cost.json"))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(cost, indent=2), encoding="utf-8")


def record_load(path: Path) -> float:
    """CPU seconds of loading one record in this process (its schema already read)."""
    t0 = time.process_time()
    ctgov_to_graph(path)
    return time.process_time() - t0


def record_cost(folder: Path, record: Path) -> dict:
    """CPU seconds of `msckg build` runs: a first build of the seeds, a rebuild with nothing changed (the fixed
    part), the record added to that store (incremental), and a first build of the seeds with the record."""
    script = Path(sys.executable).parent / "msckg"
    msckg = [str(script)] if script.exists() else [sys.executable, "-m", "msckg.graph.cli.app"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # compile each module once, as users do

    def cpu(*args) -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([*msckg, "-q", *args], check=True, capture_output=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    a, b = folder / "seeds-a", folder / "seeds-b"
    cpu("--help")  # warm the bytecode cache
    out = {"start": cpu("--help"), "first_seeds": cpu("--store", str(a), "build")}
    shutil.copytree(a, b, symlinks=True)
    out["fixed"] = min(cpu("--store", str(a), "build") for _ in range(3))
    out["added"] = cpu("--store", str(b), "build", "--source", str(record))
    out["first_both"] = cpu("--store", str(folder / "both"), "build", "--source", str(record))
    return out


if __name__ == "__main__":
    main()
