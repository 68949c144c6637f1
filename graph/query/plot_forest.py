"""The response-rates plot: a forest plot of proportions with 95% Wilson score intervals, grouped by trial and outcome."""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from msckg.graph.query.plot_common import (ROLE_COLOURS, ROLE_ORDER, WIDTH, AnswerRow, PlotResult, iri_tail, left_out_caption, new_figure,
                                           page_paths, paginate, query_name, require_columns, wrap)

Z95 = 1.959963984540054  # two-sided 95% normal quantile
PAGE_LINES = 30  # lines (rows and group headers) on one page of a forest plot
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



def _forest_items(rows) -> tuple[dict, list[str]]:
    groups: dict[tuple, list[dict]] = {}
    left_out: list[str] = []
    for raw in rows.rows:
        r = AnswerRow(rows.variables, raw)
        trial = r.text("trial_label") or iri_tail(r.value("trial")) or "trial not stated"
        outcome = r.text("outcome_label") or iri_tail(r.value("outcome")) or "response"
        tp = r.text("timepoint")
        who = r.text("group_label") or r.text("arm_label") or r.text("population_label") or "all patients"
        source = r.text("reported_by") or iri_tail(r.value("sources")) or ""
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
    name = query_name(query)
    require_columns(rows, name, "responders", "denominator")
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
    pages = paginate(ordered, PAGE_LINES, lambda items: sum(wrap(it["label"], LABEL_WRAP).count("\n") // 2 + 1 for it in items))
    result = PlotResult(left_out=left_out, drawn=sum(len(v) for v in groups.values()))
    caption = left_out_caption(left_out)
    for number, page in enumerate(pages, 1):
        title = "Response rates by trial and outcome" + (f" (page {number} of {len(pages)})" if len(pages) > 1 else "")
        result.figures.append(_forest_page(page, title, caption))
    if path is not None:
        result.files = page_paths(Path(path), len(result.figures))
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
    fig = new_figure(WIDTH, min(7.5, 1.6 + 0.27 * total + 0.16 * caption.count("\n") + (0.3 if caption else 0)))
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
