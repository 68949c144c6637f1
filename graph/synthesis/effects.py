"""Per-trial effect sizes: log risk ratio, log odds ratio or risk difference (statsmodels), and logit proportions."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .select import Study
from .spec import zero_cell_value

RATIO = {"rr": True, "or": True, "rd": False}
_STATISTIC = {"rr": "risk-ratio", "or": "odds-ratio", "rd": "diff"}


@dataclass
class Effect:
    """One trial's effect on the analysis scale (log for ratios, logit for proportions) and its variance."""

    study: Study
    y: float
    v: float
    corrected: bool = False   # a zero-cell correction was applied

    @property
    def se(self) -> float:
        return math.sqrt(self.v)

    def ci(self, z: float = 1.959963984540054) -> tuple[float, float]:
        return self.y - z * self.se, self.y + z * self.se


def _zero_or_full(x: int, n: int) -> bool:
    return x == 0 or x == n


def comparison_effects(studies: list[Study], measure: str, zero_cell: str) -> tuple[list[Effect], list[tuple[Study, str]]]:
    """Effects of experimental vs control for each study, and the studies left out with the reason.

    Double-zero (and double-all) trials carry no information on a ratio and are left out of ratio measures;
    they stay in a risk difference. A trial with any zero (or full) cell gets the zero-cell correction
    (statsmodels' zero_correction: the number added to every cell of that trial, or 'tac')."""
    from statsmodels.stats.meta_analysis import effectsize_2proportions

    correction = zero_cell_value(zero_cell)
    kept, left = [], []
    for s in studies:
        e, c = s.experimental, s.control
        if e.denominator == 0 or c.denominator == 0:
            left.append((s, "an arm with nobody at risk"))
            continue
        double = (e.count == 0 and c.count == 0) or (e.count == e.denominator and c.count == c.denominator)
        if RATIO[measure] and double:
            what = "no events" if e.count == 0 else "every subject had the event"
            left.append((s, f"{what} in either arm (double-zero trial): no information on a {'risk' if measure == 'rr' else 'odds'} ratio"))
            continue
        has_zero = _zero_or_full(e.count, e.denominator) or _zero_or_full(c.count, c.denominator)
        if has_zero and correction is None and (RATIO[measure] or double):
            left.append((s, "a zero cell and no zero-cell correction (--zero-cell none)"))
            continue
        kept.append(s)
    if not kept:
        return [], left
    zero = np.array([_zero_or_full(s.experimental.count, s.experimental.denominator)
                     or _zero_or_full(s.control.count, s.control.denominator) for s in kept])
    y, v = np.zeros(len(kept)), np.zeros(len(kept))
    # statsmodels adds the correction to the counts of every trial passed but to the totals only of trials
    # with a zero cell: so the trials with a zero cell and the others go in separate calls
    for mask, corr in ((zero, correction), (~zero, None)):
        if mask.any():
            part = [s for s, m in zip(kept, mask) if m]
            arrays = [np.array(vals, dtype=float) for vals in zip(*[
                (s.experimental.count, s.experimental.denominator, s.control.count, s.control.denominator) for s in part])]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                y[mask], v[mask] = effectsize_2proportions(*arrays, statistic=_STATISTIC[measure], zero_correction=corr)
    effects = []
    for s, yi, vi, corrected in zip(kept, y, v, zero & (correction is not None)):
        if not (math.isfinite(yi) and math.isfinite(vi)) or vi <= 0:
            left.append((s, "the effect or its variance is not finite (zero cells)"))
            continue
        effects.append(Effect(s, float(yi), float(vi), bool(corrected)))
    return effects, left


def proportion_effects(studies: list[Study], zero_cell: str) -> tuple[list[Effect], list[tuple[Study, str]]]:
    """Logit proportions of single arms: y = log(x / (n - x)), v = 1/x + 1/(n - x) (statsmodels has no one-sample
    logit effect size); with 0 or n events the zero-cell number (0.5 unless set; 'tac' is for two arms) is added
    to both cells."""
    correction = zero_cell_value(zero_cell)
    add = 0.5 if correction == "tac" else correction
    effects, left = [], []
    for s in studies:
        x, n = s.experimental.count, s.experimental.denominator
        if n == 0:
            left.append((s, "nobody at risk"))
            continue
        corrected = _zero_or_full(x, n)
        if corrected and add is None:
            left.append((s, f"{x}/{n}: a zero cell and no zero-cell correction (--zero-cell none)"))
            continue
        a = x + (add if corrected else 0.0)
        b = n - x + (add if corrected else 0.0)
        effects.append(Effect(s, math.log(a / b), 1 / a + 1 / b, corrected))
    return effects, left
