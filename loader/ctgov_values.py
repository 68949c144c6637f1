"""One ClinicalTrials.gov measurement (outcome or baseline) -> its msckg result class, numeric properties and unit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import Literal, URIRef

from .ctgov_context import DECIMAL, NON_NEGATIVE_INTEGER, Ctx, arr, enum, obj, text
from .ctgov_terms import unit_key, units
from .schema import MSCKG

PERCENT_UNIT = re.compile(r"^(percent(age)?|%)(\s+of\s+(participants|patients|subjects|people|children|infants))?$", re.IGNORECASE)
PARTICIPANT_UNIT = re.compile(r"^(participants|patients|subjects|people)$", re.IGNORECASE)
# A class title that names when the values were measured ("Week 12", "Day 28", "Baseline", "Month 6").
TIME_POINT = re.compile(r"^\s*(baseline|screening|end of (treatment|study|therapy)|(day|week|month|year|hour|cycle|visit)s?\s*-?\d+)\b",
                        re.IGNORECASE)


@dataclass
class Value:
    cls: URIRef | None
    props: list[tuple[str, str]]
    notes: list[str]
    unit: str = ""
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (field of the measurement, reason)


def _dispersion(disp: str, meas: dict) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Dispersion fields of one measurement as (property, value) pairs, and (field, reason) for those left out."""
    d = enum(disp)
    if not d or d == "NA":
        return [], []
    fields = {"spread": text(meas.get("spread")), "lowerLimit": text(meas.get("lowerLimit")), "upperLimit": text(meas.get("upperLimit"))}
    if d == "STANDARD_DEVIATION":
        pairs = [("standardDeviation", "spread")]
    elif d in ("STANDARD_ERROR", "STANDARD_ERROR_OF_MEAN"):
        pairs = [("standardError", "spread")]
    elif d == "FULL_RANGE":
        pairs = [("rangeLow", "lowerLimit"), ("rangeHigh", "upperLimit")]
    elif d in ("95_CONFIDENCE_INTERVAL", "CONFIDENCE_INTERVAL_95"):
        pairs = [("ciLower", "lowerLimit"), ("ciUpper", "upperLimit")]
    else:
        return [], [(f, f"dispersion '{disp}' has no msckg property (only SD, SE, full range and 95% CI do)") for f, v in fields.items() if v]
    out, dropped = [], []
    for prop, f in pairs:
        v = fields[f]
        if v and DECIMAL.match(v):
            out.append((prop, v))
        elif v:
            dropped.append((f, f"dispersion value {v!r} is not a number"))
    return out, dropped


def measurement_value(param: str, disp: str, unit: str, meas: dict, denominator: str | None) -> tuple[Value | None, str]:
    """The class and numeric properties of one measurement, or (None, reason) when it carries no value."""
    value = text(meas.get("value"))
    if value is None or not DECIMAL.match(value):
        return None, f"no numeric value (printed {value!r})" if value else "no value"
    p = enum(param)
    notes: list[str] = []
    denom = [("denominator", denominator)] if denominator and NON_NEGATIVE_INTEGER.match(denominator) else []
    if p == "COUNT_OF_PARTICIPANTS":
        if not NON_NEGATIVE_INTEGER.match(value):
            return None, f"count of participants '{value}' is not a whole number"
        v = Value(MSCKG.ProportionResult, [("count", value)] + denom, notes, unit)
    elif p == "NUMBER" and unit and PERCENT_UNIT.match(unit.strip()) and 0 <= Decimal(value) <= 100:
        v = Value(MSCKG.ProportionResult, [("percent", value)] + denom, notes, unit)
    elif p == "NUMBER" and unit and PARTICIPANT_UNIT.match(unit.strip()) and NON_NEGATIVE_INTEGER.match(value):
        v = Value(MSCKG.ProportionResult, [("count", value)] + denom, notes, unit)
    elif p == "MEAN":
        v = Value(MSCKG.MeanResult, [("mean", value)], notes, unit)
    elif p == "LEAST_SQUARES_MEAN":
        v = Value(MSCKG.MeanResult, [("mean", value)], notes + ["least-squares (model-adjusted) mean"], unit)
    elif p == "MEDIAN":
        v = Value(MSCKG.MedianResult, [("median", value)], notes, unit)
    else:
        kind = {"NUMBER": None}.get(p, param.replace("_", " ").lower() if param else "unstated parameter")
        v = Value(MSCKG.ValueResult, [("estimate", value)], notes + ([f"value is a {kind}"] if kind else []), unit)
    pairs, v.dropped = _dispersion(disp, meas)
    v.props += pairs
    return v, ""


def group_value(ctx: Ctx, kind: str, meas: dict, path: str, targets: dict, param: str, disp: str, unit: str,
                denoms: dict) -> tuple[str, object, Value] | None:
    """(group id, target, value) of one measurement, or None after rejecting it with the reason."""
    gid = text(meas.get("groupId")) or ""
    target = targets.get(gid)
    if target is None:
        ctx.reject(kind, path, f"group {gid!r} is not among the groups of its measure")
        return None
    v, why = measurement_value(param, disp, unit, meas, denoms.get(gid))
    if v is None:
        ctx.reject(kind, path, why)
        return None
    return gid, target, v


def denominators(denoms: list, units_wanted: str = "participants") -> dict[str, str]:
    """Group id -> denominator, from the denoms list counted in participants (or in unstated units)."""
    denoms = [obj(d) for d in arr(denoms)]
    chosen = [d for d in denoms if str(d.get("units", "")).strip().casefold() == units_wanted]
    if not chosen:
        chosen = [d for d in denoms if not text(d.get("units"))]
    out = {}
    for d in chosen[:1]:
        for c in arr(d.get("counts")):
            c = obj(c)
            gid, val = text(c.get("groupId")), text(c.get("value"))
            if gid and val:
                out[gid] = val
    return out


def measurements(measure: dict, fallback_denoms: dict, path: str):
    """Each measurement of an outcome or baseline measure: (measurement, JSON path, class title, category title,
    denominators, (class index, category index))."""
    denoms_m = denominators(measure.get("denoms")) or fallback_denoms
    for c, cl in enumerate(arr(measure.get("classes"))):
        cl = obj(cl)
        denoms = denominators(cl.get("denoms")) or denoms_m
        for k, cat in enumerate(arr(cl.get("categories"))):
            cat = obj(cat)
            for m, meas in enumerate(arr(cat.get("measurements"))):
                yield (obj(meas), f"{path}.classes[{c}].categories[{k}].measurements[{m}]", text(cl.get("title")),
                       text(cat.get("title")), denoms, (c, k))


def category_and_time(class_title: str | None, category_title: str | None) -> tuple[str | None, str | None]:
    """(msckg:category, msckg:timePoint) of a measurement: the class and category titles joined; the class title is
    also the time point when it names one ("Week 12")."""
    category = " / ".join(x for x in (class_title, category_title) if x) or None
    when = class_title if class_title and TIME_POINT.match(class_title) else None
    return category, when


def check_unit(ctx: Ctx, unit: str, path: str) -> None:
    """Say once per measure when its printed unit has no UCUM code in loader/ctgov_units.tsv."""
    if unit and unit_key(unit) not in units():
        ctx.drop(path, f"unit '{unit}' has no UCUM code in loader/ctgov_units.tsv (kept as printed)")


def write_unit(ctx: Ctx, s: URIRef, unit: str) -> None:
    """The printed unit, its UCUM code and UO/QUDT term where loader/ctgov_units.tsv has them."""
    if not unit:
        return
    ctx.add(s, MSCKG.unitAsPrinted, Literal(unit))
    known = units().get(unit_key(unit))
    if known is not None:
        ucum, term = known
        ctx.add(s, MSCKG.ucumCode, Literal(ucum))
        if term is not None:
            ctx.add(s, MSCKG.unit, term)


def write_value(ctx: Ctx, s: URIRef, v: Value, path: str) -> None:
    for prop, val in v.props:
        ctx.number(s, prop, val, path)
    write_unit(ctx, s, v.unit)
    for note in v.notes:
        ctx.note(s, note)
    for fld, why in v.dropped:
        ctx.note(s, f"not written: {why}")
        ctx.drop(f"{path}.{fld}", why)
