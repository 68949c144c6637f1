"""The msckg command line: every command runs, errors are one clear line (no traceback), formats work."""

from __future__ import annotations

import io
import json
import re

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from msckg.graph.cli import app
from msckg.graph.store.terms import to_rdflib

runner = CliRunner()


def run(store, *args, input=None):
    return runner.invoke(app, ["--store", str(store), *args], input=input)


def test_help_teaches_every_command():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("build", "validate", "query", "ask", "queries", "export", "stats", "reason", "check"):
        assert cmd in res.output
        sub = runner.invoke(app, [cmd, "--help"])
        assert sub.exit_code == 0 and "Example" in sub.output, cmd


def test_build_reports_sources(tmp_path, mini_data):
    res = run(tmp_path / "s", "build", "--data", str(mini_data), "--format", "json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    files = {s["file"]: s for s in report["sources"]}
    rec = next(v for k, v in files.items() if k.endswith("example-2025.yaml"))
    assert (rec["records_in"], rec["entities_out"], rec["rejected"]) == (3, 3, 0)
    assert report["triples"] > 100 and len(report["canonical_hash"]) == 64


Q = "PREFIX msckg: <https://w3id.org/msckg/> SELECT ?n ?d WHERE { ?r msckg:count ?n ; msckg:denominator ?d }"


def test_query_formats_are_the_sparql_results_formats(built_mini):
    store, _, _ = built_mini
    res = run(store, "query", "-", "--format", "csv", input=Q)
    assert res.exit_code == 0 and res.stdout.splitlines() == ["n,d", "12,20"]  # SPARQL 1.1 CSV: plain values
    res = run(store, "query", "-", "--format", "tsv", input=Q)
    assert res.stdout.splitlines() == ["?n\t?d", "12\t20"]  # SPARQL 1.1 TSV: ?variables, RDF terms
    res = run(store, "query", "-", "--format", "json", input=Q)
    doc = json.loads(res.stdout)
    assert doc["head"]["vars"] == ["n", "d"]
    assert doc["results"]["bindings"] == [{"n": {"type": "literal", "value": "12", "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
                                           "d": {"type": "literal", "value": "20", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]
    res = run(store, "query", "-", input=Q)
    assert "12" in res.stdout and "1 row" in res.stdout


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv", "csv"])
def test_every_results_format_parses_back_to_the_same_rows(built_mini, fmt):
    """Each output read by a standard results parser (pyoxigraph's, or rdflib's for CSV) gives the rows back."""
    from rdflib.query import Result

    from msckg.graph.store.embedded import EmbeddedStore

    store, _, _ = built_mini
    q = ("PREFIX msckg: <https://w3id.org/msckg/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
         "SELECT ?arm ?label ?n ?pct ?missing WHERE { ?r msckg:arm ?arm ; msckg:count ?n ; msckg:percent ?pct . "
         "?arm rdfs:label ?label OPTIONAL { ?r msckg:noSuchProperty ?missing } }")
    expected = EmbeddedStore(store).select(q)
    res = run(store, "query", "-", "--format", fmt, input=q)
    assert res.exit_code == 0, res.output
    if fmt == "csv":  # CSV loses types by design (SPARQL 1.1 CSV): compare the text of each value
        parsed = Result.parse(io.StringIO(res.stdout), format="csv")
        got = [tuple("" if v is None else str(v) for v in row) for row in parsed]
        assert got == [tuple("" if t is None else str(t) for t in row) for row in expected.rows]
        return
    formats = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML, "tsv": ox.QueryResultsFormat.TSV}
    solutions = ox.parse_query_results(res.stdout.encode(), formats[fmt])
    names = [v.value for v in solutions.variables]
    assert names == expected.variables
    got = [tuple(to_rdflib(sol[n]) for n in names) for sol in solutions]
    assert got == expected.rows
    if fmt in ("json", "xml"):  # and rdflib's parser agrees
        parsed = Result.parse(io.BytesIO(res.stdout.encode()), format=fmt)
        assert [tuple(row) for row in parsed] == expected.rows


def test_query_ask_construct_describe(built_mini):
    store, _, _ = built_mini
    ask = "ASK { ?r <https://w3id.org/msckg/count> 12 }"
    assert run(store, "query", "-", input=ask).stdout.strip() == "true"
    res = run(store, "query", "-", "--format", "json", input=ask)
    assert bool(ox.parse_query_results(res.stdout, ox.QueryResultsFormat.JSON)) is True
    res = run(store, "query", "-", "--format", "xml", input="ASK { ?s msckg:noSuchProperty ?o }")
    assert bool(ox.parse_query_results(res.stdout, ox.QueryResultsFormat.XML)) is False
    construct = "CONSTRUCT { ?r msckg:count ?n } WHERE { ?r msckg:count ?n }"
    for fmt, parser in (("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES), ("jsonld", ox.RdfFormat.JSON_LD),
                        ("table", ox.RdfFormat.TURTLE)):
        res = run(store, "query", "-", "--format", fmt, input=construct)
        assert res.exit_code == 0, res.output
        triples = list(ox.parse(res.stdout.encode(), format=parser))
        assert [(t.predicate.value, t.object.value) for t in triples] == [("https://w3id.org/msckg/count", "12")]
    assert "msckg:count" in run(store, "query", "-", input=construct).stdout  # Turtle with the project's prefixes
    describe = "DESCRIBE <https://w3id.org/msckg/id/pub/example-2025/result/orr-msc-d28>"
    res = run(store, "query", "-", "--format", "nt", input=describe)
    triples = list(ox.parse(res.stdout.encode(), format=ox.RdfFormat.N_TRIPLES))
    assert {t.predicate.value for t in triples} >= {"https://w3id.org/msckg/count", "https://w3id.org/msckg/denominator"}


def test_query_uses_the_project_prefixes_and_names_a_missing_one(built_mini):
    store, _, _ = built_mini
    res = run(store, "query", "-", "--format", "csv", input="SELECT ?n WHERE { ?r msckg:count ?n }")
    assert res.exit_code == 0 and res.stdout.splitlines() == ["n", "12"]
    res = run(store, "query", "-", input="SELECT ?n WHERE { ?r foo:count ?n }")
    assert res.exit_code == 1 and "Traceback" not in res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "'foo:'" in lines[0] and "PREFIX foo:" in lines[0]


def test_query_refuses_updates_in_one_line(built_mini):
    store, _, _ = built_mini
    res = run(store, "query", "-", input="DROP ALL")
    assert res.exit_code == 1 and "read-only" in res.output and "Traceback" not in res.output


def test_limit_and_columns(built_mini):
    store, _, _ = built_mini
    q = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    res = run(store, "query", "-", "--format", "csv", "--limit", "3", input=q)
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 4
    res = run(store, "query", "-", "--limit", "5", input=q)  # a table says how many rows it left out
    total = len(run(store, "query", "-", "--format", "tsv", input=q).stdout.splitlines()) - 1
    assert total > 1000  # more than a table shows: the footer says so, and which command gives them all
    assert f"5 of {total:,} rows shown; {total - 5:,} more: --limit 0 shows the first 1,000, --format csv writes every row" in res.stdout
    res = run(store, "query", "-", "--limit", "0", input=q)  # the table's row cap, never silent
    assert f"1,000 of {total:,} rows shown, the most a table shows; {total - 1000:,} more: --format csv" in res.stdout
    small = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"  # a few graphs
    res = run(store, "query", "-", "--limit", "1", input=small)
    assert re.search(r"1 of \d+ rows shown; \d+ more: --limit 0 shows all", res.stdout), res.stdout
    res = run(store, "query", "-", "--format", "csv", "--limit", "3", input=q)
    assert f"{total - 3:,} more row(s) left out by --limit 3" in res.stderr
    res = run(store, "query", "-", "--format", "csv", "--columns", "o,s", "--limit", "1", input=q)
    assert res.stdout.splitlines()[0] == "o,s"
    res = run(store, "query", "-", "--columns", "nope", input=q)
    assert res.exit_code == 1 and "no column nope" in res.output


def test_ask_default_columns_all_and_iris(built_mini):
    store, _, _ = built_mini
    table = run(store, "ask", "response-rates").stdout
    assert "Example et al. 2025" in table and "reported_by" in table and "id:trial" not in table  # labels, no IRIs
    iris = run(store, "ask", "response-rates", "--iris").stdout
    assert "id:trial/NCT00000001/arm/msc" in iris.replace("\n", "") or "id:trial/NCT00000001" in iris
    everything = run(store, "ask", "response-rates", "--format", "csv").stdout.splitlines()
    assert everything[0].split(",")[:4] == ["trial", "trial_label", "arm", "arm_label"]  # CSV keeps every column
    assert "https://w3id.org/msckg/id/trial/NCT00000001" in everything[1]
    wide = run(store, "ask", "response-rates", "--columns", "all").stdout
    assert "evidence" in wide and "locators" in wide


def test_ask_per_source(built_mini):
    store, _, _ = built_mini
    res = run(store, "ask", "response-rates", "--per-source", "--format", "csv")
    assert res.exit_code == 0 and res.stdout.splitlines()[1].endswith(",true")
    res = run(store, "ask", "trials", "--per-source")
    assert res.exit_code == 1 and "no --per-source view" in res.output


def test_unknown_class_is_an_error_with_did_you_mean(built_mini):
    store, _, _ = built_mini
    res = run(store, "ask", "adverse-events", "-p", "class=msckg:AE_Fevr")
    assert res.exit_code == 1 and "no class msckg:AE_Fevr" in res.output and "did you mean msckg:AE_Fever" in res.output
    res = run(store, "ask", "adverse-events", "-p", "class=msckg:AE_Pyrexia")  # by the class's other name
    assert res.exit_code == 1 and "did you mean msckg:AE_Fever" in res.output


def test_plot_path_is_checked_before_the_query_runs(tmp_path):
    res = run(tmp_path / "no-store", "ask", "response-rates", "--plot", str(tmp_path / "rr.gif"))
    assert res.exit_code == 1 and ".png, .svg, .pdf" in res.output and "msckg build" not in res.output
    res = run(tmp_path / "no-store", "ask", "trials", "--plot", str(tmp_path / "t.png"))
    assert res.exit_code == 1 and "'trials' has no plot" in res.output


def test_ask_writes_plots_in_three_formats(built_mini, tmp_path):
    store, _, _ = built_mini
    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
        out = tmp_path / f"rr{suffix}"
        res = run(store, "ask", "response-rates", "--plot", str(out))
        assert res.exit_code == 0, res.output
        assert out.read_bytes()[: len(magic)] == magic


def test_data_is_printed_as_text_never_as_markup(mini_data, tmp_path):
    """A label holding rich markup ('[/]', '[bold]') prints as it is, in a table and in an error."""
    p = mini_data / "entities" / "trial-nct00000001.yaml"
    p.write_text(p.read_text().replace("label: MSC arm", 'label: "MSC [/] arm [bold red]x"'), encoding="utf-8")
    store = tmp_path / "s"
    assert run(store, "build", "--data", str(mini_data)).exit_code == 0
    res = run(store, "ask", "response-rates")
    assert res.exit_code == 0, res.output
    assert "MSC [/] arm [bold red]x" in res.stdout.replace("\n", " ").replace("  ", " ") or "[/]" in res.stdout
    res = run(store, "ask", "x[/]y[bold]")
    assert res.exit_code == 1 and "Traceback" not in res.output and "no saved query named 'x[/]y[bold]'" in res.output


def test_errors_name_no_python_class(tmp_path, built_mini):
    store, _, _ = built_mini
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT * WHERE { ?s ?p ?o ", encoding="utf-8")
    outputs = [run(store, "query", str(bad)).output, run(store, "query", str(tmp_path / "missing.rq")).output,
               run(store, "ask", "adverse-events", "-p", "min_grade=9").output,
               run(store, "query", "-", "--format", "yaml", input=Q).output]
    for output in outputs:
        assert "error:" in output and "Traceback" not in output
        assert not re.search(r"\b[A-Z][A-Za-z]*(Error|Exception)\b", output), output


def test_query_syntax_error_is_one_line(built_mini):
    store, _, _ = built_mini
    res = run(store, "query", "-", input="SELECT WHERE {")
    assert res.exit_code == 1 and "error:" in res.output and "Traceback" not in res.output


def test_missing_store_hint(tmp_path):
    res = run(tmp_path / "none", "query", "-", input="SELECT * WHERE { ?s ?p ?o }")
    assert res.exit_code == 1 and "run 'msckg build' first" in res.output


@pytest.mark.parametrize("fmt,parser", [("trig", ox.RdfFormat.TRIG), ("nq", ox.RdfFormat.N_QUADS), ("ttl", ox.RdfFormat.TURTLE)])
def test_export_round_trips(built_mini, tmp_path, fmt, parser):
    store, _, res = built_mini
    out = tmp_path / f"x.{fmt}"
    r = run(store, "export", "--format", fmt, "-o", str(out))
    assert r.exit_code == 0, r.output
    quads = list(ox.parse(path=str(out), format=parser))
    if fmt == "ttl":
        assert len(quads) == len({(q.subject, q.predicate, q.object) for q in quads}) > 100
    else:  # everything but the build record (its load time differs on every build; --build-record adds it)
        from msckg.graph.build.provenance import BUILD_GRAPH

        assert len(quads) == res.triples - len(res.assembled.graphs[BUILD_GRAPH])
        assert {q.graph_name.value for q in quads} >= {"https://w3id.org/msckg/graph/ontology", "https://w3id.org/msckg/graph/pub/example-2025"}


def test_stats(built_mini):
    store, _, _ = built_mini
    res = run(store, "stats", "--format", "csv")
    assert res.exit_code == 0
    assert "https://w3id.org/msckg/graph/pub/example-2025," in res.stdout
    assert "https://w3id.org/msckg/ProportionResult,1" in res.stdout


def test_validate_json(built_mini):
    store, _, _ = built_mini
    res = run(store, "validate", "--format", "json")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["ok"] is True


def test_check_reports_problem_with_position(mini_data):
    p = mini_data / "records" / "example-2025.yaml"
    p.write_text(p.read_text().replace("atRisk: 20", "atRsk: 20"))
    res = runner.invoke(app, ["check", str(mini_data / "entities" / "trial-nct00000001.yaml"), str(p)])
    assert res.exit_code == 1
    assert "example-2025.yaml:26:5" in res.output and "did you mean 'atRisk'" in res.output and "Traceback" not in res.output


def test_unknown_saved_query_suggests(built_mini):
    store, _, _ = built_mini
    res = run(store, "ask", "trails")
    assert res.exit_code == 1 and "did you mean 'trials'" in res.output


def test_check_one_file_resolves_references_against_the_rest_of_data(mini_data, tmp_path):
    record = mini_data / "records" / "example-2025.yaml"
    res = runner.invoke(app, ["check", "--data", str(mini_data), str(record)])  # its trial, arms, outcomes are elsewhere
    assert res.exit_code == 0, res.output
    assert "ok: 1 file(s), 3 entities" in res.output
    # a draft outside data/ is checked against data/ too, and a real broken reference is still reported
    draft = tmp_path / "draft.yaml"
    draft.write_text(record.read_text().replace("pub/example-2025", "pub/draft-2026").replace(
        "arm: trial/NCT00000001/arm/msc\n    count", "arm: trial/NCT00000001/arm/mcs\n    count"), encoding="utf-8")
    res = runner.invoke(app, ["check", "--data", str(mini_data), str(draft)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    problems = [line for line in res.output.splitlines() if "no entity with key" in line]
    assert len(problems) == 1 and "trial/NCT00000001/arm/mcs" in problems[0] and "draft.yaml:" in problems[0]
    assert "did you mean 'trial/NCT00000001/arm/msc'" in problems[0]


def test_check_every_seed_record_file_on_its_own():
    from msckg.graph.paths import record_files

    for f in record_files():
        res = runner.invoke(app, ["check", str(f)])
        assert res.exit_code == 0, f"{f.name}: {res.output}"
