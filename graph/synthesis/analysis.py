"""One pooled analysis from request to result: gather, screen, effect sizes, pooling, leave-one-out."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from msckg.graph.store.base import Store

from .effects import RATIO, Effect, comparison_effects, proportion_effects
from .gather import InputRow, class_tree, gather, label_of
from .select import Line, Selection, screen
from .spec import AnalysisSpec

if TYPE_CHECKING:
    from .pooling import Pooled


@dataclass
class Synthesis:
    """Effects and pooled estimates for one set of studies (controlled comparisons, or uncontrolled arms)."""

    effects: list[Effect]
    pooled: dict[str, Pooled]
    loo: list[Pooled] = field(default_factory=list)
    primary: str = ""

    @property
    def k(self) -> int:
        return len(self.effects)


@dataclass
class Result:
    """Everything an analysis found: the request, every input row, what was pooled, and every line to report."""

    spec: AnalysisSpec
    rows: list[InputRow]
    selection: Selection
    comparison: Synthesis
    uncontrolled: Synthesis
    lines: list[Line]
    target_label: str = ""

    @property
    def ratio(self) -> bool:
        return RATIO[self.spec.measure]

    def scale(self, x: float | None) -> float | None:
        """An analysis-scale value on the reported scale (exp for ratios)."""
        if x is None:
            return None
        return math.exp(x) if self.ratio else x


def primary_method(spec: AnalysisSpec) -> str:
    """The random-effects method reported first and used for leave-one-out: REML, else DL, else PM, else fixed."""
    return next((m for m in ("reml", "dl", "pm") if m in spec.methods), "fixed")


def _synthesise(effects: list[Effect], spec: AnalysisSpec, loo: bool) -> Synthesis:
    from .pooling import leave_one_out, pool  # scipy and the pooling libraries load only when something is pooled

    if not effects:
        return Synthesis([], {}, [], primary_method(spec))
    y, v = [e.y for e in effects], [e.v for e in effects]
    methods = spec.methods if len(effects) > 1 else ("fixed",)
    pooled = {m: pool(y, v, m, spec.prediction) for m in methods}
    primary = primary_method(spec) if len(effects) > 1 else "fixed"
    return Synthesis(effects, pooled, leave_one_out(y, v, primary, spec.prediction) if loo else [], primary)


@dataclass
class Inputs:
    """All an analysis reads from the graph: the input rows, the classes above each class under the target, its label."""

    rows: list[InputRow]
    above: dict[str, set[str]]
    target_label: str


def read_inputs(store: Store, spec: AnalysisSpec) -> Inputs:
    """What the analysis `spec` reads from a store (embedded, remote or in-memory Oxigraph)."""
    above = class_tree(store, spec.target) if spec.kind == "adverse-event" else {}
    return Inputs(gather(store, spec), above, label_of(store, spec.target))


def run_analysis(store: Store, spec: AnalysisSpec, loo: bool = False) -> Result:
    """Run one analysis on a store (embedded, remote or in-memory Oxigraph); `loo` adds leave-one-out (k poolings)."""
    return analyse(spec, read_inputs(store, spec), loo)


def analyse(spec: AnalysisSpec, inputs: Inputs, loo: bool = False) -> Result:
    """Screen, compute the effects and pool them, from inputs already read."""
    rows, above = inputs.rows, inputs.above
    selection = screen(rows, spec, above)
    lines = list(selection.lines)
    effects, left = comparison_effects(selection.controlled, spec.measure, spec.zero_cell)
    for s, why in left:
        lines.append(Line(s.trial, s.label, "left out", why))
    single, left1 = proportion_effects(selection.uncontrolled, spec.zero_cell)
    for s, why in left1:
        lines.append(Line(s.trial, s.label, "left out", f"uncontrolled: {why}"))
    for e in effects + single:
        if e.corrected:
            lines.append(Line(e.study.trial, e.study.label, "warning",
                              f"zero cell: {spec.zero_cell} added to every cell of this trial (--zero-cell)"))
    return Result(spec, rows, selection, _synthesise(effects, spec, loo), _synthesise(single, spec, loo), lines,
                  inputs.target_label)
