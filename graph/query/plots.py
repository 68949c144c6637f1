"""Plots of saved-query answers (`msckg ask NAME --plot FILE.png|.svg|.pdf`), made to be put on a slide.

Two queries have a plot (tagged `plot` in their header):

- response-rates: a forest plot. Rows are grouped by trial and outcome under a header line, sorted
  within each group (experimental arms first, then control arms), coloured by arm role, each
  proportion with its 95% Wilson score interval computed from responders / denominator; a result
  printed as a percentage without counts is a hollow point without an interval. Labels are
  wrapped at word boundaries, never cut. Long answers are split into pages (FILE-1.png, FILE-2.png,
  ...) of a readable size, and the caption says which rows were left out and why.
- adverse-events: horizontal bars of subjects affected (% of those at risk when every row states
  it, else counts) by event term and grade, one bar per trial arm, the experimental arm first,
  n/N printed on each bar, the x axis at the top and the bottom, and the query's filter (class,
  lowest grade, serious only) in the title; split into pages like the forest plot.

Figures are drawn with matplotlib's Agg canvas directly (no pyplot, no global backend state), and
every label comes from the rows. `plot_rows` returns a PlotResult: the files written, the figures,
how many rows were drawn and which were left out.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory
from rdflib import Literal

Z95 = 1.959963984540054  # two-sided 95% normal quantile
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
PAGE_LINES = 30  # lines (rows and group headers) on one page of a forest plot
PAGE_BARS = 36  # bars on one page of the adverse-event chart
WIDTH = 11.0  # inches: a 16:9 slide at 100 dpi is 13.3 x 7.5
ROLE_COLOURS = {"experimental": "#1f5fa8", "control": "#d9731a", "arm": "#555555"}
# bars of several arms with one role: shades of the role's colour, in the order the arms are listed
ROLE_PALETTES = {"experimental": ["#1f5fa8", "#7fb2e5", "#0b2f5c", "#4a90d9", "#b9d4f0"],
                 "control": ["#d9731a", "#f5b77a", "#8c4308", "#e8923f"],
                 "arm": ["#555555", "#9a9a9a", "#7b4ea3", "#2e8b57", "#b3a2c8"]}
ROLE_ORDER = {"experimental": 0, "arm": 1, "control": 2}
LABEL_WRAP = 42  # characters per line of a row label
HEADER_WRAP = 90


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


@dataclass
class PlotResult:
    """What a plot wrote: files (one per page), the figures, rows drawn, rows left out with the reason."""

    files: list[Path] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    drawn: int = 0
    left_out: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# helpers


def _name(query) -> str:
    return getattr(query, "name", None) or str(query)


class _Row:
    """One answer row read by column name (absent columns and unbound values are None)."""

    def __init__(self, variables: list[str], row: tuple):
        self._values = dict(zip(variables, row))

    def value(self, name: str):
        term = self._values.get(name)
        if term is None:
            return None
        return term.toPython() if isinstance(term, Literal) else term

    def number(self, name: str) -> float | None:
        v = self.value(name)
        if v is None or isinstance(v, bool):
            return None
        try:
            return float(v)
        except (TypeError, ValueError):
            return None

    def text(self, name: str) -> str | None:
        v = self.value(name)
        return None if v is None or str(v) == "" else str(v)


def _tail(term) -> str | None:
    """The readable end of an IRI (registry ID of a trial IRI, slug of an arm IRI)."""
    return None if term is None else str(term).rstrip("/").rsplit("/", 1)[-1]


def wrap(text: str, width: int) -> str:
    """Text wrapped at word boundaries (a word longer than the width stays whole)."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text


def _require(rows, query_name: str, *columns: str) -> None:
    missing = [c for c in columns if c not in rows.variables]
    if missing:
        raise ValueError(f"cannot plot '{query_name}': the rows lack column(s) {', '.join(missing)}")


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _page_paths(path: Path, pages: int) -> list[Path]:
    if pages == 1:
        return [path]
    return [path.with_name(f"{path.stem}-{i}{path.suffix}") for i in range(1, pages + 1)]


def _caption(left_out: list[str], limit: int = 4) -> str:
    if not left_out:
        return ""
    shown = "; ".join(left_out[:limit]) + (f"; and {len(left_out) - limit} more" if len(left_out) > limit else "")
    return wrap(f"Not shown ({len(left_out)}): {shown}", 150)


def _paginate(groups: list[tuple[str, list]], page_size: int, cost: Callable[[list], int]) -> list[list[tuple[str, list]]]:
    """Groups split over pages of at most page_size lines; a group is not split unless it alone is too long."""
    pages: list[list[tuple[str, list]]] = [[]]
    used = 0
    for header, items in groups:
        while items:
            room = page_size - used - 1  # the header takes a line
            if room < min(len(items), 3) and pages[-1]:
                pages.append([])
                used, room = 0, page_size - 1
            take = items if cost(items) <= room else items[:max(1, room)]
            pages[-1].append((header, take))
            used += 1 + cost(take)
            items = items[len(take):]
            if items:
                header = header + " (continued)" if not header.endswith("(continued)") else header
    return [p for p in pages if p]


# ---------------------------------------------------------------------------------------------
# response-rates: forest plot with Wilson intervals


def _forest_items(rows) -> tuple[dict, list[str]]:
    groups: dict[tuple, list[dict]] = {}
    left_out: list[str] = []
    for raw in rows.rows:
        r = _Row(rows.variables, raw)
        trial = r.text("trial_label") or _tail(r.value("trial")) or "trial not stated"
        outcome = r.text("outcome_label") or _tail(r.value("outcome")) or "response"
        tp = r.text("timepoint")
        who = r.text("group_label") or r.text("arm_label") or r.text("population_label") or "all patients"
        source = r.text("reported_by") or _tail(r.value("sources")) or ""
        x, n, pct = r.number("responders"), r.number("denominator"), r.number("percent")
        item = {"label": who, "role": r.text("arm_role") or "arm", "source": source,
                "subgroup": r.text("population_label") or ""}
        if x is not None and n is not None and n > 0 and 0 <= x <= n:
            p, lo, hi = wilson_interval(x, n)
            item.update(p=p, lo=lo, hi=hi, numbers=f"{int(x)}/{int(n)}  {100 * p:.1f}% ({100 * lo:.1f}–{100 * hi:.1f})")
        elif pct is not None and 0 <= pct <= 100:
            item.update(p=pct / 100, lo=None, hi=None, numbers=f"{pct:g}% as printed (no counts)")
        else:
            what = f"{int(x)} responders, no denominator" if x is not None else "neither counts nor a percentage"
            left_out.append(f"{trial} {who}, {outcome} ({what}; {source})")
            continue
        header = f"{trial} · {outcome}" + (f", {tp}" if tp and tp.lower() not in outcome.lower() else "")
        groups.setdefault((trial, outcome, tp or ""), []).append(dict(item, header=header))
    return groups, left_out


def plot_response_rates(query, rows, path: Path | None = None) -> PlotResult:
    """Forest plot: rows grouped by trial and outcome, proportion with its 95% Wilson CI, coloured by arm role."""
    name = _name(query)
    _require(rows, name, "responders", "denominator")
    groups, left_out = _forest_items(rows)
    if not groups:
        raise ValueError(f"nothing to plot for '{name}': no row has responders and a denominator, or a percentage")
    ordered = []
    for key in sorted(groups):
        # the arms of one population side by side (experimental first), populations in order
        items = sorted(groups[key], key=lambda it: (it["subgroup"].lower(), ROLE_ORDER.get(it["role"], 1), it["label"].lower(), it["source"]))
        labels = [it["label"] for it in items]
        for it in items:  # the same arm with different values from different documents: say which is which
            if labels.count(it["label"]) > 1 and it["source"]:
                it["label"] = f"{it['label']} ({it['source']})"
        ordered.append((items[0]["header"], items))
    pages = _paginate(ordered, PAGE_LINES, lambda items: sum(wrap(it["label"], LABEL_WRAP).count("\n") // 2 + 1 for it in items))
    result = PlotResult(left_out=left_out, drawn=sum(len(v) for v in groups.values()))
    caption = _caption(left_out)
    for number, page in enumerate(pages, 1):
        title = "Response rates by trial and outcome" + (f" (page {number} of {len(pages)})" if len(pages) > 1 else "")
        result.figures.append(_forest_page(page, title, caption))
    if path is not None:
        result.files = _page_paths(Path(path), len(result.figures))
        for fig, file in zip(result.figures, result.files):
            fig.savefig(file)
    return result


def _forest_page(page, title: str, caption: str) -> Figure:
    lines = []  # (kind, payload) from top to bottom
    for header, items in page:
        lines.append(("header", header))
        lines.extend(("item", it) for it in items)
    heights = [1.0 if kind == "header" else 0.9 + 0.35 * wrap(p["label"], LABEL_WRAP).count("\n") for kind, p in lines]
    total = sum(heights)
    fig = _new_figure(WIDTH, min(7.5, 1.6 + 0.27 * total + 0.16 * caption.count("\n") + (0.3 if caption else 0)))
    ax = fig.add_subplot(1, 1, 1)
    y, ys, labels, numbers = total, [], [], []
    header_at = blended_transform_factory(ax.transAxes, ax.transData)
    roles_seen = set()
    for (kind, payload), h in zip(lines, heights):
        centre = y - h / 2
        if kind == "header":  # a band across the plot, like a table's group heading
            ax.axhspan(y - h, y, color="#eeeeee", zorder=0)
            ax.text(0.005, centre, wrap(payload, HEADER_WRAP), transform=header_at, ha="left", va="center",
                    fontsize=9, fontweight="bold")
        else:
            colour = ROLE_COLOURS.get(payload["role"], ROLE_COLOURS["arm"])
            roles_seen.add(payload["role"])
            point = 100 * payload["p"]
            if payload["lo"] is not None:
                ax.errorbar(point, centre, xerr=[[point - 100 * payload["lo"]], [100 * payload["hi"] - point]],
                            fmt="s", color=colour, ecolor=colour, capsize=3, markersize=5)
            else:  # a printed percentage without counts: a point, no interval
                ax.plot(point, centre, marker="o", markersize=6, markerfacecolor="white", markeredgecolor=colour)
            ys.append(centre)
            labels.append(wrap(payload["label"], LABEL_WRAP))
            numbers.append(payload["numbers"])
        y -= h
    ax.set_yticks(ys, labels, fontsize=8)
    for tick, (kind, payload) in zip(ax.get_yticklabels(), [line for line in lines if line[0] == "item"]):
        tick.set_color(ROLE_COLOURS.get(payload["role"], ROLE_COLOURS["arm"]))
    ax.set_ylim(0, total)
    ax.set_xlim(0, 100)
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks(ys, numbers, fontsize=8)
    ax.set_xlabel("responders, % of denominator, with 95% Wilson score interval\n"
                  "(hollow point: a percentage printed without counts)", fontsize=8)
    ax.set_title(title, fontsize=11, loc="left")
    ax.grid(axis="x", linestyle=":", alpha=0.6)
    handles = [ax.plot([], [], "s", color=ROLE_COLOURS[r], label=f"{r} arm" if r != "arm" else "population or single arm")[0]
               for r in ("experimental", "control", "arm") if r in roles_seen]
    fig.legend(handles=handles, fontsize=8, loc="outside upper right", ncols=len(handles), frameon=False)
    if caption:
        fig.get_layout_engine().set(h_pad=0.1)
        fig.supxlabel(caption, fontsize=7, x=0.01, ha="left")
    return fig


# ---------------------------------------------------------------------------------------------
# adverse-events: bars per term and grade, one per arm


def _filter_title(rows) -> str:
    first = _Row(rows.variables, rows.rows[0])
    parts = []
    cls = first.text("class_label") or _tail(first.value("class"))
    if cls and cls not in ("adverse-event term", "AdverseEventTerm"):
        parts.append(f"class: {cls}")
    grade = first.number("min_grade")
    if grade and grade > 1:
        parts.append(f"grade ≥ {int(grade)}")
    if first.value("serious_only") is True:
        parts.append("serious only")
    return "Adverse events" + (f" — {', '.join(parts)}" if parts else " — all classes, any grade")


def plot_adverse_events(query, rows, path: Path | None = None) -> PlotResult:
    """Bars: subjects affected (% of at risk, or counts) by term and grade, one bar per trial arm, experimental first."""
    name = _name(query)
    _require(rows, name, "term", "affected")
    items, left_out = [], []
    for raw in rows.rows:
        r = _Row(rows.variables, raw)
        trial = r.text("trial_label") or _tail(r.value("trial")) or "trial not stated"
        who = r.text("group_label") or r.text("arm_label") or "whole trial"
        term = r.text("term") or "(term not stated)"
        affected, at_risk = r.number("affected"), r.number("at_risk")
        if affected is None:
            left_out.append(f"{trial} {who}, {term} (no count of subjects affected)")
            continue
        grade = r.text("grade")
        items.append({"category": f"{term} ({_grade_text(grade)})" if grade else term, "trial": trial, "arm": who,
                      "series": f"{trial} · {who}", "role": r.text("arm_role") or "arm",
                      "affected": affected, "at_risk": at_risk})
    if not items:
        raise ValueError(f"nothing to plot for '{name}': no row states how many subjects were affected")
    as_percent = all(it["at_risk"] and it["at_risk"] > 0 for it in items)
    for it in items:
        it["value"] = 100 * it["affected"] / it["at_risk"] if as_percent else it["affected"]
        it["numbers"] = f"{int(it['affected'])}/{int(it['at_risk'])}" if it["at_risk"] else f"{int(it['affected'])}"
    series = sorted({(it["trial"], ROLE_ORDER.get(it["role"], 1), it["series"], it["role"]) for it in items})
    series_index = {s[2]: i for i, s in enumerate(series)}
    groups: dict[str, list[dict]] = {}
    for it in sorted(items, key=lambda it: series_index[it["series"]]):
        groups.setdefault(it["category"], []).append(it)
    ordered = [(cat, groups[cat]) for cat in sorted(groups, key=str.lower)]
    pages = _paginate(ordered, PAGE_BARS, len)
    title = _filter_title(rows)
    result = PlotResult(left_out=left_out, drawn=len(items))
    caption = _caption(left_out)
    top = max(it["value"] for it in items)
    for number, page in enumerate(pages, 1):
        result.figures.append(_bar_page(page, series, title + (f" (page {number} of {len(pages)})" if len(pages) > 1 else ""),
                                        as_percent, top, caption))
    if path is not None:
        result.files = _page_paths(Path(path), len(result.figures))
        for fig, file in zip(result.figures, result.files):
            fig.savefig(file)
    return result


def _series_colours(series) -> dict[str, str]:
    """A colour per bar series: its role's palette, taken in the order the series are listed."""
    used: dict[str, int] = {}
    out = {}
    for _trial, _order, name, role in series:
        palette = ROLE_PALETTES.get(role, ROLE_PALETTES["arm"])
        out[name] = palette[used.get(role, 0) % len(palette)]
        used[role] = used.get(role, 0) + 1
    return out


def _grade_text(grade: str | None) -> str:
    return "any grade" if grade in ("any", "1-5") else f"grade {grade}"


def _bar_page(page, series, title: str, as_percent: bool, top: float, caption: str) -> Figure:
    colours = _series_colours(series)
    bars = sum(len(items) for _, items in page)
    legend_rows = math.ceil(len({it["series"] for _, items in page for it in items}) / 2)
    fig = _new_figure(WIDTH, min(7.5, 1.9 + 0.22 * bars + 0.2 * len(page) + 0.2 * legend_rows + (0.3 if caption else 0)))
    ax = fig.add_subplot(1, 1, 1)
    centres, names, y, seen = [], [], 0.0, {}
    for category, items in page:
        height = 0.8 / len(items)
        block = len(items) * height
        for j, it in enumerate(items):
            bar_y = y - height * (j + 0.5)
            colour = colours[it["series"]]
            label = it["series"] if it["series"] not in seen else None
            seen[it["series"]] = colour
            ax.barh(bar_y, it["value"], height=height * 0.9, color=colour, label=label)
            ax.annotate(it["numbers"], xy=(it["value"], bar_y), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=7)
        centres.append(y - block / 2)
        names.append(wrap(category, 48))
        y -= block + 0.35
    ax.set_yticks(centres, names, fontsize=8)
    ax.set_ylim(y + 0.2, 0.15)
    ax.set_xlim(0, (top * 1.18) or 1)
    ax.xaxis.set_ticks_position("both")
    ax.tick_params(axis="x", labeltop=True, labelbottom=True, labelsize=8)
    what = "% of subjects at risk affected (n/N on each bar)" if as_percent else "subjects affected"
    ax.set_xlabel(what, fontsize=9)
    ax.set_title(wrap(title, 110), fontsize=11, loc="left")
    ax.grid(axis="x", linestyle=":", alpha=0.6)
    ordered = [s[2] for s in series if s[2] in seen]
    handles, labels = ax.get_legend_handles_labels()
    by_label = dict(zip(labels, handles))
    fig.legend([by_label[s] for s in ordered], ordered, fontsize=7, title="trial · arm (experimental first)",
               title_fontsize=8, loc="outside lower center", ncols=2 if len(ordered) > 1 else 1)
    if caption:
        fig.supxlabel(caption, fontsize=7, x=0.01, ha="left")
    return fig


# ---------------------------------------------------------------------------------------------

PLOTTERS: dict[str, Callable] = {
    "response-rates": plot_response_rates,
    "adverse-events": plot_adverse_events,
}


def check_plot_path(query, path: Path | str) -> Path:
    """The path a plot will be written to, checked before any query runs (suffix, folder, the query has a plot)."""
    name = _name(query)
    tags = getattr(query, "tags", None)
    if PLOTTERS.get(name) is None or (tags is not None and "plot" not in tags):
        raise ValueError(f"query '{name}' has no plot; queries with a plot (tag 'plot'): {', '.join(sorted(PLOTTERS))}")
    path = Path(path)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise ValueError(f"plots are written as {', '.join(PLOT_SUFFIXES)}: give a file name ending in one of them, not '{path.name}'")
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(f"cannot write the plot '{path}': the folder '{folder}' does not exist")
    return path


def plot_rows(query, rows, path: Path | str) -> PlotResult:
    """Draw the answer of a saved query to `path` (.png, .svg or .pdf; several pages as path-1, path-2, ...).

    Raises ValueError naming the query when it has no plot (only queries tagged 'plot' have one),
    when the path cannot be written, or when its rows hold nothing to draw.
    """
    path = check_plot_path(query, path)
    if not rows.rows:
        raise ValueError(f"nothing to plot for '{_name(query)}': the query returned no rows")
    return PLOTTERS[_name(query)](query, rows, path)
