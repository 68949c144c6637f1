"""A pooled analysis as a paper's tables (inputs, per-trial effects, pooled estimates, left out) or as JSON."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .analysis import Result, Synthesis
from .gather import short
from .spec import MEASURES, METHODS, POPULATION_NAMES

METHOD_SHORT = {"fixed": "Fixed effect (IV)", "dl": "Random, DerSimonian-Laird", "reml": "Random, REML",
                "pm": "Random, Paule-Mandel"}


def fmt(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def title(result: Result) -> str:
    """What was pooled, in words: 'Infection (any grade), safety set: risk ratio'."""
    s = result.spec
    name = result.target_label or short(s.target)
    name = name[:1].upper() + name[1:]
    if s.kind == "adverse-event":
        what = f"{name} ({'any grade' if s.grade == 'any' else 'grade ' + s.grade}{', serious only' if s.serious else ''})"
    else:
        what = name + (f" at {s.timepoint}" if s.timepoint else "")
    measure = MEASURES[s.measure] if result.comparison.effects or not result.uncontrolled.effects else "proportion (uncontrolled)"
    return f"{what}, {POPULATION_NAMES[s.population_type]}: {measure}"


def effect_text(result: Result, y: float, lo: float, hi: float) -> str:
    d = 2 if result.ratio else 3
    return f"{fmt(result.scale(y), d)} [{fmt(result.scale(lo), d)}, {fmt(result.scale(hi), d)}]"


def inputs_table(result: Result) -> Table:
    t = Table(title="Inputs: every count used, where it is printed", title_justify="left")
    for c, width in (("trial", 17), ("arm", 24), ("n/N", 7), ("source", 20), ("locator", None)):
        t.add_column(c, overflow="fold", max_width=width)
    for syn in (result.comparison, result.uncontrolled):
        for e in syn.effects:
            for r in e.study.rows:
                t.add_row(*(escape(x) for x in (e.study.label, r.group_label, f"{r.count}/{r.denominator}",
                                                 short(r.source), r.locator)))
    return t


def effects_table(result: Result, syn: Synthesis, uncontrolled: bool) -> Table:
    measure = "proportion" if uncontrolled else MEASURES[result.spec.measure]
    t = Table(title=("UNCONTROLLED: single-arm proportions (logit scale), not a comparison" if uncontrolled
                     else f"Per-trial {measure} (experimental vs control)"), title_justify="left")
    t.add_column("trial", overflow="fold", max_width=24)
    if uncontrolled:
        t.add_column("events/N", justify="right")
    else:
        t.add_column("exp n/N", justify="right")
        t.add_column("ctl n/N", justify="right")
    t.add_column(f"{measure} [95% CI]", justify="right")
    method = syn.primary
    t.add_column(f"weight {method}", justify="right")
    weights = syn.pooled[method].weights if method in syn.pooled else []
    for i, e in enumerate(syn.effects):
        lo, hi = e.ci()
        if uncontrolled:
            from scipy.special import expit

            cells = [f"{e.study.experimental.count}/{e.study.experimental.denominator}",
                     f"{expit(e.y):.3f} [{expit(lo):.3f}, {expit(hi):.3f}]"]
        else:
            cells = [f"{e.study.experimental.count}/{e.study.experimental.denominator}",
                     f"{e.study.control.count}/{e.study.control.denominator}", effect_text(result, e.y, lo, hi)]
        t.add_row(escape(e.study.label), *cells, f"{weights[i]:.1f}%" if weights else "")
    return t


def pooled_table(result: Result, syn: Synthesis, uncontrolled: bool) -> Table:
    t = Table(title="Pooled" + (" proportion (UNCONTROLLED)" if uncontrolled else ""), title_justify="left")
    for c in ("model", "k", "estimate [95% CI]", "95% prediction", "tau²", "I²", "Q (df), p"):
        t.add_column(c, justify="left" if c == "model" else "right")
    for m, p in syn.pooled.items():
        if uncontrolled:
            from scipy.special import expit

            est = f"{expit(p.estimate):.3f} [{expit(p.ci_low):.3f}, {expit(p.ci_high):.3f}]"
            pi = "" if p.pi_low is None else f"[{expit(p.pi_low):.3f}, {expit(p.pi_high):.3f}]"
        else:
            est = effect_text(result, p.estimate, p.ci_low, p.ci_high)
            d = 2 if result.ratio else 3
            pi = "" if p.pi_low is None else f"[{fmt(result.scale(p.pi_low), d)}, {fmt(result.scale(p.pi_high), d)}]"
        het = "" if p.k < 2 else f"{p.q:.2f} ({p.df}), {p.p_q:.3f}"
        t.add_row(METHOD_SHORT[m], str(p.k), est, pi, "" if m == "fixed" else f"{p.tau2:.4f}",
                  "" if p.k < 2 else f"{p.i2:.1f}%", het)
    return t


def loo_table(result: Result, syn: Synthesis, uncontrolled: bool = False) -> Table:
    t = Table(title=f"Leave-one-out ({METHOD_SHORT[syn.primary]})", title_justify="left")
    for c in ("trial left out", "estimate [95% CI]", "tau²", "I²"):
        t.add_column(c, justify="left" if c == "trial left out" else "right", overflow="fold")
    for e, p in zip(syn.effects, syn.loo):
        if uncontrolled:
            from scipy.special import expit

            est = f"{expit(p.estimate):.3f} [{expit(p.ci_low):.3f}, {expit(p.ci_high):.3f}]"
        else:
            est = effect_text(result, p.estimate, p.ci_low, p.ci_high)
        t.add_row(escape(e.study.label), est, f"{p.tau2:.4f}", f"{p.i2:.1f}%")
    return t


def print_result(result: Result, console: Console, loo: bool = False) -> None:
    """The analysis as tables: inputs, per-trial effects, pooled estimates, leave-one-out, and every line."""
    console.print(f"[bold]Pooled analysis:[/bold] {escape(title(result))}")
    s = result.spec
    console.print(f"[dim]zero-cell rule: {s.zero_cell} added to every cell of a trial with a zero cell "
                  f"(--zero-cell); double-zero trials left out of ratios; several event terms per arm: "
                  f"{s.combine}; prediction interval: {'t, k-2 df' if s.prediction == 't' else 'normal'}[/dim]")
    for syn, unc in ((result.comparison, False), (result.uncontrolled, True)):
        if not syn.effects:
            continue
        console.print(effects_table(result, syn, unc))
        console.print(pooled_table(result, syn, unc))
        if syn.k == 1:
            console.print("[yellow]one trial only: nothing to pool; the row is that trial's own estimate[/yellow]")
        if loo and syn.loo:
            console.print(loo_table(result, syn, unc))
    if not result.comparison.effects:
        console.print("[yellow]no controlled comparison could be pooled (see the lines below)[/yellow]")
    if result.comparison.effects or result.uncontrolled.effects:
        console.print(inputs_table(result))
    for line in result.lines:
        colour = "red" if line.kind == "left out" else "yellow"
        who = line.label
        console.print(f"[{colour}]{line.kind}[/{colour}] {escape(who)}: {escape(line.reason)}")


def result_json(result: Result) -> dict:
    """The analysis as plain data (numbers on the reported scale and on the analysis scale)."""
    def synthesis(syn: Synthesis, uncontrolled: bool) -> dict:
        def back(x):
            if x is None:
                return None
            if uncontrolled:
                from scipy.special import expit

                return float(expit(x))
            return result.scale(x)

        return {
            "studies": [{
                "trial": e.study.trial, "label": e.study.label,
                "experimental": {"arm": e.study.experimental.arm, "count": e.study.experimental.count,
                                 "denominator": e.study.experimental.denominator},
                "control": None if uncontrolled else {"arm": e.study.control.arm, "count": e.study.control.count,
                                                      "denominator": e.study.control.denominator},
                "y": e.y, "v": e.v, "effect": back(e.y), "ci": [back(e.ci()[0]), back(e.ci()[1])],
                "zero_cell_corrected": e.corrected,
                "inputs": [{"node": r.node, "arm": r.group, "count": r.count, "denominator": r.denominator,
                            "source": r.source, "locator": r.locator} for r in e.study.rows],
            } for e in syn.effects],
            "pooled": {m: {"method": METHODS[m], "k": p.k, "estimate": back(p.estimate), "ci": [back(p.ci_low), back(p.ci_high)],
                           "prediction": [back(p.pi_low), back(p.pi_high)], "analysis_scale_estimate": p.estimate, "se": p.se,
                           "z": p.z, "p": p.p, "tau2": p.tau2, "i2": p.i2, "q": p.q, "df": p.df, "p_q": p.p_q,
                           "weights": p.weights} for m, p in syn.pooled.items()},
            "leave_one_out": [{"left_out": e.study.trial, "estimate": back(p.estimate), "ci": [back(p.ci_low), back(p.ci_high)],
                               "tau2": p.tau2, "i2": p.i2} for e, p in zip(syn.effects, syn.loo)],
        }

    return {
        "analysis": result.spec.identifier(), "request": result.spec.as_dict(), "title": title(result),
        "comparison": synthesis(result.comparison, False),
        "uncontrolled": synthesis(result.uncontrolled, True),
        "lines": [{"trial": ln.trial, "kind": ln.kind, "reason": ln.reason} for ln in result.lines],
    }
