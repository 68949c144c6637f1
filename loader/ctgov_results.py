"""Baseline characteristics and participant flow of a ClinicalTrials.gov record, per arm (or the 'Total' population)."""

from __future__ import annotations

from rdflib import Literal

from .ctgov_context import NON_NEGATIVE_INTEGER, Ctx, arr, obj, slug, text
from .ctgov_groups import results_module
from .ctgov_values import category_and_time, check_unit, denominators, group_value, measurements, write_value
from .schema import ID, MSCKG

BASELINE = "resultsSection.baselineCharacteristicsModule"
FLOW = "resultsSection.participantFlowModule"


def write_baseline(ctx: Ctx, rs: dict) -> None:
    bc, targets = results_module(ctx, rs, "baselineCharacteristicsModule")
    if bc is None:
        return
    pub = f"pub/ctgov-{ctx.nct}/baseline"
    overall = arr(bc.get("denoms"))
    for d, den in enumerate(overall[:1]):
        for k, c in enumerate(arr(obj(den).get("counts"))):
            c = obj(c)
            gid, val = text(c.get("groupId")) or "", text(c.get("value"))
            path = f"{BASELINE}.denoms[{d}].counts[{k}]"
            target = targets.get(gid)
            if target is None:
                ctx.reject("baseline value", path, f"group {gid!r} is not among the groups")
                continue
            if not val or not NON_NEGATIVE_INTEGER.match(val):
                ctx.reject("baseline value", path, f"number of participants {val!r} is not a whole number")
                continue
            node = ID[f"{pub}/participants/{slug(gid)}"]
            ctx.evidence(node, MSCKG.BaselineCharacteristic, path)
            ctx.add(node, MSCKG.characteristic, Literal("Overall number of baseline participants"))
            ctx.add(node, target.predicate, target.iri)
            ctx.number(node, "count", val, path)
            ctx.ok("baseline value")
    for d in range(1, len(overall)):
        ctx.drop(f"{BASELINE}.denoms[{d}]", "baseline counts of units other than participants are not mapped")
    top = denominators(overall)
    for i, ms in enumerate(arr(bc.get("measures"))):
        ms = obj(ms)
        title = text(ms.get("title"))
        param, disp, unit = text(ms.get("paramType")) or "", text(ms.get("dispersionType")) or "", text(ms.get("unitOfMeasure")) or ""
        check_unit(ctx, unit, f"{BASELINE}.measures[{i}].unitOfMeasure")
        for meas, path, class_title, cat_title, denoms, (c, k) in measurements(ms, top, f"{BASELINE}.measures[{i}]"):
            if not title:
                ctx.reject("baseline value", path, "baseline measure without a title")
                continue
            got = group_value(ctx, "baseline value", meas, path, targets, param, disp, unit, denoms)
            if got is None:
                continue
            gid, target, v = got
            node = ID[f"{pub}/{i}/{c}/{k}/{slug(gid)}"]
            ctx.evidence(node, MSCKG.BaselineCharacteristic, path)
            ctx.add(node, MSCKG.characteristic, Literal(title))
            ctx.add(node, target.predicate, target.iri)
            ctx.text(node, MSCKG.category, category_and_time(class_title, cat_title)[0])
            write_value(ctx, node, v, path)
            ctx.ok("baseline value")


def write_flow(ctx: Ctx, rs: dict) -> None:
    """Milestones (started, completed, ...) and drop-out reasons per period and group."""
    pf, targets = results_module(ctx, rs, "participantFlowModule")
    if pf is None:
        return
    pub = f"pub/ctgov-{ctx.nct}/flow"
    units_analyzed = text(pf.get("typeUnitsAnalyzed"))
    for p, period in enumerate(arr(pf.get("periods"))):
        period = obj(period)
        title = text(period.get("title"))
        for m, ms in enumerate(arr(period.get("milestones"))):
            ms = obj(ms)
            milestone = text(ms.get("type"))
            for a, ach in enumerate(arr(ms.get("achievements"))):
                ach = obj(ach)
                path = f"{FLOW}.periods[{p}].milestones[{m}].achievements[{a}]"
                node = _flow_count(ctx, ach, path, targets, f"{pub}/{p}/milestone/{m}", MSCKG.MilestoneCount, title)
                if node is None:
                    continue
                ctx.text(node, MSCKG.milestone, milestone)
                units = text(ach.get("numUnits"))
                if units is not None and ctx.number(node, "unitCount", units, path):
                    ctx.text(node, MSCKG.unitAnalyzed, units_analyzed)
                ctx.ok("flow count")
        for w, dw in enumerate(arr(period.get("dropWithdraws"))):
            dw = obj(dw)
            reason = text(dw.get("type"))
            for r, rsn in enumerate(arr(dw.get("reasons"))):
                path = f"{FLOW}.periods[{p}].dropWithdraws[{w}].reasons[{r}]"
                node = _flow_count(ctx, obj(rsn), path, targets, f"{pub}/{p}/drop/{w}", MSCKG.DropoutCount, title)
                if node is None:
                    continue
                ctx.text(node, MSCKG.dropoutReason, reason)
                ctx.ok("flow count")


def _flow_count(ctx: Ctx, item: dict, path: str, targets: dict, key: str, cls, period: str | None):
    gid, count = text(item.get("groupId")) or "", text(item.get("numSubjects"))
    target = targets.get(gid)
    if target is None:
        ctx.reject("flow count", path, f"group {gid!r} is not among the participant-flow groups")
        return None
    if count is None or not NON_NEGATIVE_INTEGER.match(count):
        ctx.reject("flow count", path, f"number of participants {count!r} is not a whole number")
        return None
    node = ID[f"{key}/{slug(gid)}"]
    ctx.evidence(node, cls, path)
    ctx.add(node, target.predicate, target.iri)
    ctx.text(node, MSCKG.flowPeriod, period)
    ctx.number(node, "count", count, path)
    return node
