"""The jobs a worker runs, by name: protocol queries, saved queries, entity pages, plots, figures, the dataset description."""

from __future__ import annotations

import functools
import io

from msckg.graph.query.saved import ParamError, run_saved, saved_queries
from msckg.graph.store.base import Rows, StoreError
from msckg.graph.safety import UnsafeInput

from .backend import Backend, iris_in, labels_for, protocol_answer
from .entity import describe_entity
from .guard import Refused
from .settings import Settings


def open_backend(settings: Settings) -> Backend:
    return Backend(settings)


@functools.lru_cache(maxsize=1)
def _queries():
    return saved_queries()


def saved_query(name: str):
    """A saved query by name, or Refused(404) naming the ones there are."""
    qs = _queries()
    if name not in qs:
        raise Refused(404, f"no saved query named '{name}'; the saved queries are: {', '.join(qs)}")
    return qs[name]


def _saved(backend: Backend, name: str, params: dict[str, str]) -> dict:
    q = saved_query(name)
    rows = run_saved(backend.store, q, params)
    cap = backend.settings.row_cap
    truncated = len(rows.rows) > cap
    if truncated:
        rows = Rows(rows.variables, rows.rows[:cap])
    return {"variables": rows.variables, "rows": rows.rows, "truncated": truncated, "row_cap": cap,
            "labels": labels_for(backend, iris_in(rows))}


def _plot(backend: Backend, name: str, params: dict[str, str], page: int = 1) -> dict:
    """One page of the query's plot as PNG, and how many pages the plot has (long answers are split)."""
    from msckg.graph.query.plots import PLOTTERS

    q = saved_query(name)
    if q.name not in PLOTTERS or "plot" not in q.tags:
        raise Refused(404, f"query '{name}' has no plot; queries with a plot: {', '.join(sorted(PLOTTERS))}")
    rows = run_saved(backend.store, q, params)
    if not rows.rows:
        raise Refused(404, f"nothing to plot for '{name}': the query returned no rows")
    try:
        figures = PLOTTERS[q.name](q, rows).figures  # the same figures as 'msckg ask NAME --plot'
    except ValueError as exc:  # e.g. no row states a count to draw
        raise Refused(404, str(exc)) from None
    if not 1 <= page <= len(figures):
        raise Refused(404, f"the plot of '{name}' has {len(figures)} page(s); there is no page {page}")
    buf = io.BytesIO()
    figures[page - 1].savefig(buf, format="png")
    return {"png": buf.getvalue(), "pages": len(figures)}


def _home(backend: Backend) -> dict:
    if "home" not in backend.cache:
        r = backend.internal("home-counts").rows[0]
        backend.cache["home"] = {"trials": int(r[0].toPython()), "triples": int(r[1].toPython())}
    return backend.cache["home"]


def _void(backend: Backend, endpoint_url: str) -> bytes:
    from .void import describe

    key = ("void", endpoint_url)
    if key not in backend.cache:
        backend.cache[key] = describe(backend.store, endpoint_url=endpoint_url).serialize(format="nt").encode("utf-8")
    return backend.cache[key]


def _search(backend: Backend, text: str, types: list[str] | None, limit: int):
    """Ranked entities from the live generation's search index (docs/search.md), opened once per generation."""
    from msckg.graph.search import live_folder
    from msckg.graph.search.rank import SearchError, Searcher

    if not backend.settings.store:
        raise Refused(503, "search needs the embedded store's index: serve with --store (also beside --endpoint)")
    if "searcher" not in backend.cache:
        try:
            backend.cache["searcher"] = Searcher(live_folder(backend.settings.store), embedder="auto")
        except (SearchError, OSError) as exc:
            raise Refused(503, str(exc)) from None
    try:
        return backend.cache["searcher"].search(text, types=types or None, limit=limit)
    except SearchError as exc:  # an unknown type, an empty query: the user's, with suggestions
        raise Refused(400, str(exc)) from None


JOBS = {
    "search": _search,
    "protocol": lambda b, query, dg, ng, accept: protocol_answer(b, query, dg, ng, accept),
    "saved": _saved,
    "plot": _plot,
    "entity": describe_entity,
    "home": _home,
    "void": _void,
}


def run(backend: Backend, kind: str, args: tuple):
    """("ok", answer) or ("failed", HTTP status, message); never raises."""
    try:
        backend.refresh()
        return ("ok", JOBS[kind](backend, *args))
    except Refused as exc:
        return ("failed", exc.status, exc.message)
    except (ParamError, UnsafeInput) as exc:
        return ("failed", 400, str(exc))
    except StoreError as exc:
        return ("failed", 503, str(exc))
    except SyntaxError as exc:
        return ("failed", 400, f"the query does not parse: {exc}")
    except Exception as exc:  # an engine error on a query that parsed: the user's query, not the server
        return ("failed", 500, f"{type(exc).__name__}: {exc}")
