"""Commands that find things: search, search-eval and link (registered by graph/cli/app.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from msckg.graph.search import CONFIDENCE_FLOOR, JUDGEMENTS

from .common import STATE, fail, guarded, info, out


def _index_folder() -> Path:
    """The live search index of the embedded store (<store>/current/search)."""
    if STATE.get("endpoint"):
        fail("search and link read the index built with the embedded store; they do not work with --endpoint",
             "run 'msckg build' without --endpoint (or with --store DIR) and search that store")
    from msckg.graph.search import live_folder
    from msckg.graph.store.embedded import EmbeddedStore

    store = EmbeddedStore(STATE["store"])
    return live_folder(store.folder)


def _searcher(embedder="auto"):
    from msckg.graph.search.rank import SearchError, Searcher

    try:
        return Searcher(_index_folder(), embedder=embedder)
    except SearchError as exc:
        fail(str(exc), "rebuild the store with 'msckg build' to write the search index")


def _short(iri: str) -> str:
    return "id:" + iri[len("https://w3id.org/msckg/id/"):] if iri.startswith("https://w3id.org/msckg/id/") else iri


def _match_kind(predicate: str) -> str:
    """skos:exactMatch -> exact, skos:closeMatch -> close: the table's short form of a mapping predicate."""
    local = predicate.split(":", 1)[-1]
    return local[:-len("Match")] if local.endswith("Match") else predicate


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        fail(f"unknown format '{fmt}'", "use table or json")


@guarded
def search_cmd(
    text: str = typer.Argument(..., help="What to look for: words, a name, an abbreviation, a registry ID (any spelling, any order)."),
    types: List[str] = typer.Option([], "--type", "-t", help="Only entities of this class or its subclasses, e.g. AdverseEventCount, Trial, msckg:CellProduct (repeatable)."),
    limit: int = typer.Option(10, "--limit", "-n", help="How many results (1-1000)."),
    fmt: str = typer.Option("table", "--format", help="Output format: table or json."),
    mode: str = typer.Option("auto", "--mode", help="auto (blended when the embeddings extra is installed), lexical or blended."),
):
    """Find entities by label, synonym, abbreviation or ontology concept: ranked, with why each matched.

    Matches British and American spellings, small typos and any word order; a general concept
    finds what is filed under its subclasses (bleeding -> every haemorrhage adverse-event count).
    Example: msckg search bleeding --type AdverseEventCount --limit 20
    """
    from msckg.graph.search.rank import SearchError

    _check_format(fmt)
    searcher = _searcher()
    try:
        res = searcher.search(text, types=list(types) or None, limit=limit, mode=mode)
    except SearchError as exc:
        fail(str(exc), "e.g. msckg search \"aplastic anaemia\"")
    if fmt == "json":
        print(json.dumps(res.as_json(), indent=2, ensure_ascii=False))
        return
    for note in res.notes:
        info(f"[dim]{escape(note)}[/dim]")
    if not res.hits:
        out.print(escape(f"no match for '{res.query}'" + (f" among {', '.join(types)}" if types else "")))
        return
    from rich.table import Table

    t = Table(title=escape(f"search: {res.query}  ({res.mode}; {len(res.hits)} of {res.total})"))
    for c in ("#", "score", "type"):  # short identifiers: whole on one line, the text columns wrap around them
        t.add_column(c, no_wrap=True)
    for c in ("label", "why", "IRI"):
        t.add_column(c, overflow="fold")
    for h in res.hits:
        t.add_row(str(h.rank), f"{h.score:.3f}", escape(h.type), escape(h.label), escape("\n".join(str(w) for w in h.why)), escape(_short(h.iri)))
    out.print(t)


@guarded
def search_eval_cmd(
    judgements: Path = typer.Option(JUDGEMENTS, "--judgements", help="YAML file of judged queries (query + relevant entity IRIs or id/ keys)."),
    k: int = typer.Option(10, "--k", help="Cut-off for recall@k."),
    fmt: str = typer.Option("table", "--format", help="Output format: table or json."),
    details: bool = typer.Option(False, "--details", help="Also show every query's recall, reciprocal rank and ranks found."),
):
    """Measure search quality on judged queries: recall@k and MRR, lexical and (when installed) blended.

    recall@k = relevant entities in the top k / min(k, relevant); MRR = mean of 1 / rank of the first relevant.
    Example: msckg search-eval --details
    """
    from msckg.graph.search.rank import SearchError
    from msckg.graph.search.search_eval import evaluate, load_judgements

    _check_format(fmt)
    if not Path(judgements).exists():
        fail(f"no judgements file at {judgements}", "give one with --judgements FILE")
    try:
        judged = load_judgements(judgements)
    except SearchError as exc:
        fail(str(exc))
    searcher = _searcher()
    runs = [evaluate(searcher, judged, k=k, mode="lexical")]
    blended_note = ""
    if searcher.semantic_available:
        runs.append(evaluate(searcher, judged, k=k, mode="blended"))
    else:
        blended_note = searcher.mode_note
    if fmt == "json":
        print(json.dumps({"judgements": str(judgements), "queries": len(judged), "blended": blended_note or "measured",
                          "runs": [{"mode": r["mode"], f"recall@{k}": round(r[f"recall@{k}"], 4), "mrr": round(r["mrr"], 4),
                                    "per_query": [{"query": q.query, "relevant": q.relevant, "recall": round(q.recall, 4),
                                                   "rr": round(q.rr, 4), "ranks": q.found_at} for q in r["per_query"]]}
                                   for r in runs]}, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    if details:
        t = Table(title="per query")
        for c in ("query", "relevant", *[f"{r['mode']} recall@{k}" for r in runs], *[f"{r['mode']} RR" for r in runs], "ranks (lexical)"):
            t.add_column(c, overflow="fold")
        for i, q in enumerate(runs[0]["per_query"]):
            t.add_row(escape(q.query), str(q.relevant), *[f"{r['per_query'][i].recall:.2f}" for r in runs],
                      *[f"{r['per_query'][i].rr:.2f}" for r in runs], " ".join(map(str, q.found_at[:10])))
        out.print(t)
    t = Table(title=escape(f"search quality on {len(judged)} judged queries ({Path(judgements).name})"))
    for c in ("mode", f"recall@{k}", "MRR"):
        t.add_column(c)
    for r in runs:
        t.add_row(r["mode"], f"{r[f'recall@{k}']:.4f}", f"{r['mrr']:.4f}")
    if blended_note:
        t.add_row("blended", "not measured", escape(blended_note))
    out.print(t)


@guarded
def link_cmd(
    text: Optional[str] = typer.Argument(None, help="Free text to link; omit it to link the graph's entities that have no external term."),
    scope: str = typer.Option("data", "--scope", help="Without TEXT: data (conditions, cell products, adverse-event counts lacking their term), terms (msckg classes and values without skos:exactMatch/closeMatch) or all."),
    vocab: List[str] = typer.Option([], "--vocab", help="Only these vocabularies: MONDO, CL, UBERON, declared, or a declared prefix such as OAE, HP, NCIT (repeatable)."),
    limit: int = typer.Option(3, "--limit", "-n", help="Candidates per subject (1-50)."),
    min_confidence: float = typer.Option(CONFIDENCE_FLOOR, "--min-confidence", help=f"Leave out candidates below this confidence (0-1; default {CONFIDENCE_FLOOR}, measured on the seed hold-out: docs/decisions/0049; 0 shows all)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Also write the candidates as an SSSOM TSV for review (fill reviewer_id on accepted rows, then put the file in ontology/mappings/)."),
    fmt: str = typer.Option("table", "--format", help="Output format: table or json."),
):
    """Propose external terms (MONDO, CL, UBERON, declared vocabularies) with confidence and evidence.

    Reviewed rows of the SSSOM output, placed in ontology/mappings/, become skos:exactMatch /
    closeMatch triples in the next build (graph/build/mappings.py; see docs/search.md).
    Example: msckg link "severe aplastic anaemia"   |   msckg link --scope terms --output candidates.sssom.tsv
    """
    from msckg.graph.search.link import Linker
    from msckg.graph.search.rank import SearchError

    _check_format(fmt)
    if scope not in ("data", "terms", "all"):
        fail(f"unknown scope '{scope}'", "use data, terms or all")
    if not 1 <= limit <= 50:
        fail("--limit must be between 1 and 50")
    try:
        linker = Linker(_index_folder())
    except SearchError as exc:
        fail(str(exc), "rebuild the store with 'msckg build' to write the index")
    rows = []  # (task or None, subject text, candidate)
    try:
        if text is not None:
            cands = linker.link_text(text, limit=limit, vocab=list(vocab) or None)
            subjects = [(None, text, cands)]
        else:
            tasks = linker.tasks(scope)
            if not tasks:
                out.print(escape(f"nothing to link in scope '{scope}': ")
                          + ("every condition, cell product and adverse-event count has its external term (try --scope terms)"
                             if scope == "data" else "every msckg term has an external match"))
                return
            subjects = [(t, t.label, linker.link_task(t, limit=limit, vocab=list(vocab) or None)) for t in tasks]
    except SearchError as exc:
        fail(str(exc))
    hidden = 0
    for task, subject, cands in subjects:
        for c in cands:
            if c.confidence >= min_confidence:
                rows.append((task, subject, c))
            else:
                hidden += 1
    if fmt != "json":
        info(f"[dim]{escape(linker.mode_note)}[/dim]")
        if hidden:
            info(f"[dim]{hidden} candidate(s) below confidence {min_confidence:.2f} hidden (--min-confidence 0 shows them)[/dim]")
    if output:
        from msckg.loader.schema import read_prefixes

        from msckg.graph.search.link_sssom import sssom_tsv

        tsv = sssom_tsv(rows, dict(read_prefixes().prefix_map), f"https://w3id.org/msckg/mappings/{output.name}", min_confidence)
        output.write_text(tsv, encoding="utf-8")
        info(escape(f"wrote {len(rows)} candidate mapping(s) to {output}: review them (fill reviewer_id on the rows you accept), then move the file to ontology/mappings/"))
    if fmt == "json":
        print(json.dumps([{"subject_id": t.iri if t else None, "subject_label": s, "slot": t.slot if t else "text",
                           "candidates": [c.as_json() for tt, ss, c in rows if tt is t and ss == s]}
                          for t, s, _ in subjects], indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    tbl = Table(title=escape("link candidates" + (f" for '{text}'" if text is not None else f" (scope {scope})")))
    # the identifiers (slot, term CURIE, confidence, exact/close) stay whole on one line at 80 columns;
    # the text columns wrap around them (the JSON and SSSOM outputs give the full predicate_id)
    for c, whole in (("subject", False), ("slot", True), ("#", True), ("term", True), ("label", False),
                     ("confidence", True), ("match", True), ("evidence", False)):
        tbl.add_column(c, no_wrap=True) if whole else tbl.add_column(c, overflow="fold")
    for task, subject, cands in subjects:
        shown = [c for c in cands if c.confidence >= min_confidence]
        who = escape(subject if task is None else f"{subject}\n{_short(task.iri)}")
        if not shown:
            tbl.add_row(who, escape(task.slot) if task else "text", "-", "", "no candidate", "", "", "")
        for i, c in enumerate(shown, 1):
            tbl.add_row(who if i == 1 else "", escape(task.slot if task else "text") if i == 1 else "",
                        str(i), escape(c.curie), escape(c.label), f"{c.confidence:.2f}", escape(_match_kind(c.predicate)),
                        escape("; ".join(c.evidence)))
    out.print(tbl)
