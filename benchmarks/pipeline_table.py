"""The text table of the pipeline benchmark's figures, each beside its baseline and the ratio."""

from __future__ import annotations


def fmt_s(x) -> str:
    if x is None:
        return "-"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.1f} s"


def table(results: list[dict]) -> str:
    lines = []
    for r in results:
        b = r["build"]
        n = r["trials"]
        lines.append(f"== {n} trials: {b['triples']:,} triples in {b['graphs']:,} graphs "
                     f"({r['registry_records']:,} registry records, {r['curated_files']:,} curated files)")
        lines.append(f"{'figure':<46}{'msckg':>12}{'baseline':>14}{'ratio':>9}  baseline is")
        pf = r["parse_floor"]
        floor = pf["json_wall"] + pf["yaml_wall"]

        def row(name, ours, base=None, what=""):
            ratio = f"{base / ours:.1f}x" if ours and base else ""
            lines.append(f"{name:<46}{fmt_s(ours):>12}{fmt_s(base):>14}{ratio:>9}  {what}")

        row("build end to end (wall)", b["wall"], floor, "parsing the inputs alone")
        row("build, CPU seconds", b.get("cpu"))
        lines.append(f"{'build peak memory':<46}{b.get('peak_rss_mb', 0) / 1024:>10.2f} GiB")
        for p in b["phases"]:
            row(f"  phase {p['name']}", p["wall"], None, f"CPU {p['cpu']:.1f} s, peak {p['peak_rss_mb'] / 1024:.2f} GiB")
        bp = r.get("baseline_rdflib_parse", {})
        load = sum(p["wall"] for p in b["phases"] if p["name"] in ("assemble", "serialise", "load"))
        if bp:
            row("load (parse+convert+store)", load, None if bp.get("timeout") else bp["wall"], "rdflib parsing the dataset into a Dataset")
        lines.append(f"{'load rate':<46}{b['triples_per_s'] or 0:>10,.0f}/s")
        v = r.get("validation", {})
        vphase = next((p["wall"] for p in b["phases"] if p["name"] == "validate"), None)
        if v.get("pyshacl_s"):
            row("SHACL validation (shapes only)", v["fast_s"], v["pyshacl_s"], f"pyshacl, whole graph; same violations: {v['same']}")
        elif v:
            row("validation phase", vphase, None, f"pyshacl did not finish in {v.get('pyshacl_timeout_s')} s")
        e = r["export"]
        row("export N-Quads", e["wall"], None, f"{e['mb']:.0f} MB")
        lines.append(f"{'store on disk':<46}{b['store_mb']['graph']:>9.0f} MB  + search index {b['store_mb']['search']:.0f} MB")
        inc = r.get("incremental", {})
        idx = next((p["wall"] for p in inc.get("phases", []) if p["name"] == "index"), None)
        row("rebuild after one record changed", inc.get("wall"), b["wall"], f"full build ({inc.get('reused_sources')} reused)")
        row("  of which the search index (rebuilt in full)", idx)
        ix = r.get("index", {})
        if "wall" in ix:
            row("search index alone (wall)", ix["wall"], b["wall"], "whole build")
            row("search index alone, CPU seconds", ix["cpu"], b.get("cpu"), "whole build")
            lines.append(f"{'search index alone, memory beyond the store':<46}{ix['extra_rss_mb'] / 1024:>10.2f} GiB"
                         f"  ({ix['entities']:,} entities, {ix['postings']:,} postings)")
        sl = r["search_link"]
        row("search p95", sl["search"]["p95"], sl.get("baseline_search", {}).get("p95"),
            f"CONTAINS scan; p50 {fmt_s(sl['search']['p50'])}/{fmt_s(sl.get('baseline_search', {}).get('p50'))}")
        row("link p95", sl["link"]["p95"], sl.get("baseline_link", {}).get("p95"),
            f"CONTAINS scan; p50 {fmt_s(sl['link']['p50'])}/{fmt_s(sl.get('baseline_link', {}).get('p50'))}")
        cli = r["queries_cli"]
        rd = r.get("queries_rdflib", {})
        lines.append(f"{'saved query (rows)':<34}{'p50':>10}{'p95':>10}{'CLI p50':>10}{'rdflib':>12}")
        for name, q in r["queries"].items():
            if "p50" not in q:
                lines.append(f"{name:<34}{'> ' + str(int(q['timeout_s'])) + ' s' if 'timeout_s' in q else q.get('error', '?'):>10}")
                continue
            base = rd.get(name, {})
            rtxt = f"> {base['timeout_s']:.0f} s" if "timeout_s" in base else fmt_s(base.get("p50")) if base else ""
            lines.append(f"{name + ' (' + str(q['rows']) + ')':<34}{fmt_s(q['p50']):>10}{fmt_s(q['p95']):>10}"
                         f"{fmt_s(cli.get(name, {}).get('p50')):>10}{rtxt:>12}")
        lines.append(f"{'(CLI start-up: msckg --help)':<34}{'':>20}{fmt_s(cli['_startup (msckg --help)']['p50']):>10}")
    return "\n".join(lines)
