"""`msckg pool`: pooled estimates across trials for an adverse-event class or a response outcome."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from msckg.graph import paths

from .common import STATE, err, fail, guarded, info, open_store, out


def _console():
    """The terminal's width, or COLUMNS (100 when unset) in a pipe: the tables read like a paper's at 100 columns."""
    import os
    import sys

    from rich.console import Console

    if sys.stdout.isatty():
        return out
    return Console(soft_wrap=False, width=int(os.environ.get("COLUMNS") or 100))


def _iri(text: str, option: str) -> str:
    from msckg.graph.query.files import Param
    from msckg.graph.query.saved import coerce

    return str(coerce(Param(option.lstrip("-"), "iri", None, ""), text))


@guarded
def pool(
    event_class: Optional[str] = typer.Option(None, "--class", help="Adverse-event class (CURIE or IRI): every event at or below it, e.g. msckg:AE_Haemorrhage."),
    outcome: Optional[str] = typer.Option(None, "--outcome", help="Response outcome kind instead of an event class, e.g. msckg:OverallResponse."),
    grade: str = typer.Option("any", "--grade", help="Grade band the counts must have: any, 1-2, 3-4, 3-5, or one grade 1 to 5 (adverse events)."),
    serious: bool = typer.Option(False, "--serious", help="Only counts of serious events (adverse events)."),
    population: str = typer.Option("", "--population", help="itt, pp, safety, all-enrolled or subgroup (default: safety for adverse events, itt for responses)."),
    timepoint: str = typer.Option("", "--timepoint", help="Time point the results must share, as printed (e.g. 'day 28'); required when there are several."),
    measure: str = typer.Option("rr", "--measure", help="rr (risk ratio), or (odds ratio) or rd (risk difference)."),
    zero_cell: str = typer.Option("0.5", "--zero-cell", help="Added to every cell of a trial with a zero cell: a number, 'tac' (treatment-arm correction) or 'none'."),
    combine: str = typer.Option("exact", "--combine", help="Several event terms in one arm: exact (refuse), max (lower bound) or sum (upper bound)."),
    methods: List[str] = typer.Option(["fixed", "dl", "reml", "pm"], "--method", help="Pooling models (repeatable): fixed, dl, reml, pm."),
    prediction: str = typer.Option("t", "--prediction", help="Prediction interval from t on k-2 df (t) or the normal distribution (normal)."),
    randomised_only: bool = typer.Option(False, "--randomised-only", help="Leave out trials whose concurrent control was not randomised."),
    loo: bool = typer.Option(False, "--loo", help="Also print the leave-one-out sensitivity table."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Write the forest plot (.png, .svg or .pdf)."),
    loo_plot: Optional[Path] = typer.Option(None, "--loo-plot", help="Write the leave-one-out plot (.png, .svg or .pdf)."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    write: bool = typer.Option(False, "--write", help="Save the analysis in data/analyses/ and rebuild, adding the result as derived evidence."),
    name: str = typer.Option("", "--name", help="A readable name for the analysis (used in its IRI with --write)."),
    sources: List[Path] = typer.Option([], "--source", help="With --write: the extra sources of your build (as for 'msckg build --source')."),
    data: Path = typer.Option(paths.DATA, "--data", help="With --write: the folder of curated records."),
):
    """Pool the trials: per-trial effects, fixed and random effects, prediction interval, Q, I², tau².

    Every input count is listed with its trial, arm, source document and locator; every trial left out
    is a line with the reason. Single-arm evidence is pooled separately, as uncontrolled proportions.

    Examples:
      msckg pool --class msckg:AE_Infection --grade 3-4 --combine max
      msckg pool --class msckg:AE_Haemorrhage --serious --plot haemorrhage.png
      msckg pool --outcome msckg:OverallResponse --timepoint "day 28" --measure or --loo
    """
    from msckg.graph.synthesis.analysis import run_analysis
    from msckg.graph.synthesis.report import print_result, result_json
    from msckg.graph.synthesis.spec import AnalysisSpec, SpecError

    if bool(event_class) == bool(outcome):
        fail("give either --class (an adverse-event class) or --outcome (a response outcome kind)",
             "e.g. msckg pool --class msckg:AE_Infection   or   msckg pool --outcome msckg:OverallResponse --timepoint 'day 28'")
    if fmt not in ("table", "json"):
        fail(f"unknown format '{fmt}'", "use table or json")
    try:
        spec = AnalysisSpec(
            kind="adverse-event" if event_class else "response",
            target=_iri(event_class or outcome, "--class" if event_class else "--outcome"),
            grade=grade, serious=serious, population=population, timepoint=timepoint, measure=measure,
            zero_cell=zero_cell, combine=combine, randomised_only=randomised_only, prediction=prediction,
            name=name, methods=tuple(dict.fromkeys(methods)))
        result = run_analysis(open_store(), spec, loo=loo or loo_plot is not None)
    except SpecError as exc:
        fail(str(exc))
    if fmt == "json":
        print(json.dumps(result_json(result), indent=2))
    else:
        print_result(result, _console(), loo=loo)
    for target, kind in ((plot, "forest"), (loo_plot, "leave-one-out")):
        if target is None:
            continue
        from msckg.graph.synthesis.forest import forest_plot, loo_plot as draw_loo

        try:
            written = (forest_plot if kind == "forest" else draw_loo)(result, target)
        except ValueError as exc:
            fail(str(exc))
        info(f"{kind} plot written to {escape(', '.join(str(w) for w in written))}")
    if write:
        _write(spec, result, data, sources)


def _write(spec, result, data: Path, sources: list[Path]) -> None:
    from msckg.graph.build.run import BuildFailed, build
    from msckg.graph.synthesis.derived import save_spec

    if STATE["endpoint"]:
        fail("--write rebuilds the embedded store; it is not available with --endpoint")
    path = save_spec(spec, data)
    info(f"analysis saved as {escape(str(path))}; rebuilding so the result goes in as derived evidence")
    try:
        res = build(STATE["store"], data=data, extra_sources=list(sources))
    except BuildFailed as exc:
        fail(str(exc), "the analysis file stays in place; fix the problem and run 'msckg build'")
    from msckg.graph.synthesis.derived import graph_iri

    giri = graph_iri(spec)
    built = res.assembled.graphs.get(giri)
    if built is None:
        fail(f"the build did not produce {giri}")
    out.print(f"[green]written[/green] {len(built)} triples of derived evidence in <{giri}> "
              f"(rebuilt {res.triples} triples in {res.seconds:.1f}s)")
    if not sources and any("ctgov" in r.source for r in result.rows):
        err.print("[yellow]warning: the analysis above used registry records; pass the same --source files "
                  "so the rebuilt graph has them too[/yellow]")
