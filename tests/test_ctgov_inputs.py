"""Bad registry input, all at once: several bad files in one build are all reported (file, JSON path, reason) and the
live store is kept; one NCT ID in two files is an error naming both, or with --prefer newest the later
lastUpdatePostDate wins and the other is reported; v1 files say so with a pointer to v2; every hint names a command
that works for that file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from msckg.graph.build.registry import load_registry_records
from msckg.graph.build.run import build
from msckg.graph.cli import app
from msckg.graph.store.embedded import EmbeddedStore
from msckg.loader.ctgov import ctgov_to_graph
from msckg.loader.errors import SourceError
from msckg.loader.fetch.cache import read_manifest

from .ctgov_replay import PAGES, ReplayServer

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ctgov"
GOOD = FIXTURES / "NCT90000002-total-and-dose-groups.json"


def run(*args, env=None):
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def with_update(path: Path, target: Path, date: str) -> Path:
    tree = json.loads(path.read_text())
    tree["protocolSection"].setdefault("statusModule", {})["lastUpdatePostDateStruct"] = {"date": date, "type": "ACTUAL"}
    target.write_text(json.dumps(tree, indent=2))
    return target


@pytest.fixture
def bad_folder(tmp_path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copy(FIXTURES / "v1-single.json", folder / "v1-single.json")
    (folder / "NCT90000003.json").write_text((FIXTURES / "NCT90000003-two-doses-one-arm.json").read_text()[:900])
    tree = json.loads(GOOD.read_text())
    tree["protocolSection"]["identificationModule"]["nctId"] = "NCT9000002"
    (folder / "bad-id.json").write_text(json.dumps(tree, indent=2))
    shutil.copy(GOOD, folder / "good.json")
    return folder


def test_every_bad_file_in_one_run_and_the_live_store_is_kept(tmp_path, bad_folder):
    store = tmp_path / "store"
    build(store, extra_sources=[GOOD])
    before = EmbeddedStore(store).select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0]
    with pytest.raises(SourceError) as exc:
        build(store, extra_sources=sorted(bad_folder.glob("*.json")))
    problems = {Path(p.file).name: p for p in exc.value.problems}
    assert set(problems) == {"v1-single.json", "NCT90000003.json", "bad-id.json"}
    assert problems["bad-id.json"].field == "protocolSection.identificationModule.nctId" and problems["bad-id.json"].line > 1
    assert "malformed NCT ID" in problems["bad-id.json"].message
    assert "ends in the middle of the JSON" in problems["NCT90000003.json"].message
    assert "retired v1 format" in problems["v1-single.json"].message
    after = EmbeddedStore(store).select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0]
    assert after == before


def test_bad_curated_and_bad_registry_files_are_reported_together(tmp_path, mini_data, bad_folder):
    (mini_data / "records" / "example-2025.yaml").write_text("document:\n  key: pub/x\n  a: NoSuchClass\n")
    with pytest.raises(SourceError) as exc:
        build(tmp_path / "store", data=mini_data, extra_sources=[bad_folder / "v1-single.json"])
    files = {Path(p.file).name for p in exc.value.problems}
    assert {"example-2025.yaml", "v1-single.json"} <= files


def test_cli_lists_every_bad_file_with_hints_that_work(tmp_path, bad_folder):
    code, output = run("--store", str(tmp_path / "store"), "build", "--source-dir", str(bad_folder))
    assert code == 1
    assert "3 problem(s) in the sources" in output
    assert "hint: msckg fetch ctgov NCT90000007 --out ctgov-cache && msckg build --source-dir ctgov-cache" in output
    assert "hint: msckg fetch ctgov NCT90000003" in output  # the truncated download names its own re-fetch
    # 'msckg check FILE', the general hint, works on registry files
    code, output = run("check", str(bad_folder / "good.json"))
    assert code == 0 and "good.json" in output and "47 in, 47 entities out, 0 rejected" in output
    code, output = run("check", str(bad_folder / "bad-id.json"))
    assert code == 1 and "malformed NCT ID" in output


def test_v1_bulk_file_names_all_its_studies():
    with pytest.raises(SourceError) as exc:
        ctgov_to_graph(FIXTURES / "v1-bulk.json")
    (p,) = exc.value.problems
    assert "retired v1 format" in p.message and "3 studies" in p.message and "API v2" in p.message
    assert p.hint.startswith("msckg fetch ctgov NCT90000007 NCT90000008 NCT90000009 ")


def test_the_v1_hint_works_against_a_v2_server(tmp_path):
    """The command a v1 file's hint names fetches its v2 record (here from a local server: no network)."""
    with pytest.raises(SourceError) as exc:
        ctgov_to_graph(FIXTURES / "v1-single.json")
    hint = exc.value.problems[0].hint
    fetch_part, build_part = hint.split(" && ")
    server = ReplayServer([({}, [{"page": "ids-page.json"}])])
    try:
        args = fetch_part.split()[1:] + ["--rate", "0"]
        args[args.index("ctgov-cache")] = str(tmp_path / "ctgov-cache")
        code, output = run(*args, env={"MSCKG_CTGOV_API": server.base})
    finally:
        server.close()
    assert code == 0, output
    assert server.requests[0][1]["filter.ids"] == "NCT90000007"
    assert build_part == "msckg build --source-dir ctgov-cache"


def test_a_v2_page_with_many_studies_names_a_command_that_splits_it(tmp_path):
    with pytest.raises(SourceError) as exc:
        ctgov_to_graph(PAGES / "search-page-1.json")
    hint = exc.value.problems[0].hint
    assert hint.startswith("msckg fetch ctgov --from-file ")
    cache = tmp_path / "split"
    command = hint.split(" (")[0].split()
    command[-1] = str(cache)
    code, output = run(*command[1:])
    assert code == 0, output
    assert len(load_registry_records(sorted(cache.glob("*.json")))) == 2


def test_one_nct_id_in_two_files_is_an_error_naming_both(tmp_path):
    a = with_update(GOOD, tmp_path / "a.json", "2024-05-01")
    b = with_update(GOOD, tmp_path / "b.json", "2023-01-02")
    with pytest.raises(SourceError) as exc:
        load_registry_records([a, b])
    (p,) = exc.value.problems
    assert str(a) in p.message and str(b) in p.message and "NCT90000002" in p.message and "--prefer newest" in p.hint


def test_prefer_newest_keeps_the_later_update_and_reports_the_other(tmp_path):
    old = with_update(GOOD, tmp_path / "old.json", "2023-01-02")
    new = with_update(GOOD, tmp_path / "new.json", "2024-05-01")
    (kept,) = load_registry_records([new, old], prefer="newest")
    assert kept.path == str(new) and kept.superseded == [(str(old), "2023-01-02")]
    code, output = run("--store", str(tmp_path / "store"), "build", "--source", str(old), "--source", str(new), "--prefer", "newest")
    assert code == 0, output
    assert f"NCT90000002: kept {new} (last update 2024-05-01); skipped {old} (last update 2023-01-02)" in output.replace("\n", "")
    same = with_update(GOOD, tmp_path / "same.json", "2024-05-01")
    with pytest.raises(SourceError) as exc:
        load_registry_records([new, same], prefer="newest")
    assert "cannot choose" in exc.value.problems[0].message


def test_a_cached_file_changed_after_its_fetch_is_reported(tmp_path):
    from msckg.loader.fetch.ctgov_api import split_file

    cache = tmp_path / "cache"
    split_file(PAGES / "search-page-1.json", cache)
    assert len(load_registry_records(sorted(cache.glob("*.json")))) == 2
    path = cache / "NCT91000001.json"
    path.write_text(path.read_text().replace("Invented UC-MSC trial one", "Edited title"))
    with pytest.raises(SourceError) as exc:
        load_registry_records(sorted(cache.glob("*.json")))
    (p,) = exc.value.problems
    assert p.file == str(path) and "changed after it was fetched" in p.message
    assert p.hint == f"msckg fetch ctgov NCT91000001 --out {cache} downloads it again"
    assert read_manifest(cache)["NCT91000002.json"].nct_id == "NCT91000002"


def test_deeply_nested_json_is_a_source_error_not_a_crash(tmp_path):
    p = tmp_path / "NCT01234567.json"
    p.write_text('{"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}, "x": ' + "[" * 5000 + "]" * 5000 + "}}")
    with pytest.raises(SourceError) as exc:
        ctgov_to_graph(p)
    (problem,) = exc.value.problems
    assert "nested more than 64 levels" in problem.message and (problem.line, problem.column) == (1, 139)


def test_a_field_of_the_wrong_json_type_is_listed_not_fatal(tmp_path):
    tree = json.loads(GOOD.read_text())
    tree["protocolSection"]["designModule"]["phases"] = "PHASE2"
    tree["protocolSection"]["armsInterventionsModule"]["armGroups"][0] = "Zetamab"
    p = tmp_path / "r.json"
    p.write_text(json.dumps(tree))
    rec = ctgov_to_graph(p)
    assert dict(rec.dropped)["protocolSection.designModule.phases"].startswith("phases is not a list")
    assert rec.ledger["arm group"] == [2, 1, 1]
