"""Outcome measures of a ClinicalTrials.gov record: the protocol's outcomes, the results' values per group, and
every between-arm analysis (ratio, difference or other estimate, with method, interval, p-value, hypothesis type
and the time point it was done at)."""

from __future__ import annotations

import re

from rdflib import RDF, RDFS, Literal, URIRef

from .ctgov_context import Ctx, arr, contains_phrase, enum, norm_title, obj, slug, text, tokens
from .ctgov_groups import Target, match_groups
from .ctgov_terms import analysis_types, enum_tables, outcome_kinds
from .ctgov_values import TIME_POINT, category_and_time, check_unit, group_value, measurements, write_value
from .schema import ID, MSCKG

IMPORTANCE = enum_tables()["importance"]
HYPOTHESES = enum_tables()["hypothesis_types"]
COMPARISONS = analysis_types()
LOG_SCALE = re.compile(r"\blog\b|\bln\b")
P_VALUE = re.compile(r"^\s*(<=|>=|≤|≥|<|>|=)?\s*(\d*\.?\d+)\s*$")
BASE = "resultsSection.outcomeMeasuresModule.outcomeMeasures"


def write_protocol_outcomes(ctx: Ctx, ps: dict, result_titles: set[str]) -> None:
    om = obj(ps.get("outcomesModule"))
    for fld, kind, imp in (("primaryOutcomes", "primary", MSCKG.PrimaryOutcome),
                           ("secondaryOutcomes", "secondary", MSCKG.SecondaryOutcome),
                           ("otherOutcomes", "other", MSCKG.ExploratoryOutcome)):
        for i, o in enumerate(arr(om.get(fld))):
            o = obj(o)
            title = text(o.get("measure"))
            path = f"protocolSection.outcomesModule.{fld}[{i}]"
            if not title:
                ctx.reject("protocol outcome", path, "outcome without a measure title")
                continue
            ctx.ok("protocol outcome")
            when = text(o.get("timeFrame"))
            if text(o.get("description")):
                ctx.drop(f"{path}.description", "outcome descriptions are free text (the title is the outcome's label)")
            if norm_title(title) in result_titles:
                continue  # the results section's outcome measure stands for it
            node = ID[f"trial/{ctx.nct}/outcome/{kind}-{i}"]
            ctx.add(node, RDF.type, MSCKG.OutcomeMeasure)
            ctx.add(node, RDFS.label, Literal(title))
            ctx.add(node, MSCKG.outcomeOf, ctx.trial)
            ctx.add(node, MSCKG.importance, imp)
            ctx.text(node, MSCKG.timePoint, when)


def _response_kind(title: str) -> URIRef | None:
    folded = title.casefold()
    for rx, term in outcome_kinds():
        if rx.search(folded):
            return term
    return None


def write_outcomes(ctx: Ctx, rs: dict) -> set[str]:
    """Write every results outcome measure; return the normalised titles (the protocol outcomes they stand for)."""
    titles = set()
    pub = f"pub/ctgov-{ctx.nct}"
    for n, om in enumerate(arr(obj(rs.get("outcomeMeasuresModule")).get("outcomeMeasures"))):
        om = obj(om)
        path = f"{BASE}[{n}]"
        title = text(om.get("title"))
        if not title:
            ctx.reject("outcome measure", path, "outcome measure without a title")
            continue
        titles.add(norm_title(title))
        node = ID[f"trial/{ctx.nct}/outcome/{n}"]
        ctx.add(node, RDF.type, MSCKG.OutcomeMeasure)
        ctx.add(node, RDFS.label, Literal(title))
        ctx.add(node, MSCKG.outcomeOf, ctx.trial)
        kind = text(om.get("type"))
        if kind in IMPORTANCE:
            ctx.add(node, MSCKG.importance, IMPORTANCE[kind])
        ctx.text(node, MSCKG.timePoint, text(om.get("timeFrame")))
        unit = text(om.get("unitOfMeasure")) or ""
        ctx.text(node, MSCKG.unitAsPrinted, unit)
        check_unit(ctx, unit, f"{path}.unitOfMeasure")
        ctx.ok("outcome measure")
        groups = match_groups(ctx, arr(om.get("groups")), f"{path}.groups")
        param, disp = text(om.get("paramType")) or "", text(om.get("dispersionType")) or ""
        proportions = 0
        for meas, mpath, class_title, cat_title, denoms, (c, k) in measurements(om, {}, path):
            got = group_value(ctx, "outcome value", meas, mpath, groups, param, disp, unit, denoms)
            if got is None:
                continue
            gid, target, v = got
            r = ID[f"{pub}/result/{n}/{c}/{k}/{slug(gid)}"]
            ctx.evidence(r, v.cls, mpath)
            ctx.add(r, MSCKG.outcome, node)
            ctx.add(r, target.predicate, target.iri)
            category, when = category_and_time(class_title, cat_title)
            ctx.text(r, MSCKG.category, category)
            ctx.text(r, MSCKG.timePoint, when)
            write_value(ctx, r, v, mpath)
            proportions += v.cls == MSCKG.ProportionResult
            ctx.ok("outcome value")
        if proportions:
            response = _response_kind(title)
            if response is not None:
                ctx.add(node, MSCKG.outcomeKind, response)
                ctx.add(node, MSCKG.definition, Literal(title))
        class_titles = [text(obj(cl).get("title")) for cl in arr(om.get("classes"))]
        for a, an in enumerate(arr(om.get("analyses"))):
            _analysis(ctx, obj(an), f"{path}.analyses[{a}]", node, groups, f"{pub}/comparison/{n}/{a}", class_titles)
    return titles


def _time_point(an: dict, class_titles: list[str | None]) -> tuple[str | None, str]:
    """The outcome class (time point) an analysis was done at, named in its descriptions; (None, why) if unclear."""
    named = [t for t in class_titles if t]
    if len(class_titles) <= 1 or not named:
        return None, ""
    said = tokens(" ".join(text(an.get(k)) or "" for k in ("groupDescription", "statisticalComment", "estimateComment", "pValueComment")))
    found = [t for t in named if contains_phrase(said, tokens(t))]
    longest = [t for t in found if not any(t != u and contains_phrase(tokens(u), tokens(t)) for u in found)]
    if len(longest) == 1:
        return longest[0], ""
    return None, (f"the analysis names several of the outcome's classes ({', '.join(longest)})" if longest
                  else f"the analysis names none of the outcome's classes ({', '.join(named)})")


def _analysis(ctx: Ctx, an: dict, path: str, outcome: URIRef, groups: dict[str, Target], key: str,
              class_titles: list[str | None]) -> None:
    gids = [g for g in (text(x) for x in arr(an.get("groupIds"))) if g]
    if len(gids) != 2:
        ctx.reject("analysis", path, f"compares {len(gids)} groups; a msckg comparison has one experimental and one comparator arm")
        return
    pair = [groups.get(g) for g in gids]
    if any(t is None for t in pair):
        ctx.reject("analysis", path, "a compared group is not among the measure's groups")
        return
    if any(not t.is_arm for t in pair):
        ctx.reject("analysis", path, "one of the compared groups is the 'Total' column, not an arm")
        return
    ptype = (text(an.get("paramType")) or "").strip()
    estimate = text(an.get("paramValue"))
    cls = next((c for rx, c in COMPARISONS if rx.search(ptype.casefold())), None) if ptype else None
    notes = []
    if estimate is not None and cls is None:
        cls = MSCKG.OtherEffectEstimate
        notes.append("the source gives an estimate without naming its type")
    if cls is None:
        cls, estimate = MSCKG.SignificanceTest, None
    p_raw = text(an.get("pValue"))
    pv = P_VALUE.match(p_raw) if p_raw else None
    if p_raw and not pv:
        ctx.drop(path + ".pValue", f"p-value '{p_raw}' is not a number with an optional comparator")
    if estimate is None and not pv:
        ctx.reject("analysis", path, "neither an effect estimate nor a p-value")
        return
    exp, comp, how = _direction(an, pair)
    if exp is None:
        if cls != MSCKG.SignificanceTest:
            ctx.reject("analysis", path, "the source does not say which arm is experimental and which is the comparator")
            return
        exp, comp = pair
        notes.append("arm roles follow the order of groupIds; the source states no direction for this test")
    node = ID[key]
    ctx.evidence(node, cls, path)
    ctx.add(node, MSCKG.outcome, outcome)
    ctx.add(node, MSCKG.experimentalArm, exp.iri)
    ctx.add(node, MSCKG.comparatorArm, comp.iri)
    ctx.text(node, MSCKG.parameterType, ptype)
    if estimate is not None:
        ctx.number(node, "estimate", estimate, path + ".paramValue")
        if LOG_SCALE.search(ptype.casefold()):
            ctx.add(node, MSCKG.logScale, Literal(True))
        _interval(ctx, node, an, path)
        _dispersion(ctx, node, an, path)
    if pv:
        bound = {"≤": "<=", "≥": ">="}.get(pv.group(1) or "", pv.group(1) or "")
        if ctx.number(node, "pValue", pv.group(2), path + ".pValue") and bound and bound != "=":
            ctx.add(node, MSCKG.pValueBound, Literal(bound))
    ctx.text(node, MSCKG.statisticalTest, text(an.get("statisticalMethod")))
    hyp = text(an.get("nonInferiorityType"))
    if hyp in HYPOTHESES:
        ctx.add(node, MSCKG.hypothesisType, HYPOTHESES[hyp])
    elif hyp:
        ctx.drop(path + ".nonInferiorityType", f"hypothesis type {hyp} has no msckg:HypothesisType")
    when, why = _time_point(an, class_titles)
    if when:
        ctx.add(node, MSCKG.category, Literal(when))
        if TIME_POINT.match(when):
            ctx.add(node, MSCKG.timePoint, Literal(when))
    elif why:
        ctx.drop(path + ".groupDescription", f"time point of the analysis not known: {why}")
    for n in notes + ([how] if how else []):
        ctx.note(node, n)
    ctx.ok("analysis")


def _interval(ctx: Ctx, node: URIRef, an: dict, path: str) -> None:
    lo, hi = text(an.get("ciLowerLimit")), text(an.get("ciUpperLimit"))
    if not (lo or hi):
        return
    pct, sides = text(an.get("ciPctValue")), enum(an.get("ciNumSides") or "")
    if pct in ("95", "95.0") and sides in ("", "TWO_SIDED"):
        for name, val, fld in (("ciLower", lo, "ciLowerLimit"), ("ciUpper", hi, "ciUpperLimit")):
            if val:
                ctx.number(node, name, val, f"{path}.{fld}")
        return
    for name, val, fld in (("intervalLower", lo, "ciLowerLimit"), ("intervalUpper", hi, "ciUpperLimit")):
        if val:
            ctx.number(node, name, val, f"{path}.{fld}")
    if pct:
        ctx.number(node, "intervalLevel", pct, f"{path}.ciPctValue")
    else:
        ctx.drop(f"{path}.ciPctValue", "confidence interval without a stated level")
    if sides:
        ctx.add(node, MSCKG.intervalSides, Literal(sides.lower().replace("_", "-")))


def _dispersion(ctx: Ctx, node: URIRef, an: dict, path: str) -> None:
    dtype, dval = enum(an.get("dispersionType", "")), text(an.get("dispersionValue"))
    if not dval:
        return
    if dtype in ("STANDARD_ERROR_OF_MEAN", "STANDARD_ERROR"):
        ctx.number(node, "standardError", dval, path + ".dispersionValue")
    elif dtype == "STANDARD_DEVIATION":
        ctx.number(node, "standardDeviation", dval, path + ".dispersionValue")
    else:
        ctx.drop(path + ".dispersionType", f"analysis dispersion {dtype} has no msckg property")


def _direction(an: dict, pair: list[Target]) -> tuple[Target | None, Target | None, str]:
    """(experimental, comparator, how it was decided) for a two-arm analysis."""
    def experimental(t: Target) -> bool:
        return t.cls in (MSCKG.ExperimentalArm, MSCKG.DoseCohort, MSCKG.ExpansionCohort)

    def control(t: Target) -> bool:
        return t.cls in (MSCKG.ControlArm, MSCKG.PlaceboArm)

    a, b = pair
    if experimental(a) and control(b):
        return a, b, ""
    if experimental(b) and control(a):
        return b, a, ""
    if control(b) and not control(a):
        return a, b, "the arm compared with the control arm is taken as the experimental arm"
    if control(a) and not control(b):
        return b, a, "the arm compared with the control arm is taken as the experimental arm"
    comment = text(an.get("estimateComment")) or ""
    parts = re.split(r"\s+vs\.?\s+|\s+versus\s+", comment, flags=re.IGNORECASE)
    if len(parts) == 2:
        first, second = (norm_title(x) for x in parts)
        if first and second:
            if norm_title(a.label) == first and norm_title(b.label) == second:
                return a, b, "direction read from estimateComment"
            if norm_title(b.label) == first and norm_title(a.label) == second:
                return b, a, "direction read from estimateComment"
    return None, None, ""
