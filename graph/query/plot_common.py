"""What the saved-query plots share: answer rows read by column, wrapped labels, pages, role colours, the PlotResult."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from rdflib import Literal

WIDTH = 11.0  # inches: a 16:9 slide at 100 dpi is 13.3 x 7.5
ROLE_COLOURS = {"experimental": "#1f5fa8", "control": "#d9731a", "arm": "#555555"}
# bars of several arms with one role: shades of the role's colour, in the order the arms are listed
ROLE_PALETTES = {"experimental": ["#1f5fa8", "#7fb2e5", "#0b2f5c", "#4a90d9", "#b9d4f0"],
                 "control": ["#d9731a", "#f5b77a", "#8c4308", "#e8923f"],
                 "arm": ["#555555", "#9a9a9a", "#7b4ea3", "#2e8b57", "#b3a2c8"]}
ROLE_ORDER = {"experimental": 0, "arm": 1, "control": 2}


@dataclass
class PlotResult:
    """What a plot wrote: files (one per page), the figures, rows drawn, rows left out with the reason."""

    files: list[Path] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    drawn: int = 0
    left_out: list[str] = field(default_factory=list)


def query_name(query) -> str:
    """The saved query's name (or the text of whatever names it)."""
    return getattr(query, "name", None) or str(query)


class AnswerRow:
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


def iri_tail(term) -> str | None:
    """The readable end of an IRI (registry ID of a trial IRI, slug of an arm IRI)."""
    return None if term is None else str(term).rstrip("/").rsplit("/", 1)[-1]


def wrap(text: str, width: int) -> str:
    """Text wrapped at word boundaries (a word longer than the width stays whole)."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text


def require_columns(rows, query_name: str, *columns: str) -> None:
    """Refuse rows that lack a column the plot needs, naming the query and the columns."""
    missing = [c for c in columns if c not in rows.variables]
    if missing:
        raise ValueError(f"cannot plot '{query_name}': the rows lack column(s) {', '.join(missing)}")


def new_figure(width: float, height: float) -> Figure:
    """A figure of that size in inches at 100 dpi, on its own Agg canvas (no pyplot state)."""
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def page_paths(path: Path, pages: int) -> list[Path]:
    """The file of each page: path itself for one page, else path-1, path-2, ..."""
    if pages == 1:
        return [path]
    return [path.with_name(f"{path.stem}-{i}{path.suffix}") for i in range(1, pages + 1)]


def left_out_caption(left_out: list[str], limit: int = 4) -> str:
    """The caption naming the rows left out (the first few, then how many more); empty when none were."""
    if not left_out:
        return ""
    shown = "; ".join(left_out[:limit]) + (f"; and {len(left_out) - limit} more" if len(left_out) > limit else "")
    return wrap(f"Not shown ({len(left_out)}): {shown}", 150)


def paginate(groups: list[tuple[str, list]], page_size: int, cost: Callable[[list], int]) -> list[list[tuple[str, list]]]:
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
