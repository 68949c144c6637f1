"""`msckg pool` from the command line: tables at 100 columns, JSON, forest plots, --write through the atomic build."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from msckg.graph.cli import app

from .pool_graph import trial_quads

runner = CliRunner()
KNOWN = [("NCT00000011", 10, 50, 20, 50), ("NCT00000012", 5, 40, 8, 42), ("NCT00000013", 30, 100, 28, 95)]
SINGLE = ("NCT00000014", 4, 30)


def run(store, *args):
    return runner.invoke(app, ["--store", str(store), *args], env={"COLUMNS": "100"})


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A store built from the mini records plus three invented two-arm trials and one single-arm trial (.nt sources)."""
    from msckg.graph.build.run import build

    base = tmp_path_factory.mktemp("pool")
    import shutil

    from .conftest import MINI

    data = base / "data"
    shutil.copytree(MINI, data)
    sources = []
    trials = [(tid, [("experimental", a, n1), ("control", c, n2)], {}) for tid, a, n1, c, n2 in KNOWN]
    trials.append((SINGLE[0], [("experimental", SINGLE[1], SINGLE[2])], {"allocation": "SingleGroup", "control_type": "NoControl"}))
    for tid, arms, kw in trials:
        path = base / f"{tid}.nt"
        path.write_text("\n".join(q.rsplit(" ", 2)[0] + " ." for q in trial_quads(tid, arms, **kw)) + "\n")
        sources.append(path)
    store = base / "store"
    build(store, data=data, extra_sources=sources)
    return store, data, sources


def test_table_reads_like_a_paper_at_100_columns(built):
    store, _, _ = built
    res = run(store, "pool", "--class", "msckg:AE_Infection", "--loo")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert max(len(line) for line in out.splitlines()) <= 100
    for text in ("Infection (any grade), safety set: risk ratio", "Random, REML", "Fixed effect (IV)",
                 "95% prediction", "Leave-one-out", "Inputs: every count used", "NCT00000011", "10/50", "20/50",
                 "UNCONTROLLED", "left out NCT00000014: single-arm or dose-cohort trial"):
        assert text in out, text
    # the risk ratio of the first trial, 10/50 vs 20/50 = 0.50
    assert "0.50 [" in out


def test_json_has_every_input_and_the_pooled_numbers(built):
    store, _, _ = built
    res = run(store, "pool", "--class", "msckg:AE_Infection", "--format", "json", "--measure", "or")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    studies = {s["label"]: s for s in doc["comparison"]["studies"]}
    assert set(studies) == {"NCT00000011", "NCT00000012", "NCT00000013"}
    first = studies["NCT00000011"]
    assert first["effect"] == pytest.approx((10 * 30) / (40 * 20))
    assert {(i["count"], i["denominator"]) for i in first["inputs"]} == {(10, 50), (20, 50)}
    assert all(i["source"].endswith("pub/test-NCT00000011") and i["locator"] for i in first["inputs"])
    assert set(doc["comparison"]["pooled"]) == {"fixed", "dl", "reml", "pm"}
    assert doc["uncontrolled"]["studies"][0]["effect"] == pytest.approx(4 / 30)
    assert any(ln["kind"] == "left out" and ln["trial"].endswith("NCT00000014") for ln in doc["lines"])


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_forest_and_leave_one_out_plots(built, tmp_path, suffix, magic):
    store, _, _ = built
    forest, loo = tmp_path / f"forest{suffix}", tmp_path / f"loo{suffix}"
    res = run(store, "pool", "--class", "msckg:AE_Infection", "--plot", str(forest), "--loo-plot", str(loo))
    assert res.exit_code == 0, res.output
    assert forest.read_bytes().startswith(magic) and loo.read_bytes().startswith(magic)
    if suffix == ".svg":
        text = forest.read_text()
        for label in ("NCT00000011", "10/50", "Random, REML", "Fixed effect (IV)", "prediction interval", "Heterogeneity"):
            assert label in text, label


def test_plot_refuses_unknown_formats_and_empty_analyses(built, tmp_path):
    store, _, _ = built
    res = run(store, "pool", "--class", "msckg:AE_Infection", "--plot", str(tmp_path / "f.jpg"))
    assert res.exit_code == 1 and ".png, .svg or .pdf" in res.output
    res = run(store, "pool", "--class", "msckg:AE_Haemorrhage", "--plot", str(tmp_path / "f.png"))
    assert res.exit_code == 1 and "nothing to plot" in res.output


def test_bad_options_are_one_line(built):
    store, _, _ = built
    for args, text in ((["--class", "msckg:AE_Infection", "--grade", "7"], "--grade must be one of"),
                       (["--class", "msckg:AE_Infection", "--outcome", "msckg:OverallResponse"], "either --class"),
                       (["--class", "nope:X"], "unknown prefix"),
                       (["--class", "msckg:AE_Infection", "--zero-cell", "2"], "--zero-cell")):
        res = run(store, "pool", *args)
        assert res.exit_code == 1 and text in res.output and "Traceback" not in res.output, res.output


def test_write_adds_derived_evidence_that_survives_rebuilds(built, tmp_path):
    store, data, sources = built
    from msckg.graph.build.run import build
    from msckg.graph.store.embedded import EmbeddedStore

    args = ["pool", "--class", "msckg:AE_Infection", "--write", "--data", str(data)]
    for s in sources:
        args += ["--source", str(s)]
    res = run(store, *args)
    assert res.exit_code == 0, res.output
    assert "written" in res.stdout and len(list((data / "analyses").glob("*.yaml"))) == 1
    live = EmbeddedStore(store)
    graphs = [g for g in live.graphs() if "/graph/derived/pool/" in g]
    assert len(graphs) == 1
    q = """PREFIX msckg: <https://w3id.org/msckg/>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?estimate ?k (COUNT(DISTINCT ?input) AS ?inputs) WHERE {
  ?e a msckg:PooledEstimate ; msckg:poolingMethod msckg:RestrictedMaximumLikelihood ; msckg:uncontrolled false ;
     msckg:estimate ?estimate ; msckg:studiesPooled ?k ; prov:wasDerivedFrom ?input ; prov:wasGeneratedBy ?a .
  ?a a prov:Activity ; msckg:softwareVersions ?v .
  FILTER(CONTAINS(?v, "statsmodels") && CONTAINS(?v, "PyMARE"))
} GROUP BY ?estimate ?k"""
    rows = live.select(q).rows
    assert len(rows) == 1
    estimate, k, inputs = (float(rows[0][0]), int(rows[0][1]), int(rows[0][2]))
    assert k == 3 and inputs == 6 and 0.5 < estimate < 1.5
    # every input node the estimate used is an adverse-event count of the sources
    used = live.select("""PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX msckg: <https://w3id.org/msckg/>
SELECT DISTINCT ?n WHERE { ?a a msckg:MetaAnalysis ; prov:used ?n . FILTER NOT EXISTS { ?n a msckg:AdverseEventCount } }""").rows
    assert used == []
    del live
    # the next build re-derives it: same graph, same triples (the build's time left aside)
    def derived_triples():
        s = EmbeddedStore(store)
        g = ox.NamedNode(graphs[0])
        return sorted(str(t) for t in s.oxigraph.quads_for_pattern(None, None, None, g)
                      if "generatedAtTime" not in str(t.predicate))
    first = derived_triples()
    again = build(store, data=data, extra_sources=sources)
    assert derived_triples() == first and not any("_:" in t for t in first)
    assert again.canonical_hash == build(store, data=data, extra_sources=sources).canonical_hash


def test_a_broken_analysis_file_fails_the_build_and_keeps_the_store(built, tmp_path):
    store, data, sources = built
    from msckg.graph.build.run import build
    from msckg.loader.errors import SourceError

    bad = data / "analyses" / "zz-bad.yaml"
    bad.parent.mkdir(exist_ok=True)
    bad.write_text('kind: "adverse-event"\ntarget: "https://w3id.org/msckg/AE_Infection"\nserious: maybe\n')
    before = (store / "current").resolve()
    try:
        with pytest.raises(SourceError) as exc:
            build(store, data=data, extra_sources=sources)
        text = str(exc.value)
        assert "zz-bad.yaml:3:" in text and "serious" in text and "true or false" in text
        assert (store / "current").resolve() == before
    finally:
        bad.unlink()


def test_help_has_an_example():
    res = runner.invoke(app, ["pool", "--help"])
    assert res.exit_code == 0 and "Example" in res.output and "--zero-cell" in res.output


def test_validation_checks_derived_evidence():
    """The shapes hold pooled estimates to their rules: a broken one (I² 150, no inputs) is a violation."""
    import pyoxigraph as ox
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    from msckg.graph.build.dataset import ontology_graph
    from msckg.graph.paths import ONTOLOGY
    from msckg.graph.synthesis.analysis import run_analysis
    from msckg.graph.synthesis.derived import result_graph
    from msckg.graph.synthesis.spec import AnalysisSpec
    from msckg.graph.validate.run import validate

    from .pool_graph import M, two_arm_store

    result = run_analysis(two_arm_store(KNOWN), AnalysisSpec("adverse-event", M + "AE_Infection"))
    good = result_graph(result, "2026-01-01T00:00:00+00:00")

    def violations(g):
        union = ontology_graph(ONTOLOGY)  # the controlled values (pooling methods...) are typed there
        union += g
        store = ox.Store()
        store.load(union.serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
        return {v.rule for v in validate(store).failing}

    assert not {r for r in violations(good) if r.startswith("R-POOLED") or r == "R-CI-BRACKETS"}
    reml = next(s for s in good.subjects() if str(s).endswith("/comparison/reml"))
    good.set((reml, URIRef(M + "iSquared"), Literal("150", datatype=XSD.decimal)))
    good.remove((reml, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), None))
    good.set((reml, URIRef(M + "ciLower"), Literal("5", datatype=XSD.decimal)))
    assert {"R-POOLED-I2", "R-POOLED-INPUTS", "R-CI-BRACKETS"} <= violations(good)


def test_a_rebuild_reuses_a_derivation_while_its_inputs_stay(built, monkeypatch):
    """The build cache keeps each derived graph by what it read: same inputs, no pooling; anything else, derived again."""
    from msckg.graph.build.run import build
    from msckg.graph.synthesis import derived
    from msckg.graph.synthesis.spec import AnalysisSpec

    store, data, sources = built
    path = derived.save_spec(AnalysisSpec("adverse-event", "https://w3id.org/msckg/AE_Infection", grade="3-4"), data)
    try:
        first = build(store, data=data, extra_sources=sources)
        calls = []
        real = derived.analyse
        monkeypatch.setattr(derived, "analyse", lambda *a, **k: calls.append(1) or real(*a, **k))
        again = build(store, data=data, extra_sources=sources)
        assert calls == [] and again.canonical_hash == first.canonical_hash
        from msckg.graph.store.embedded import EmbeddedStore

        live = EmbeddedStore(store)
        stamped = live.select("SELECT DISTINCT ?t WHERE { GRAPH ?g { ?e <http://www.w3.org/ns/prov#generatedAtTime> ?t } "
                              "FILTER(CONTAINS(STR(?g), '/graph/derived/pool/')) }").rows
        del live
        assert len(stamped) == 1, "a reused derivation carries this build's time, and only it"
        assert build(store, data=data, extra_sources=sources, full=True).canonical_hash == first.canonical_hash
        assert len(calls) >= 1  # a full build derives again
        n = len(calls)
        monkeypatch.setattr("msckg.graph.synthesis.derived_cache.library_versions", lambda: "another version")
        assert build(store, data=data, extra_sources=sources).canonical_hash == first.canonical_hash
        assert len(calls) > n  # a new key: derived again
    finally:
        path.unlink()
