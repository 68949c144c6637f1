"""Like with like: which counts an analysis may pool, one count per arm, one comparison per trial, every refusal said."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from .gather import InputRow, short
from .spec import AnalysisSpec, SpecError

CONTROL_ROLES = ("control", "placebo")
UNCONTROLLED_DESIGNS = {"NoControl", "DoseComparison"}
RELATED_ONLY = {"Related", "PossiblyRelated"}


@dataclass
class ArmCount:
    """The count one arm contributes: subjects with the event (or responders) out of those at risk."""

    arm: str
    label: str
    role: str
    count: int
    denominator: int
    rows: list[InputRow]
    note: str = ""


@dataclass
class Study:
    """One trial's contribution: an experimental and a control count, or (uncontrolled) one count."""

    trial: str
    label: str
    experimental: ArmCount
    control: ArmCount | None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[InputRow]:
        return self.experimental.rows + (self.control.rows if self.control else [])

    @property
    def timepoints(self) -> set[str]:
        return {r.timepoint for r in self.rows}


@dataclass
class Line:
    """A line of the analysis report: a trial left out (with the reason) or a warning about one that was kept."""

    trial: str
    label: str
    kind: str     # "left out" or "warning"
    reason: str


@dataclass
class Selection:
    """The outcome of screening: controlled comparisons, uncontrolled evidence, and every line to report."""

    controlled: list[Study]
    uncontrolled: list[Study]
    lines: list[Line]


def trial_name(trial: str) -> str:
    """A trial's short name for tables and plots: its registry ID as in the IRI (trial/NCT02218437 -> NCT02218437)."""
    name = short(trial)
    return name[len("trial/"):] if name.startswith("trial/") else name


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().casefold())


def _row_problem(row: InputRow, spec: AnalysisSpec, per_population: bool = False) -> str:
    """Why one count cannot enter this analysis ('' when it can); `per_population` accepts a count for a whole
    population (the unit of a single-arm trial)."""
    if row.count is None or row.denominator is None:
        return f"{row.term or short(row.event_class)}: {'no count' if row.count is None else 'no denominator (at risk)'}"
    if row.count > row.denominator:
        return f"{row.term or short(row.event_class)}: count {row.count} exceeds its denominator {row.denominator}"
    if not row.arm and not (per_population and row.population):
        return f"{row.term or short(row.event_class)}: counted for the population {row.group_label}, not per arm"
    if spec.kind == "adverse-event":
        lo, hi = spec.grade_band
        if row.grade_min is None:
            if spec.grade != "any":
                return f"{row.term}: grade not stated (analysis: grade {spec.grade})"
        elif (row.grade_min, row.grade_max) != (lo, hi):
            band = "any grade" if (row.grade_min, row.grade_max) == (1, 5) else (
                f"grade {row.grade_min}" if row.grade_min == row.grade_max else f"grade {row.grade_min}-{row.grade_max}")
            want = "any grade" if spec.grade == "any" else f"grade {spec.grade}"
            return f"{row.term}: {band} (analysis: {want})"
        if spec.serious and row.serious is not True:
            return f"{row.term}: not marked serious (analysis: serious events only)"
        if not spec.serious and row.serious is True:
            return f"{row.term}: serious events only (analysis: all events; add --serious)"
        if row.relatedness in RELATED_ONLY:
            return f"{row.term}: only events judged related (analysis: all-cause counts)"
    if spec.timepoint and _norm(row.timepoint) != _norm(spec.timepoint):
        return f"{row.term or row.event_label}: time point {row.timepoint or 'not stated'} (analysis: {spec.timepoint})"
    if row.population_type and row.population_type != spec.population_type:
        return f"{row.term or row.event_label}: population {row.population_label or row.population_type} " \
               f"({row.population_type}; analysis: {spec.population_type})"
    return ""


def _most_general(rows: list[InputRow], above: dict[str, set[str]]) -> list[InputRow]:
    """Drop the rows whose event class lies below the class of another row of the same arm."""
    if len(rows) == 1:
        return rows
    classes = {r.event_class for r in rows}
    if len(classes) == 1:
        return rows
    keep = []
    for r in rows:
        broader = above.get(r.event_class, set()) & classes
        # an exact match is broader both ways: keep it (it is the same class under another name)
        strictly = {b for b in broader if r.event_class not in above.get(b, set())}
        if not strictly:
            keep.append(r)
    return keep


_NONE: frozenset = frozenset()


def _canonical(cls: str, above: dict[str, set[str]]) -> str:
    """One name for a class and its exact matches (the smallest IRI among the classes equivalent to it)."""
    broader = above.get(cls)
    if not broader:
        return cls
    same = [b for b in broader if cls in above.get(b, _NONE)]
    return min(same + [cls])


def _describe(rows: list[InputRow]) -> str:
    return "; ".join(f"{r.term or r.event_label or short(r.event_class)} {r.count}/{r.denominator}" for r in rows)


def arm_count(rows: list[InputRow], spec: AnalysisSpec, above: dict[str, set[str]],
              canon: dict[str, str] | None = None) -> tuple[ArmCount | None, str, str]:
    """(the arm's count, a note, '') or (None, '', why the arm cannot give one count); `canon` caches _canonical."""
    canon = {} if canon is None else canon
    stated = [r for r in rows if r.population_type == spec.population_type]
    rows = stated or rows
    note = "" if stated else f"no population stated: arm counts taken as the {spec.population_type} population"
    if spec.kind == "adverse-event":
        rows = _most_general(rows, above)
    by_class: dict[str, list[InputRow]] = defaultdict(list)
    for r in rows:
        key = r.event_class
        if spec.kind == "adverse-event":
            if key not in canon:
                canon[key] = _canonical(key, above)
            key = canon[key]
        by_class[key].append(r)
    per_class: list[list[InputRow]] = []
    for cls, rs in sorted(by_class.items()):
        values = {(r.count, r.denominator) for r in rs}
        if len(values) > 1:
            return None, "", "sources disagree for this arm: " + "; ".join(
                f"{r.count}/{r.denominator} ({short(r.source) or 'no source'}, {r.locator or 'no locator'})" for r in rs)
        per_class.append(rs)
    first = rows[0]
    arm, role = first.group, first.arm_role or "experimental"
    if len(per_class) == 1:
        rs = per_class[0]
        return ArmCount(arm, first.group_label, role, rs[0].count, rs[0].denominator, rs), note, ""
    reps = [rs[0] for rs in per_class]
    if spec.combine == "exact":
        return None, "", (f"{len(reps)} separate terms and no count of subjects with any of them ({_describe(reps)}); "
                          "pool one term with a narrower --class, or choose --combine max (lower bound) or sum (upper bound)")
    denominators = {r.denominator for r in reps}
    if len(denominators) > 1:
        return None, "", f"{len(reps)} terms with different numbers at risk ({_describe(reps)}): cannot combine"
    every = [r for rs in per_class for r in rs]
    if spec.combine == "max":
        best = max(per_class, key=lambda rs: (rs[0].count, rs[0].event_class))
        how = f"largest of {len(reps)} terms ({_describe(reps)}): a lower bound on subjects with any"
        return ArmCount(arm, first.group_label, role, best[0].count, best[0].denominator, best, how), note, ""
    total = min(sum(r.count for r in reps), reps[0].denominator)
    how = f"sum of {len(reps)} terms ({_describe(reps)}): an upper bound, as if no subject had two"
    return ArmCount(arm, first.group_label, role, total, reps[0].denominator, every, how), note, ""


def _row_notes(rows: list[InputRow], spec: AnalysisSpec) -> list[str]:
    """What a reader must know about the counts an arm contributes."""
    notes = []
    if spec.kind == "adverse-event" and not spec.serious and any(r.serious is False for r in rows):
        notes.append("counts of events marked not serious (as in a registry's 'other adverse events' table)")
    if spec.kind == "adverse-event" and any(r.grade_min is None for r in rows):
        notes.append("grade not stated: counted as any grade")
    return notes


def combine_arms(arms: list[ArmCount]) -> tuple[ArmCount, str]:
    """One count from several arms of one role: the arms added up (Cochrane Handbook 23.3.4: combine groups to
    make a single pair-wise comparison), unless one arm has at least as many at risk as two or more others
    together, which makes it their total (a whole-trial arm beside its dose cohorts): then that arm alone."""
    if len(arms) == 1:
        return arms[0], ""
    arms = sorted(arms, key=lambda a: (-a.denominator, a.arm))
    biggest, rest = arms[0], arms[1:]
    if len(rest) >= 2 and biggest.denominator >= sum(a.denominator for a in rest):
        return biggest, f"{biggest.label} counts all of its {len(rest) + 1} arms; the {len(rest)} others are parts of it"
    combined = ArmCount(
        "; ".join(a.arm for a in arms), " + ".join(a.label for a in arms), arms[0].role,
        sum(a.count for a in arms), sum(a.denominator for a in arms), [r for a in arms for r in a.rows],
        "arms combined")
    return combined, f"{len(arms)} {arms[0].role} arms added up: " + "; ".join(f"{a.label} {a.count}/{a.denominator}" for a in arms)


def screen(rows: list[InputRow], spec: AnalysisSpec, above: dict[str, set[str]]) -> Selection:
    """Screen every gathered count: keep like with like, one comparison (or one uncontrolled count) per trial."""
    if spec.kind == "response" and not spec.timepoint:
        found = defaultdict(set)
        for r in rows:
            if r.count is not None and r.denominator is not None:
                found[r.timepoint or "not stated"].add(r.trial)
        if len(found) > 1:
            listing = "; ".join(f"{tp} ({len(ts)} trial{'s' if len(ts) > 1 else ''})" for tp, ts in sorted(found.items()))
            raise SpecError(f"the results are at {len(found)} time points: {listing}. Choose one with --timepoint")
    lines: list[Line] = []
    by_trial: dict[str, list[InputRow]] = defaultdict(list)
    for r in rows:
        by_trial[r.trial or "(no trial)"].append(r)
    controlled, uncontrolled = [], []
    canon: dict[str, str] = {}
    for trial, trows in sorted(by_trial.items()):
        label = trial_name(trial)
        first = trows[0]
        single = first.control_type in UNCONTROLLED_DESIGNS or first.allocation == "SingleGroup"
        design = "single-arm or dose-cohort trial (no concurrent control): not in the comparison"

        def leave(reason: str) -> None:
            lines.append(Line(trial, label, "left out", f"{design}; {reason}" if single else reason))

        usable, problems = [], []
        for r in trows:
            why = _row_problem(r, spec, per_population=single)
            (problems if why else usable).append(why or r)
        if not usable:
            reasons = sorted(set(problems))
            shown = "; ".join(reasons[:3]) + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")
            leave(f"no count fits the analysis: {shown}")
            continue
        if single and any(r.arm for r in usable):
            usable = [r for r in usable if r.arm]  # per-arm counts first; population counts only without them
        by_arm: dict[str, list[InputRow]] = defaultdict(list)
        for r in usable:
            by_arm[r.group].append(r)
        arms: list[ArmCount] = []
        notes: list[str] = []
        failed = False
        for arm, arows in sorted(by_arm.items()):
            ac, note, why = arm_count(arows, spec, above, canon)
            if ac is None:
                leave(f"{arows[0].group_label}: {why}")
                failed = True
                break
            arms.append(ac)
            if ac.note:
                notes.append(f"{ac.label}: {ac.note}")
            for n in [note] + _row_notes(ac.rows, spec):
                if n and n not in notes:
                    notes.append(n)
        if failed:
            continue
        exp = [a for a in arms if a.role == "experimental"]
        ctl = [a for a in arms if a.role in CONTROL_ROLES]
        if not exp:
            leave(f"no count for an experimental arm (only {', '.join(a.label for a in arms)})")
            continue
        e, how_e = combine_arms(exp)
        if how_e:
            notes.append(how_e)
        if single or not ctl:
            if single or not first.control_type:
                reason = "pooled with the uncontrolled evidence" if single else \
                    "no control arm counted: not in the comparison; pooled with the uncontrolled evidence"
                leave(reason)
                uncontrolled.append(Study(trial, label, e, None, notes))
            else:
                leave(f"no count for the control arm of this trial ({first.control_type})")
            continue
        if first.allocation != "Randomized":
            if spec.randomised_only:
                leave(f"not randomised ({first.allocation or 'allocation not stated'}; --randomised-only)")
                continue
            notes.append(f"non-randomised concurrent control ({first.allocation or 'allocation not stated'})")
        c, how_c = combine_arms(ctl)
        if how_c:
            notes.append(how_c)
        controlled.append(Study(trial, label, e, c, notes))
    for s in controlled + uncontrolled:
        for n in s.notes:
            lines.append(Line(s.trial, s.label, "warning", n))
    if spec.kind == "adverse-event":
        windows = defaultdict(list)
        for s in controlled:
            windows["; ".join(sorted(tp or "not stated" for tp in s.timepoints))].append(s.label)
        if len(windows) > 1:
            listing = "; ".join(f"{w}: {', '.join(ls)}" for w, ls in sorted(windows.items()))
            lines.append(Line("", "all trials", "warning", f"adverse-event windows differ between trials ({listing})"))
    return Selection(controlled, uncontrolled, lines)
