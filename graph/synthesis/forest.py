"""Forest plots of a pooled analysis and of its leave-one-out sensitivity (matplotlib's Agg canvas; .png .svg .pdf).

A row per trial (name, n/N per arm, effect with 95% CI as a square sized by weight, the numbers, the weight),
the pooled diamonds for random and fixed effects, the prediction interval, and the heterogeneity line; ratios
on a log scale. Drawn large enough to stay legible on a slide."""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from scipy.special import expit

from .analysis import Result, Synthesis
from .report import METHOD_SHORT, title
from .spec import MEASURES

ABBREVIATION = {"rr": "RR", "or": "OR", "rd": "RD"}
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
FONT = 12
BLUE, DIAMOND, GREY = "#1f4e79", "#c0392b", "#7f7f7f"


def _log_ticks(ax) -> None:
    """Readable ticks on a log axis: the round values (0.1, 0.2, 0.5, 1, 2, ...) within its limits, a few more
    (0.3, 0.7, ...) when the range is narrow."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    lo, hi = ax.get_xlim()
    decades = [10.0 ** e for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1)]
    span = math.log10(hi / lo)
    steps = (1,) if span > 2.5 else (1, 2, 5) if span > 1.2 else (1, 1.5, 2, 3, 5, 7)
    ticks = sorted({d * m for d in decades for m in steps if lo <= d * m <= hi}
                   | ({0.5, 2.0} & {t for t in (0.5, 2.0) if lo <= t <= hi} if span > 2.5 else set()))
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _check(path: Path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot write a plot to {path}: use .png, .svg or .pdf")
    return fmt


def _sections(result: Result) -> list[tuple[Synthesis, bool]]:
    return [(syn, unc) for syn, unc in ((result.comparison, False), (result.uncontrolled, True)) if syn.effects]


def _transform(result: Result, uncontrolled: bool):
    if uncontrolled:
        return lambda x: float(expit(x))
    return result.scale


def _number(result: Result, x: float, uncontrolled: bool) -> str:
    return f"{x:.3f}" if uncontrolled or not result.ratio else f"{x:.2f}"


def _save(fig: Figure, path: Path) -> list[Path]:
    fmt = _check(path)
    FigureCanvasAgg(fig)
    fig.savefig(path, format=fmt, dpi=150, bbox_inches="tight")
    return [Path(path)]


def _axis(result: Result, uncontrolled: bool) -> tuple[str, bool, float | None]:
    """(x label, log scale, reference line) for a section."""
    if uncontrolled:
        return "Proportion with the event (uncontrolled, logit-pooled)" if result.spec.kind == "adverse-event" \
            else "Proportion responding (uncontrolled, logit-pooled)", False, None
    name = MEASURES[result.spec.measure]
    if result.ratio:
        return f"{name.capitalize()} (log scale): < 1 lower in the experimental arm", True, 1.0
    return f"{name.capitalize()}: < 0 lower in the experimental arm", False, 0.0


def _rows(result: Result, syn: Synthesis, uncontrolled: bool) -> list[dict]:
    """Everything each line of the section shows, top to bottom."""
    back = _transform(result, uncontrolled)
    primary = syn.primary
    weights = syn.pooled[primary].weights if primary in syn.pooled else [100.0] * syn.k
    lines = []
    for e, w in zip(syn.effects, weights):
        lo, hi = e.ci()
        s = e.study
        lines.append({"kind": "study", "label": s.label + (" *" if e.corrected else ""),
                      "exp": f"{s.experimental.count}/{s.experimental.denominator}",
                      "ctl": "" if uncontrolled else f"{s.control.count}/{s.control.denominator}",
                      "est": back(e.y), "lo": back(lo), "hi": back(hi), "weight": w})
    for m in [primary] + [m for m in ("fixed",) if m != primary]:
        p = syn.pooled.get(m)
        if p is None or syn.k < 2:
            continue
        lines.append({"kind": "pooled", "label": METHOD_SHORT[m], "exp": "", "ctl": "",
                      "est": back(p.estimate), "lo": back(p.ci_low), "hi": back(p.ci_high), "weight": 100.0,
                      "method": m})
        if m != "fixed" and p.pi_low is not None:
            lines.append({"kind": "prediction", "label": "95% prediction interval", "exp": "", "ctl": "",
                          "est": back(p.estimate), "lo": back(p.pi_low), "hi": back(p.pi_high), "weight": None})
    return lines


def _heterogeneity(syn: Synthesis) -> str:
    p = syn.pooled.get(syn.primary) or syn.pooled.get("fixed")
    if p is None or p.k < 2:
        return "One trial: nothing pooled"
    pq = "p < 0.001" if p.p_q < 0.001 else f"p = {p.p_q:.3f}"
    text = (f"Heterogeneity ({METHOD_SHORT[syn.primary].split(', ')[-1]}): τ² = {p.tau2:.3f}; I² = {p.i2:.0f}%; "
            f"Q = {p.q:.2f} (df = {p.df}), {pq}")
    return text + ("; no prediction interval with 2 trials" if p.k == 2 and syn.primary != "fixed" else "")


def _footnote(result: Result) -> str:
    """What the reader of the plot must know about the counts (bounds, zero cells)."""
    how = {"max": "several event terms in one arm: the largest single term (a lower bound on subjects with any)",
           "sum": "several event terms in one arm: their sum (an upper bound, as if no subject had two)"}
    return how.get(result.spec.combine, "")


def forest_plot(result: Result, path: Path) -> list[Path]:
    """Write the forest plot of an analysis (comparison, and the uncontrolled section when there is one)."""
    _check(path)
    sections = _sections(result)
    if not sections:
        raise ValueError("nothing to plot: no trial could be pooled (see the lines the analysis printed)")
    blocks = [(syn, unc, _rows(result, syn, unc)) for syn, unc in sections]
    n = sum(len(b[2]) + 4 for b in blocks)
    height = 1.4 + 0.42 * n
    fig = Figure(figsize=(13, height))
    heights = [len(b[2]) + (5 if b[1] else 4) for b in blocks]
    grid = fig.add_gridspec(len(blocks), 3, width_ratios=[4.6, 5.0, 3.6], height_ratios=heights, wspace=0.02,
                            hspace=0.35, top=1 - 0.7 / height, bottom=0.9 / height)
    fig.text(0.125, 1 - 0.3 / height, title(result), fontsize=FONT + 3, fontweight="bold", ha="left", va="top")
    for b, (syn, unc, rows) in enumerate(blocks):
        _section(fig, grid, b, result, syn, unc, rows)
    return _save(fig, path)


def _section(fig, grid, b, result, syn, unc, rows) -> None:
    left, mid, right = (fig.add_subplot(grid[b, i]) for i in range(3))
    top = len(rows) + (2.3 if unc else 1.5)
    for ax in (left, right):
        ax.set_xlim(0, 1)
        ax.set_ylim(-2.4, top)
        ax.axis("off")
    mid.set_ylim(-2.4, top)
    header_y = len(rows) + 0.6
    if unc:
        left.text(0, header_y + 0.85, "UNCONTROLLED: single-arm proportions, not a comparison", fontsize=FONT + 1,
                  fontweight="bold", color=DIAMOND, va="center")
    left.text(0, header_y, "Trial", fontsize=FONT, fontweight="bold", va="center")
    left.text(0.66, header_y, "Events/N" if unc else "Exp. n/N", fontsize=FONT, fontweight="bold", ha="right", va="center")
    if not unc:
        left.text(0.98, header_y, "Ctl. n/N", fontsize=FONT, fontweight="bold", ha="right", va="center")
    measure = "Prop." if unc else ABBREVIATION[result.spec.measure]
    right.text(0.02, header_y, f"{measure} [95% CI]", fontsize=FONT, fontweight="bold", va="center")
    right.text(0.98, header_y, "Weight", fontsize=FONT, fontweight="bold", ha="right", va="center")
    xlabel, log, ref = _axis(result, unc)
    values = [v for r in rows for v in (r["lo"], r["hi"]) if v is not None and (not log or v > 0)]
    lo, hi = min(values), max(values)
    if log:
        lo, hi = min(lo, 1.0), max(hi, 1.0)
        pad = (math.log(hi) - math.log(lo)) * 0.08 or 0.3
        mid.set_xscale("log")
        mid.set_xlim(math.exp(math.log(lo) - pad), math.exp(math.log(hi) + pad))
    else:
        if ref is not None:
            lo, hi = min(lo, ref), max(hi, ref)
        pad = (hi - lo) * 0.08 or 0.05
        mid.set_xlim(max(0.0, lo - pad) if unc else lo - pad, min(1.0, hi + pad) if unc else hi + pad)
    max_w = max([r["weight"] for r in rows if r["kind"] == "study" and r["weight"]] or [1.0])
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        bold = "bold" if r["kind"] == "pooled" else "normal"
        colour = GREY if r["kind"] == "prediction" else "black"
        left.text(0, y, r["label"], fontsize=FONT, va="center", fontweight=bold, color=colour)
        left.text(0.66, y, r["exp"], fontsize=FONT, va="center", ha="right")
        left.text(0.98, y, r["ctl"], fontsize=FONT, va="center", ha="right")
        num = _number(result, r["est"], unc)
        right.text(0.02, y, f"{num} [{_number(result, r['lo'], unc)}, {_number(result, r['hi'], unc)}]",
                   fontsize=FONT, va="center", fontweight=bold, color=colour)
        if r["weight"] is not None and r["kind"] == "study":
            right.text(0.98, y, f"{r['weight']:.1f}%", fontsize=FONT, va="center", ha="right")
        if r["kind"] == "study":
            mid.plot([r["lo"], r["hi"]], [y, y], color=BLUE, lw=1.6)
            size = 5 + 11 * math.sqrt((r["weight"] or 0) / max_w)
            mid.plot([r["est"]], [y], marker="s", ms=size, color=BLUE, mec=BLUE)
        elif r["kind"] == "pooled":
            fill = DIAMOND if r.get("method") != "fixed" else "white"
            mid.add_patch(Polygon([(r["lo"], y), (r["est"], y + 0.3), (r["hi"], y), (r["est"], y - 0.3)],
                                  closed=True, facecolor=fill, edgecolor=DIAMOND, lw=1.5))
        else:
            mid.plot([r["lo"], r["hi"]], [y, y], color=GREY, lw=3, solid_capstyle="butt")
            mid.plot([r["lo"], r["hi"]], [y, y], marker="|", ms=14, color=GREY, lw=0)
    span = (-0.5, len(rows) - 0.5)
    if ref is not None:
        mid.plot([ref, ref], span, color="black", lw=1)
    pooled = next((r for r in rows if r["kind"] == "pooled"), None)
    if pooled is not None:
        mid.plot([pooled["est"]] * 2, span, color=DIAMOND, lw=1, ls=":")
    mid.set_yticks([])
    mid.patch.set_alpha(0)  # the heterogeneity line, written from the left column, runs under this axis
    for side in ("left", "right", "top"):
        mid.spines[side].set_visible(False)
    mid.tick_params(axis="x", labelsize=FONT)
    mid.set_xlabel(xlabel, fontsize=FONT)
    if log:
        _log_ticks(mid)
    left.text(0, -1.6, _heterogeneity(syn), fontsize=FONT, va="center", zorder=5)
    left.set_zorder(mid.get_zorder() + 1)
    if _footnote(result):
        left.text(0, -2.1, _footnote(result), fontsize=FONT - 1, va="center", color=GREY, zorder=5)
    if any(r["label"].endswith(" *") for r in rows):
        right.text(0.02, -1.6, f"* zero-cell correction ({result.spec.zero_cell})", fontsize=FONT - 1, va="center", color=GREY)


def loo_plot(result: Result, path: Path) -> list[Path]:
    """Write the leave-one-out plot: the pooled estimate with each trial left out, beside the full estimate."""
    _check(path)
    sections = [(syn, unc) for syn, unc in _sections(result) if syn.loo]
    if not sections:
        raise ValueError("leave-one-out needs at least 3 pooled trials")
    syn, unc = sections[0]
    back = _transform(result, unc)
    full = syn.pooled[syn.primary]
    n = syn.k + 2
    fig = Figure(figsize=(11, 1.6 + 0.42 * n))
    grid = fig.add_gridspec(1, 2, width_ratios=[3.5, 6.0], wspace=0.02)
    left, ax = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    left.axis("off")
    left.set_xlim(0, 1)
    for a in (left, ax):
        a.set_ylim(-1.5, n)
    rows = [(f"without {e.study.label}", p) for e, p in zip(syn.effects, syn.loo)] + [("all trials", full)]
    for i, (label, p) in enumerate(rows):
        y = n - 1.5 - i - (1 if label == "all trials" else 0)
        lo, hi, est = back(p.ci_low), back(p.ci_high), back(p.estimate)
        left.text(0, y, f"{label}", fontsize=FONT, va="center", fontweight="bold" if label == "all trials" else "normal")
        colour = DIAMOND if label == "all trials" else BLUE
        ax.plot([lo, hi], [y, y], color=colour, lw=1.6)
        ax.plot([est], [y], marker="D" if label == "all trials" else "s", ms=8, color=colour)
        ax.text(1.01, y, f"{_number(result, est, unc)} [{_number(result, lo, unc)}, {_number(result, hi, unc)}]  "
                f"I² {p.i2:.0f}%", transform=ax.get_yaxis_transform(), fontsize=FONT - 1, va="center")
    xlabel, log, ref = _axis(result, unc)
    if log:
        ax.set_xscale("log")
        lows = [back(p.ci_low) for _, p in rows] + [1.0]
        highs = [back(p.ci_high) for _, p in rows] + [1.0]
        ax.set_xlim(min(lows) / 1.15, max(highs) * 1.15)
        _log_ticks(ax)
    if ref is not None:
        ax.axvline(ref, color="black", lw=1)
    ax.axvline(back(full.estimate), color=DIAMOND, lw=1, ls=":")
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=FONT)
    ax.set_xlabel(xlabel, fontsize=FONT)
    fig.suptitle(f"Leave-one-out ({METHOD_SHORT[syn.primary]}): {title(result)}", fontsize=FONT + 2,
                 fontweight="bold", x=0.02, ha="left")
    return _save(fig, path)
