"""Plots of saved-query answers (`msckg ask NAME --plot FILE.png`).

Two queries have a plot (tagged `plot` in their header):

- response-rates: a forest plot of each reported response proportion with its 95% Wilson score
  interval, computed here from responders / denominator, one line per trial, arm and result;
- adverse-events: a grouped bar chart of subjects affected (as % of those at risk when every row
  states it, else as counts) by event term and grade, one bar per trial arm.

Figures are drawn with matplotlib's Agg canvas directly (no pyplot, no global backend state), and
every label on the axes comes from the rows. `plot_rows` returns the Figure so callers and tests
can inspect it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from rdflib import Literal

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float, float]:
    """(proportion, lower, upper) of the Wilson score interval for successes out of n (all in 0..1)."""
    if n <= 0:
        raise ValueError(f"a proportion needs a positive denominator, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"responders ({successes}) must lie between 0 and the denominator ({n})")
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    lower = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends, no float noise
    upper = 1.0 if successes == n else min(1.0, centre + half)
    return p, lower, upper


# ---------------------------------------------------------------------------------------------
# helpers


def _name(query) -> str:
    return getattr(query, "name", None) or str(query)


def _column(rows, name: str) -> int | None:
    try:
        return rows.variables.index(name)
    except ValueError:
        return None


def _value(row, index: int | None):
    if index is None:
        return None
    term = row[index]
    if term is None:
        return None
    if isinstance(term, Literal):
        return term.toPython()
    return term


def _number(row, index: int | None) -> float | None:
    v = _value(row, index)
    if v is None or isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _text(row, index: int | None) -> str | None:
    v = _value(row, index)
    if v is None:
        return None
    return str(v) if str(v) != "" else None


def _tail(term) -> str | None:
    """The readable end of an IRI (registry ID of a trial IRI, slug of an arm IRI)."""
    if term is None:
        return None
    return str(term).rstrip("/").rsplit("/", 1)[-1]


def _clip(text: str, limit: int) -> str:
    """Text cut to `limit` characters, with an ellipsis when cut (long labels squeeze the axes away)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _require(rows, query_name: str, *columns: str) -> None:
    missing = [c for c in columns if c not in rows.variables]
    if missing:
        raise ValueError(f"cannot plot '{query_name}': the rows lack column(s) {', '.join(missing)}")


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


# ---------------------------------------------------------------------------------------------
# response-rates: forest plot with Wilson intervals


def plot_response_rates(query, rows, path: Path | str | None = None) -> Figure:
    """Forest plot: one line per trial, arm and response result, proportion with its 95% Wilson CI."""
    name = _name(query)
    _require(rows, name, "trial", "responders", "denominator")
    i_trial, i_x, i_n = _column(rows, "trial"), _column(rows, "responders"), _column(rows, "denominator")
    i_group, i_group_label = _column(rows, "arm_or_population"), _column(rows, "group_label")
    i_pop, i_pop_label = _column(rows, "population"), _column(rows, "population_label")
    i_outcome, i_timepoint, i_source = _column(rows, "outcome_label"), _column(rows, "timepoint"), _column(rows, "source")

    items, left_out = [], 0
    for row in rows.rows:
        x, n = _number(row, i_x), _number(row, i_n)
        if x is None or n is None or n <= 0 or not 0 <= x <= n:
            left_out += 1  # a percentage alone has no interval: said in the title, not dropped silently
            continue
        p, lo, hi = wilson_interval(x, n)
        trial = _tail(_value(row, i_trial)) or "trial ?"
        group = _clip(_text(row, i_group_label) or _tail(_value(row, i_group)) or "all", 38)
        population = _text(row, i_pop_label) or _tail(_value(row, i_pop))
        if population and not (_text(row, i_group_label) or "").startswith(population):  # a subgroup within an arm
            group = f"{group} · {_clip(population, 30)}"
        outcome = _text(row, i_outcome) or "response"
        tp = _text(row, i_timepoint)
        label = f"{trial} · {group} · {_clip(outcome, 40)}" + (f" ({_clip(tp, 28)})" if tp and tp.lower() not in outcome.lower() else "")
        items.append({"label": label, "outcome": outcome, "source": _tail(_value(row, i_source)), "p": p, "lo": lo,
                      "hi": hi, "x": int(x), "n": int(n)})
    if not items:
        raise ValueError(f"nothing to plot for '{name}': no row has responders and a positive denominator")
    # the same trial/arm/outcome from two documents: say which document each line is from
    counts: dict[str, int] = {}
    for it in items:
        counts[it["label"]] = counts.get(it["label"], 0) + 1
    for it in items:
        if counts[it["label"]] > 1 and it["source"]:
            it["label"] += f" [{it['source']}]"

    n_items = len(items)
    widest = max(len(it["label"]) for it in items)
    fig = _new_figure(max(10.0, 7.5 + 0.065 * widest), 1.8 + 0.32 * n_items)
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(n_items, 0, -1))
    for y, it in zip(ys, items):
        below, above = max(0.0, it["p"] - it["lo"]), max(0.0, it["hi"] - it["p"])  # float noise at 0 and 1
        ax.errorbar(100 * it["p"], y, xerr=[[100 * below], [100 * above]],
                    fmt="s", color="tab:blue", ecolor="tab:blue", capsize=3, markersize=5)
    ax.set_yticks(ys, [it["label"] for it in items], fontsize=8)
    ax.set_ylim(0.4, n_items + 0.6)
    ax.set_xlim(0, 100)
    # the numbers behind each line, as right-hand tick labels
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks(ys, [f"{it['x']}/{it['n']}  {100 * it['p']:.1f}% ({100 * it['lo']:.1f}–{100 * it['hi']:.1f})"
                          for it in items], fontsize=8)
    outcomes = sorted({it["outcome"] for it in items})
    what = outcomes[0] if len(outcomes) == 1 else "responders"
    ax.set_xlabel(f"{what}: % of denominator with 95% Wilson score interval")
    title = "Response rates by trial and arm"
    if left_out:
        title += f" ({left_out} result(s) without responders and denominator not shown)"
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", linestyle=":", alpha=0.6)
    if path is not None:
        fig.savefig(path)
    return fig


# ---------------------------------------------------------------------------------------------
# adverse-events: grouped bar chart


def plot_adverse_events(query, rows, path: Path | str | None = None) -> Figure:
    """Grouped bars: subjects affected (% of at risk, or counts) by term and grade, one bar per trial arm."""
    name = _name(query)
    _require(rows, name, "trial", "term", "affected")
    i_trial, i_term, i_affected = _column(rows, "trial"), _column(rows, "term"), _column(rows, "affected")
    i_at_risk, i_grade = _column(rows, "at_risk"), _column(rows, "grade")
    i_arm, i_arm_label, i_source = _column(rows, "arm"), _column(rows, "arm_label"), _column(rows, "source")

    items = []
    for row in rows.rows:
        affected = _number(row, i_affected)
        if affected is None:
            continue
        term = _clip(_text(row, i_term) or "(term not stated)", 50)
        grade = _text(row, i_grade)
        category = f"{term} (grade {grade})" if grade else term
        trial = _tail(_value(row, i_trial)) or "trial ?"
        arm = _clip(_text(row, i_arm_label) or _tail(_value(row, i_arm)) or "whole trial", 45)
        items.append({"category": category, "series": f"{trial} · {arm}", "source": _tail(_value(row, i_source)),
                      "affected": affected, "at_risk": _number(row, i_at_risk)})
    if not items:
        raise ValueError(f"nothing to plot for '{name}': no row states how many subjects were affected")
    # two documents giving the same term and arm: keep both bars, named by document
    seen: dict[tuple[str, str], int] = {}
    for it in items:
        seen[(it["category"], it["series"])] = seen.get((it["category"], it["series"]), 0) + 1
    if any(v > 1 for v in seen.values()):
        for it in items:
            if it["source"]:
                it["series"] += f" [{it['source']}]"

    as_percent = all(it["at_risk"] and it["at_risk"] > 0 for it in items)
    for it in items:
        it["value"] = 100 * it["affected"] / it["at_risk"] if as_percent else it["affected"]

    categories = list(OrderedDict.fromkeys(sorted((it["category"] for it in items), key=str.lower)))
    series = list(OrderedDict.fromkeys(sorted(it["series"] for it in items)))
    values = {(it["category"], it["series"]): it["value"] for it in items}
    colour = _colours(len(series))

    # horizontal groups, one per term and grade, holding a bar for each arm that reports it
    n_bars = len(values)
    legend_lines = len(series) if len(series) <= 3 else (len(series) + 1) // 2
    fig = _new_figure(11, 2.2 + 0.28 * n_bars + 0.25 * len(categories) + 0.18 * legend_lines)
    ax = fig.add_subplot(1, 1, 1)
    centres, labelled = [], set()
    for c, cat in enumerate(categories):
        present = [s for s in series if (cat, s) in values]
        height = 0.8 / len(present)
        centre = -c
        centres.append(centre)
        for j, s in enumerate(present):
            y = centre + 0.4 - height * (j + 0.5)
            k = series.index(s)
            v = values[(cat, s)]
            ax.barh(y, v, height=height * 0.92, color=colour(k), label=None if s in labelled else s)
            labelled.add(s)
            ax.annotate(f"{v:.1f}%" if as_percent else f"{v:g}", xy=(v, y), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=7)
    ax.set_yticks(centres, categories, fontsize=8)
    ax.set_ylabel("adverse event as printed (grade)")
    ax.set_xlabel("% of subjects at risk affected" if as_percent else "subjects affected")
    ax.set_xlim(0, max(values.values()) * 1.15 or 1)
    ax.set_title("Adverse events by term and arm", fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: series.index(labels[i]))
    fig.legend([handles[i] for i in order], [labels[i] for i in order], fontsize=7, title="trial · arm",
               title_fontsize=8, loc="outside lower center", ncols=2 if len(series) > 3 else 1)
    ax.grid(axis="x", linestyle=":", alpha=0.6)
    if path is not None:
        fig.savefig(path)
    return fig


def _colours(n: int):
    from matplotlib import colormaps

    cmap = colormaps["tab20" if n > 10 else "tab10"]
    return lambda k: cmap(k % cmap.N)


# ---------------------------------------------------------------------------------------------

PLOTTERS: dict[str, Callable] = {
    "response-rates": plot_response_rates,
    "adverse-events": plot_adverse_events,
}


def plot_rows(query, rows, path: Path | str) -> Figure:
    """Draw the answer of a saved query to a PNG at `path` and return the matplotlib Figure.

    Raises ValueError naming the query when it has no plot (only queries tagged 'plot' have one)
    or when its rows hold nothing to draw.
    """
    name = _name(query)
    tags = getattr(query, "tags", None)
    plotter = PLOTTERS.get(name)
    if plotter is None or (tags is not None and "plot" not in tags):
        raise ValueError(f"query '{name}' has no plot; queries with a plot (tag 'plot'): {', '.join(sorted(PLOTTERS))}")
    if not rows.rows:
        raise ValueError(f"nothing to plot for '{name}': the query returned no rows")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"plots are written as PNG: give a file name ending in .png, not '{path.name}'")
    return plotter(query, rows, path)
