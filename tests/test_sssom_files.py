"""Every SSSOM file msckg writes passes sssom-py's validator; subject_category is a class CURIE or empty.

sssom-py runs from its own venv (.venv-sssom, made by `make sssom-py`, which `make test` depends on):
its ~100 dependencies stay out of the project's environment (docs/decisions/0050).
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from msckg.graph.cli import app
from msckg.graph.search import CONFIDENCE_FLOOR
from msckg.loader.schema import read_prefixes

ROOT = Path(__file__).resolve().parent.parent
VALIDATOR = Path(os.environ.get("MSCKG_SSSOM_PYTHON", ROOT / ".venv-sssom" / "bin" / "python"))
runner = CliRunner()


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory):
    """The seed graph built, its search index rewritten without the graph's own external links (so that
    `link --scope data` has conditions, products and adverse-event counts to propose terms for)."""
    import shutil

    from msckg.graph.build.run import assemble, build, memory_store
    from msckg.graph.search.index import write_index
    from msckg.graph.search.link_holdout import gold_links, store_without

    store = tmp_path_factory.mktemp("sssom") / "store"
    build(store)
    mem, _ = memory_store(assemble())
    _, drop = gold_links(mem)
    index = (store / "current").resolve() / "search"
    shutil.rmtree(index)
    write_index(store_without(mem, drop), index, embedder=None)
    return store


@pytest.fixture(scope="module")
def written(seed_store, tmp_path_factory):
    """The SSSOM files `msckg link` writes: data and term candidates, every candidate, and free text."""
    out = tmp_path_factory.mktemp("written")
    runs = {"data": ["link", "--scope", "data"], "terms": ["link", "--scope", "terms"],
            "all": ["link", "--scope", "all", "--min-confidence", "0", "--limit", "5"],
            "text": ["link", "severe aplastic anaemia"]}
    files = []
    for name, args in runs.items():
        path = out / f"{name}.sssom.tsv"
        res = runner.invoke(app, ["--store", str(seed_store), "-q", *args, "--output", str(path)])
        assert res.exit_code == 0, res.output
        files.append(path)
    return files


def _table(path: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    text = path.read_text(encoding="utf-8")
    curie_map = {}
    for line in text.splitlines():
        if line.startswith("#   "):
            p, ns = line[4:].split(": ", 1)
            curie_map[p] = ns
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("#"))
    return curie_map, list(csv.DictReader(io.StringIO(body), delimiter="\t"))


def test_sssom_py_validates_every_file_the_project_writes(written):
    if not VALIDATOR.exists():
        pytest.skip(f"{VALIDATOR} is absent: 'make sssom-py' makes it ('make test' does so first)")
    from tests.test_release import release_files  # the release's SSSOM set too

    files = [ROOT / "ontology" / "mappings.sssom.tsv", *sorted((ROOT / "ontology" / "mappings").glob("*.sssom.tsv")),
             *written, *release_files("*.sssom.tsv")]
    res = subprocess.run([str(VALIDATOR), str(ROOT / "tests" / "sssom_validate.py"), *map(str, files)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("ok\t") == len(files)


def test_the_validator_catches_what_sssom_py_only_logs(tmp_path):
    if not VALIDATOR.exists():
        pytest.skip(f"{VALIDATOR} is absent: 'make sssom-py' makes it ('make test' does so first)")
    bad = tmp_path / "bad.sssom.tsv"
    bad.write_text("# curie_map:\n#   id: https://w3id.org/msckg/id/\n#   skos: http://www.w3.org/2004/02/skos/core#\n"
                   "#   semapv: https://w3id.org/semapv/vocab/\n# mapping_set_id: https://w3id.org/msckg/mappings/bad\n"
                   "# license: https://creativecommons.org/licenses/by/4.0/\n"
                   "subject_id\tpredicate_id\tobject_id\tmapping_justification\n"
                   "\tskos:exactMatch\tid:b\tsemapv:LexicalMatching\n", encoding="utf-8")
    res = subprocess.run([str(VALIDATOR), str(ROOT / "tests" / "sssom_validate.py"), str(bad)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 1 and "Missing subject_id" in res.stdout


def test_subject_category_is_a_class_curie_or_left_out(written):
    from rdflib import OWL, RDF, URIRef

    from msckg.graph.ontology.reason import load_ontology

    onto = load_ontology()
    conv = read_prefixes()
    seen = set()
    for path in written:
        curie_map, rows = _table(path)
        for r in rows:
            cat = r["subject_category"]
            if not cat:
                continue
            seen.add(cat)
            prefix = cat.split(":", 1)[0]
            assert prefix in curie_map, f"{path.name}: {cat} uses a prefix missing from the curie_map"
            assert (URIRef(conv.expand_strict(cat)), RDF.type, OWL.Class) in onto, f"{path.name}: {cat} is not a class"
    assert {"msckg:AdverseEventTerm"} <= seen, seen


def test_free_text_subject_is_no_term_found(written):
    _, rows = _table(next(p for p in written if p.name == "text.sssom.tsv"))
    assert rows and all(r["subject_id"] == "sssom:NoTermFound" and r["subject_label"] == "severe aplastic anaemia" for r in rows)


def test_candidates_below_the_floor_are_hidden_by_default(written):
    default = [float(r["confidence"]) for p in written if p.name in ("data.sssom.tsv", "terms.sssom.tsv") for r in _table(p)[1]]
    everything = [float(r["confidence"]) for r in _table(next(p for p in written if p.name == "all.sssom.tsv"))[1]]
    assert default and min(default) >= CONFIDENCE_FLOOR
    assert min(everything) < CONFIDENCE_FLOOR, "--min-confidence 0 shows the candidates the floor hides"
    header = next(p for p in written if p.name == "terms.sssom.tsv").read_text(encoding="utf-8")
    assert f"below confidence {CONFIDENCE_FLOOR:.2f} are left out" in header
