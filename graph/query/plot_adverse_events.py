"""The adverse-events plot: bars of subjects affected by event term and grade, one bar per trial arm, split into pages."""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.figure import Figure

from msckg.graph.query.plot_common import (ROLE_ORDER, ROLE_PALETTES, WIDTH, AnswerRow, PlotResult, iri_tail, left_out_caption,
                                           new_figure, page_paths, paginate, query_name, require_columns, wrap)

PAGE_BARS = 36  # bars on one page of the adverse-event chart


def _filter_title(rows) -> str:
    first = AnswerRow(rows.variables, rows.rows[0])
    parts = []
    cls = first.text("class_label") or iri_tail(first.value("class"))
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
    name = query_name(query)
    require_columns(rows, name, "term", "affected")
    items, left_out = [], []
    for raw in rows.rows:
        r = AnswerRow(rows.variables, raw)
        trial = r.text("trial_label") or iri_tail(r.value("trial")) or "trial not stated"
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
    pages = paginate(ordered, PAGE_BARS, len)
    title = _filter_title(rows)
    result = PlotResult(left_out=left_out, drawn=len(items))
    caption = left_out_caption(left_out)
    top = max(it["value"] for it in items)
    for number, page in enumerate(pages, 1):
        result.figures.append(_bar_page(page, series, title + (f" (page {number} of {len(pages)})" if len(pages) > 1 else ""),
                                        as_percent, top, caption))
    if path is not None:
        result.files = page_paths(Path(path), len(result.figures))
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
    fig = new_figure(WIDTH, min(7.5, 1.9 + 0.22 * bars + 0.2 * len(page) + 0.2 * legend_rows + (0.3 if caption else 0)))
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
