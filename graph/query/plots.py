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

This module checks the path and picks the plot (PLOTTERS); the forest plot is drawn in
plot_forest.py, the adverse-event bars in plot_adverse_events.py, and what both use (reading
rows, wrapping labels, pages, role colours, PlotResult) is in plot_common.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from msckg.graph.query.plot_adverse_events import plot_adverse_events
from msckg.graph.query.plot_common import PlotResult, query_name
from msckg.graph.query.plot_forest import plot_response_rates

PLOT_SUFFIXES = (".png", ".svg", ".pdf")

PLOTTERS: dict[str, Callable] = {
    "response-rates": plot_response_rates,
    "adverse-events": plot_adverse_events,
}


def check_plot_path(query, path: Path | str) -> Path:
    """The path a plot will be written to, checked before any query runs (suffix, folder, the query has a plot)."""
    name = query_name(query)
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
        raise ValueError(f"nothing to plot for '{query_name(query)}': the query returned no rows")
    return PLOTTERS[query_name(query)](query, rows, path)
