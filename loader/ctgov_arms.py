"""The protocol's arm groups and interventions of a ClinicalTrials.gov record: arms, interventions, one dosing
regimen per arm and intervention it names, and the trial's control type."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, SKOS, Literal, URIRef

from .ctgov_context import Ctx, arr, norm_title, obj, slug, text, tokens
from .ctgov_terms import enum_tables
from .schema import ID, MSCKG

ARM_TYPES = enum_tables()["arm_types"]
CELL_THERAPY = re.compile(r"\b(stem|stromal|progenitor|mesenchymal|car-?t|nk|dendritic|t)[- ]cells?\b|\bmscs?\b|\bcar-?t\b|\bcell therapy\b",
                          re.IGNORECASE)
NOT_CELL_PRODUCT = re.compile(r"\b(transplant\w*|transfusion)\b", re.IGNORECASE)
PLACEBO = re.compile(r"\b(placebo|vehicle)\b", re.IGNORECASE)
BASE = "protocolSection.armsInterventionsModule"


@dataclass
class Arm:
    """A protocol arm group (or a results group made an arm of its own) and the interventions it receives."""

    iri: URIRef
    cls: URIRef
    label: str
    interventions: set[int] = field(default_factory=set)


def arm_by_label(ctx: Ctx, label: str) -> int | None:
    """The protocol arm whose label is `label` exactly, else the one equal to it after normalisation (rule 1)."""
    exact = [i for i, a in enumerate(ctx.arms) if a.label and a.label == label]
    if len(exact) == 1:
        return exact[0]
    key = norm_title(label)
    same = [i for i, a in enumerate(ctx.arms) if a.label and norm_title(a.label) == key]
    return same[0] if len(same) == 1 else None


def write_arms(ctx: Ctx, ps: dict, is_trial: bool) -> None:
    aim = obj(ps.get("armsInterventionsModule"))
    groups = arr(aim.get("armGroups"))
    for i, a in enumerate(groups):
        a = obj(a)
        label, kind = text(a.get("label")), text(a.get("type"))
        iri = ID[f"trial/{ctx.nct}/arm/{i}"]
        cls = ARM_TYPES.get(kind or "", MSCKG.Arm)
        ctx.arms.append(Arm(iri, cls, label or ""))
        if not label:
            ctx.reject("arm group", f"{BASE}.armGroups[{i}]", "arm group without a label")
            continue
        ctx.add(iri, RDF.type, cls)
        ctx.add(iri, RDFS.label, Literal(label))
        ctx.add(iri, MSCKG.armOf, ctx.trial)
        if kind and kind not in ARM_TYPES:
            ctx.drop(f"{BASE}.armGroups[{i}].type", f"arm type {kind} has no msckg subclass of Arm")
        if text(a.get("description")):
            ctx.drop(f"{BASE}.armGroups[{i}].description", "arm descriptions are free text; the regimen is not parsed from it")
        ctx.ok("arm group")
    if is_trial:
        _control_type(ctx, ps, groups)
    links = _interventions(ctx, aim)
    for (i, j), path in sorted(links.items()):
        arm = ctx.arms[i]
        if not arm.label:
            continue
        arm.interventions.add(j)
        reg = ID[f"trial/{ctx.nct}/regimen/arm{i}-intervention{j}"]
        ctx.evidence(reg, MSCKG.DosingRegimen, path)
        ctx.add(reg, MSCKG.intervention, ID[f"trial/{ctx.nct}/intervention/{j}"])
        ctx.add(arm.iri, MSCKG.regimen, reg)


def _control_type(ctx: Ctx, ps: dict, groups: list) -> None:
    kinds = {text(obj(a).get("type")) for a in groups}
    if MSCKG.PlaceboArm in {a.cls for a in ctx.arms}:
        ctx.add(ctx.trial, MSCKG.controlType, MSCKG.PlaceboControl)
    if "ACTIVE_COMPARATOR" in kinds:
        ctx.add(ctx.trial, MSCKG.controlType, MSCKG.ActiveControl)
    model = text(obj(obj(obj(ps.get("designModule")).get("designInfo"))).get("interventionModel"))
    if model == "SINGLE_GROUP" and kinds and kinds <= {"EXPERIMENTAL"}:
        ctx.add(ctx.trial, MSCKG.controlType, MSCKG.NoControl)


def _intervention_class(name: str, kind: str | None, other: list[str]) -> URIRef:
    if PLACEBO.search(name):
        return MSCKG.Placebo
    if (kind != "PROCEDURE" and not NOT_CELL_PRODUCT.search(name)
            and (CELL_THERAPY.search(name) or any(CELL_THERAPY.search(o) for o in other))):
        return MSCKG.CellTherapy
    return MSCKG.DrugTherapy if kind == "DRUG" else MSCKG.Intervention


def _interventions(ctx: Ctx, aim: dict) -> dict[tuple[int, int], str]:
    """Write the interventions; return (arm index, intervention index) -> the JSON path that links them."""
    links: dict[tuple[int, int], str] = {}
    interventions = arr(aim.get("interventions"))
    names: dict[str, list[int]] = {}
    for j, iv in enumerate(interventions):
        iv = obj(iv)
        name, kind = text(iv.get("name")), text(iv.get("type"))
        other = [s for s in (text(x) for x in arr(iv.get("otherNames"))) if s]
        ctx.intervention_phrases.append([p for p in (tokens(n) for n in ([name] if name else []) + other) if p])
        if not name:
            ctx.reject("intervention", f"{BASE}.interventions[{j}]", "intervention without a name")
            continue
        node = ID[f"trial/{ctx.nct}/intervention/{j}"]
        cls = _intervention_class(name, kind, other)
        ctx.add(node, RDF.type, cls)
        ctx.add(node, RDFS.label, Literal(name))
        for o in other:
            ctx.add(node, SKOS.altLabel, Literal(o))
        if cls == MSCKG.DrugTherapy:
            drug = ID[f"drug/{slug(name)}"]
            ctx.add(drug, RDF.type, MSCKG.DrugProduct)
            ctx.add(drug, RDFS.label, Literal(name))
            ctx.add(node, MSCKG.drug, drug)
        if text(iv.get("description")):
            ctx.drop(f"{BASE}.interventions[{j}].description", "intervention descriptions are free text; dose and schedule are not parsed from them")
        ctx.ok("intervention")
        names.setdefault(norm_title(f"{kind or ''}: {name}".replace("_", " ")), []).append(j)
        for k, lab in enumerate(arr(iv.get("armGroupLabels"))):
            idx = arm_by_label(ctx, text(lab) or "")
            if idx is None:
                ctx.drop(f"{BASE}.interventions[{j}].armGroupLabels[{k}]", f"names no arm group ('{text(lab) or ''}')")
            else:
                links.setdefault((idx, j), f"{BASE}.interventions[{j}].armGroupLabels[{k}]")
    for i, a in enumerate(arr(aim.get("armGroups"))):
        for k, n in enumerate(arr(obj(a).get("interventionNames"))):
            js = names.get(norm_title(str(n).replace("_", " ")), [])
            if len(js) == 1 and i < len(ctx.arms):  # two interventions of one name: only armGroupLabels can tell
                links.setdefault((i, js[0]), f"{BASE}.armGroups[{i}].interventionNames[{k}]")
    return links
