"""Results groups (participant-flow, baseline, outcome and adverse-event groups) matched to protocol arm groups by
one documented rule, never by substring or prefix (docs/ctgov.md, "Groups and arms"):

0. a group titled "Total" is the study's overall population (all reporting groups), never an arm;
1. exact title: the group's title equals one arm group's label once case, white space, punctuation and a
   leading list number ("1.", "2)") are set aside;
2. interventions named: the group's title (else its description) names, as whole words, the name or another
   name of interventions; the one arm that receives exactly those interventions (else the one arm that receives
   all of them) is the group's arm;
3. a reviewed mapping: a row of data/ctgov-group-arms.tsv names the arm for this trial and group title;
4. otherwise the group becomes an arm of its own (`arm/group-<title>`, one per title in the whole record) that
   says so in a note, with a dosing regimen for each intervention it names.

Within one module each protocol arm takes at most one group: when two groups of one module reach the same arm,
both become arms of their own (a note names the arm they both reach).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, Literal, URIRef

from .ctgov_arms import Arm, arm_by_label
from .ctgov_context import Ctx, arr, contains_phrase, norm_title, obj, slug, text, tokens
from .errors import Problem, SourceError
from .schema import ID, MSCKG

REVIEWED_COLUMNS = ("nct_id", "group_title", "arm_label", "reviewer_id")


@dataclass(frozen=True)
class Target:
    """What a results group's values are for: an arm, or the overall population of a 'Total' column."""

    iri: URIRef
    is_arm: bool
    cls: URIRef | None = None
    label: str = ""

    @property
    def predicate(self) -> URIRef:
        return MSCKG.arm if self.is_arm else MSCKG.population


GroupArms = dict[str, dict[str, tuple[str, str]]]  # NCT -> normalised group title -> (arm label, "file:line")


def read_group_arms(path: Path) -> GroupArms:
    """The reviewed rows of a group-to-arm table (rows without a reviewer_id are not applied yet)."""
    path = Path(path)
    out: GroupArms = {}
    if not path.is_file():
        return out
    lines = path.read_text(encoding="utf-8").splitlines()
    body = [(n, line) for n, line in enumerate(lines, start=1) if line.strip() and not line.startswith("#")]
    if not body:
        return out
    header = next(csv.reader([body[0][1]], delimiter="\t"))
    missing = [c for c in REVIEWED_COLUMNS if c not in header]
    if missing:
        raise SourceError([Problem(str(path), body[0][0], 1, ", ".join(missing), f"the table needs the columns {', '.join(REVIEWED_COLUMNS)}")])
    problems = []
    for n, line in body[1:]:
        row = dict(zip(header, (c.strip() for c in next(csv.reader([line], delimiter="\t")))))
        if not row.get("reviewer_id"):
            continue
        for col in ("nct_id", "group_title", "arm_label"):
            if not row.get(col):
                problems.append(Problem(str(path), n, header.index(col) + 1, col, f"a reviewed row needs {col}"))
        if all(row.get(c) for c in ("nct_id", "group_title", "arm_label")):
            out.setdefault(row["nct_id"], {})[norm_title(row["group_title"])] = (row["arm_label"], f"{path}:{n}")
    if problems:
        raise SourceError(problems)
    return out


def _named_interventions(ctx: Ctx, value: str | None) -> frozenset[int]:
    toks = tokens(value or "")
    return frozenset(j for j, phrases in enumerate(ctx.intervention_phrases) if any(contains_phrase(toks, p) for p in phrases))


def _by_interventions(ctx: Ctx, named: frozenset[int]) -> int | None:
    if not named:
        return None
    labelled = [(i, a) for i, a in enumerate(ctx.arms) if a.label and a.interventions]
    equal = [i for i, a in labelled if a.interventions == named]
    if len(equal) == 1:
        return equal[0]
    if equal:
        return None
    covering = [i for i, a in labelled if named <= a.interventions]
    return covering[0] if len(covering) == 1 else None


def _reviewed(ctx: Ctx, title: str) -> int | None:
    row = ctx.group_arms.get(norm_title(title))
    if row is None:
        return None
    label, where = row
    idx = arm_by_label(ctx, label)
    if idx is None:
        file, _, line = where.rpartition(":")
        raise SourceError([Problem(file, int(line), 0, "arm_label", f"reviewed row names arm '{label}', which is not an arm group of {ctx.nct}",
                                   ctx.nct)])
    return idx


def overall_population(ctx: Ctx) -> Target:
    """The study's overall population ('Total' columns), written once."""
    iri = ID[f"trial/{ctx.nct}/population/all-reporting-groups"]
    if ctx.population is None:
        ctx.population = iri
        ctx.add(iri, RDF.type, MSCKG.AnalysisPopulation)
        ctx.add(iri, RDFS.label, Literal(f"All reporting groups of {ctx.nct} (the 'Total' column of its results)"))
        ctx.add(iri, MSCKG.populationType, MSCKG.AllReportingGroups)
        ctx.add(iri, MSCKG.populationOf, ctx.trial)
    return Target(iri, False, None, "Total")


def match_groups(ctx: Ctx, groups: list, module_path: str) -> dict[str, Target]:
    """Results group id -> the arm (or overall population) its values are for."""
    out: dict[str, Target] = {}
    pending = []
    for gi, g in enumerate(groups):
        g = obj(g)
        gid, title, desc = text(g.get("id")), text(g.get("title")) or "", text(g.get("description"))
        path = f"{module_path}[{gi}]"
        if not gid:
            ctx.reject("results group", path, "results group without an id")
            continue
        ctx.ok("results group")
        if norm_title(title) == "total":
            out[gid] = overall_population(ctx)
            continue
        idx, how = arm_by_label(ctx, title) if title else None, "title"
        if idx is None:
            named = _named_interventions(ctx, title) or _named_interventions(ctx, desc)
            idx, how = _by_interventions(ctx, named), "interventions"
        if idx is None and title:
            idx, how = _reviewed(ctx, title), "reviewed mapping"
        pending.append((path, gid, title, desc, idx, how))
    claims: dict[int, list[str]] = {}
    for path, gid, *_, idx, _how in pending:
        if idx is not None:
            claims.setdefault(idx, []).append(gid)
    seen_here: set[str] = set()
    for path, gid, title, desc, idx, how in pending:
        if idx is not None and len(claims[idx]) == 1:
            a = ctx.arms[idx]
            out[gid] = Target(a.iri, True, a.cls, a.label)
            continue
        why = (f"groups {', '.join(claims[idx])} of this module all reach arm group '{ctx.arms[idx].label}'"
               if idx is not None else "no arm group has this title, receives exactly the interventions it names, or is named by a reviewed mapping")
        arm = _own_arm(ctx, path, gid, title, desc, seen_here, why)
        out[gid] = Target(arm.iri, True, arm.cls, arm.label)
    return out


def _own_arm(ctx: Ctx, path: str, gid: str, title: str, desc: str | None, seen_here: set[str], why: str) -> Arm:
    key = norm_title(title) or gid.casefold()
    if key in seen_here:  # two groups of one module with one title: one arm each
        key = f"{key}#{gid}"
    seen_here.add(key)
    arm = ctx.own_arms.get(key)
    if arm is None:
        base = slug(title or gid) + (f"-{slug(gid)}" if "#" in key else "")
        taken = {str(a.iri) for a in ctx.own_arms.values()}
        iri = ID[f"trial/{ctx.nct}/arm/group-{base}"]
        if str(iri) in taken:
            iri = ID[f"trial/{ctx.nct}/arm/group-{base}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"]
        arm = Arm(iri, MSCKG.Arm, title or gid)
        ctx.own_arms[key] = arm
        ctx.add(iri, RDF.type, MSCKG.Arm)
        ctx.add(iri, RDFS.label, Literal(arm.label))
        ctx.add(iri, MSCKG.armOf, ctx.trial)
        ctx.note(iri, f"Results group {gid} ({ctx.loc(path)}) is an arm of its own: {why}.")
        for j in sorted(_named_interventions(ctx, title) or _named_interventions(ctx, desc)):
            reg = ID[f"trial/{ctx.nct}/regimen/{str(iri).rsplit('/', 1)[-1]}-intervention{j}"]
            ctx.evidence(reg, MSCKG.DosingRegimen, path)
            ctx.add(reg, MSCKG.intervention, ID[f"trial/{ctx.nct}/intervention/{j}"])
            ctx.add(iri, MSCKG.regimen, reg)
    ctx.unmatched.append((ctx.loc(path), gid, title, str(arm.iri)))
    return arm


def results_module(ctx: Ctx, rs: dict, name: str, groups_key: str = "groups") -> tuple[dict | None, dict[str, Target]]:
    """A module of the results section and its groups' targets ((None, {}) when the record has no such module)."""
    module = rs.get(name)
    if not isinstance(module, dict):
        return None, {}
    return module, match_groups(ctx, arr(module.get(groups_key)), f"resultsSection.{name}.{groups_key}")


def arm_count_rule(ctx: Ctx) -> tuple[int, int]:
    """(labelled protocol arm groups, arms made from unmatched groups): the record's arms are their sum."""
    return sum(1 for a in ctx.arms if a.label), len(ctx.own_arms)
