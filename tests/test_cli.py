"""The msckg command line: every command runs, errors are one clear line (no traceback), formats work."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from msckg.graph.cli import app

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


def test_query_formats(built_mini):
    store, _, _ = built_mini
    q = "PREFIX msckg: <https://w3id.org/msckg/> SELECT ?n ?d WHERE { ?r msckg:count ?n ; msckg:denominator ?d }"
    res = run(store, "query", "-", "--format", "csv", input=q)
    assert res.exit_code == 0 and res.stdout.splitlines() == ["n,d", "12,20"]
    res = run(store, "query", "-", "--format", "tsv", input=q)
    assert res.stdout.splitlines() == ["n\td", "12\t20"]
    res = run(store, "query", "-", "--format", "json", input=q)
    assert json.loads(res.stdout)["rows"] == [{"n": 12, "d": 20}]
    res = run(store, "query", "-", input=q)
    assert "12" in res.stdout and "1 row(s)" in res.stdout


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
