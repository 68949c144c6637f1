"""The build report of registry records: ledger per kind, results groups made arms, adverse-event terms without a
class, and every JSON path not mapped (`msckg build --report unmapped`), as rich tables or JSON."""

from __future__ import annotations

from collections import Counter

from rich.table import Table

from msckg.loader.ctgov import CtgovRecord, generic_path

NEVER_READ = "not read by the loader"


def registry_records(reports) -> list[CtgovRecord]:
    return [r for r in reports if isinstance(r, CtgovRecord)]


def unmapped_rows(rec: CtgovRecord) -> list[tuple[str, int, str]]:
    """(JSON path with [] for indices, values, why) for every path not mapped, most values first."""
    why: dict[str, Counter] = {}
    counts: Counter = Counter(rec.unread)
    for path in rec.unread:
        why.setdefault(path, Counter())[NEVER_READ] += rec.unread[path]
    for loc, reason in rec.dropped:
        path = generic_path(loc)
        counts[path] += 1
        why.setdefault(path, Counter())[reason] += 1
    rows = []
    for path, n in counts.items():
        reasons = why[path].most_common()
        text = reasons[0][0] + (f" (and {len(reasons) - 1} other reason(s))" if len(reasons) > 1 else "")
        rows.append((path, n, text))
    return sorted(rows, key=lambda r: (r[0]))


def summary_line(reports) -> str | None:
    """One line for the default build output, or None when no registry record was loaded."""
    recs = registry_records(reports)
    if not recs:
        return None
    groups = sum(len(r.unmatched_groups) for r in recs)
    terms = sum(len(r.unclassed_terms) for r in recs)
    paths = sum(len(unmapped_rows(r)) for r in recs)
    return (f"registry records: {len(recs)} ({groups} results group(s) made arms, {terms} adverse-event term(s) "
            f"without a class,\n  {paths} JSON path(s) not mapped: 'msckg build --report unmapped' lists them)")


def superseded_lines(reports) -> list[str]:
    out = []
    for r in registry_records(reports):
        for path, date in r.superseded:
            out.append(f"{r.nct}: kept {r.path} (last update {r.last_update}); skipped {path} (last update {date or 'not stated'})")
    return out


def as_json(rec: CtgovRecord) -> dict:
    return {
        "nct_id": rec.nct,
        "ledger": {k: {"in": v[0], "out": v[1], "rejected": v[2]} for k, v in sorted(rec.ledger.items())},
        "arm_groups": rec.arm_groups,
        "arms_from_unmatched_groups": rec.own_arms,
        "unmatched_groups": [{"group": p, "id": gid, "title": t, "arm": a} for p, gid, t, a in rec.unmatched_groups],
        "unclassed_adverse_event_terms": [{"organ_system": s, "term": t} for s, t in rec.unclassed_terms],
        "unmapped": [{"path": p, "values": n, "why": w} for p, n, w in unmapped_rows(rec)],
        "rejected": [{"item": loc, "why": why} for loc, why in rec.rejected_items],
        "superseded": [{"file": p, "last_update": d} for p, d in rec.superseded],
    }


def print_report(console, reports) -> None:
    """Everything a curator needs to see about each registry record, fitting 100 columns."""
    for rec in registry_records(reports):
        console.print(f"\n[bold]{rec.nct}[/bold] {rec.path}", highlight=False)
        console.print(f"{rec.records_in} items in, {rec.entities_out} entities out, {rec.rejected} rejected; "
                      f"{rec.arm_groups} arm group(s) + {rec.own_arms} arm(s) from unmatched groups")
        led = Table(title="items per kind", title_justify="left", show_edge=False)
        for c, j in (("kind", "left"), ("in JSON", "right"), ("written", "right"), ("rejected", "right")):
            led.add_column(c, justify=j)
        for kind, (n_in, n_out, n_rej) in sorted(rec.ledger.items()):
            led.add_row(kind, str(n_in), str(n_out), str(n_rej))
        console.print(led)
        if rec.unmatched_groups:
            t = Table(title="results groups made arms of their own", title_justify="left", show_edge=False)
            t.add_column("group", overflow="fold", ratio=3)
            t.add_column("title", overflow="fold", ratio=2)
            for path, gid, title, _arm in rec.unmatched_groups:
                t.add_row(f"{path} ({gid})", title)
            console.print(t)
        if rec.unclassed_terms:
            t = Table(title="adverse-event terms without an event class", title_justify="left", show_edge=False)
            t.add_column("organ system", overflow="fold")
            t.add_column("term", overflow="fold")
            for system, term in rec.unclassed_terms:
                t.add_row(system, term)
            console.print(t)
        if rec.rejected_items:
            console.print("[bold]items rejected[/bold], by reason:")
            by_reason: dict[str, list[str]] = {}
            for loc, why in rec.rejected_items:
                by_reason.setdefault(why, []).append(loc)
            for why, locs in by_reason.items():
                console.print(f"  {len(locs):>6}  {why}:", highlight=False)
                for loc in locs[:3]:
                    console.print(f"          {loc}", highlight=False)
                if len(locs) > 3:
                    console.print(f"          and {len(locs) - 3} more", highlight=False)
        rows = unmapped_rows(rec)
        if rows:
            console.print("[bold]JSON paths not mapped[/bold] (values, path), by reason:")
            by_reason: dict[str, list[tuple[str, int]]] = {}
            for path, n, why in rows:
                by_reason.setdefault(why, []).append((path, n))
            for why in sorted(by_reason, key=lambda w: (w != NEVER_READ, w)):
                console.print(f"  {why}:", highlight=False)
                for path, n in by_reason[why]:
                    console.print(f"  {n:>6}  {path}", highlight=False)
