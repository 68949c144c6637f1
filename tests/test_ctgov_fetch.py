"""`msckg fetch ctgov` against a local server on 127.0.0.1 replaying recorded pages (tests/ctgov_replay.py): paging,
Retry-After, 5xx retries, timeouts, truncated bodies, a v1 answer, NCT IDs, the cache and its manifest, and a build
from the cache. No test reaches the internet."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from msckg.graph.cli import app
from msckg.graph.store.embedded import EmbeddedStore
from msckg.loader.fetch.cache import read_manifest
from msckg.loader.fetch.ctgov_api import Client, FetchError, Search, fetch, split_file

from .ctgov_replay import PAGES, ReplayServer

SEARCH = [({"pageToken": "tok-page-2"}, [{"page": "search-page-2.json"}]),
          ({"pageToken": "tok-page-3"}, [{"page": "search-page-3.json"}]),
          ({"query.term": "umbilical"}, [{"page": "search-page-1.json"}])]


@pytest.fixture
def replay(request):
    servers = []

    def start(rules):
        s = ReplayServer(rules)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.close()


def client(server, **kw) -> tuple[Client, list[float]]:
    slept: list[float] = []
    kw.setdefault("per_minute", 0)
    return Client(server.base, sleep=slept.append, **kw), slept


def run(*args):
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


def test_paged_search_through_the_cli_fills_the_cache_and_builds(replay, tmp_path):
    server = replay(SEARCH)
    cache = tmp_path / "cache"
    code, output = run("fetch", "ctgov", "--query", "umbilical", "--out", str(cache), "--base-url", server.base, "--rate", "0")
    assert code == 0, output
    assert "fetched 5 record(s) of 5 matching" in output and "next: msckg build --source-dir" in output
    # three pages, in order: the first asks for the total count, the next two carry the page tokens
    assert [p.get("pageToken") for _, p in server.requests] == [None, "tok-page-2", "tok-page-3"]
    assert server.requests[0][1]["countTotal"] == "true" and all(p["query.term"] == "umbilical" for _, p in server.requests)
    assert all(path == "/api/v2/studies" and p["format"] == "json" for path, p in server.requests)
    manifest = read_manifest(cache)
    expected = {s["protocolSection"]["identificationModule"]["nctId"]
                for n in (1, 2, 3) for s in json.loads((PAGES / f"search-page-{n}.json").read_text())["studies"]}
    assert {e.nct_id for e in manifest.values()} == expected
    for name, e in manifest.items():
        data = (cache / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == e.sha256 and len(data) == e.bytes and e.fetched_at
        assert json.loads(data)["protocolSection"]["identificationModule"]["nctId"] == e.nct_id
    assert manifest["NCT91000004.json"].last_update_post_date == "2024-03-03"
    # build from the cache: every record loads, with its fetch time
    store = tmp_path / "store"
    code, output = run("--store", str(store), "build", "--source-dir", str(cache), "--format", "json")
    assert code == 0, output
    report = json.loads(output[output.index("{"):])
    assert sum(1 for s in report["sources"] if s["file"].endswith(".json")) == 5
    rows = EmbeddedStore(store).select('SELECT ?d ?t WHERE { ?d <https://w3id.org/msckg/retrievedAt> ?t }')
    assert len(rows.rows) == 5


def test_max_stops_paging(replay, tmp_path):
    server = replay(SEARCH)
    c, _ = client(server)
    result = fetch(Search(query="umbilical", limit=3), tmp_path, c)
    assert len(result.written) == 3 and len(server.requests) == 2
    assert server.requests[0][1]["pageSize"] == "3"


def test_429_waits_the_retry_after_seconds(replay, tmp_path):
    server = replay([({}, [{"status": 429, "headers": {"Retry-After": "7"}, "body": "{}"}, {"page": "ids-page.json"}])])
    c, slept = client(server, backoff=0.01)
    result = fetch(Search(ids=["NCT91000002", "NCT91000004"]), tmp_path, c)
    assert slept == [7.0] and len(result.written) == 2 and len(server.requests) == 2


def test_500_then_success_backs_off_exponentially(replay, tmp_path):
    server = replay([({}, [{"status": 500, "body": "oops"}, {"status": 503, "body": "busy"}, {"page": "ids-page.json"}])])
    c, slept = client(server, backoff=0.5)
    result = fetch(Search(ids=["NCT91000002", "NCT91000004"]), tmp_path, c)
    assert slept == [0.5, 1.0] and {e.nct_id for e in result.written} == {"NCT91000002", "NCT91000004"}


def test_truncated_body_is_retried(replay, tmp_path):
    page = (PAGES / "ids-page.json").read_text()
    server = replay([({}, [{"body": page, "cut": 300}, {"body": page[:400]}, {"page": "ids-page.json"}])])
    c, slept = client(server, backoff=0.1)
    result = fetch(Search(ids=["NCT91000002", "NCT91000004"]), tmp_path, c)
    assert len(server.requests) == 3 and slept == [0.1, 0.2] and len(result.written) == 2


def test_always_truncated_gives_up_and_keeps_what_was_fetched(replay, tmp_path):
    page2 = (PAGES / "search-page-2.json").read_text()
    server = replay([({"pageToken": "tok-page-2"}, [{"body": page2, "cut": 120}]),
                     ({"query.term": "umbilical"}, [{"page": "search-page-1.json"}])])
    c, _ = client(server, retries=2, backoff=0)
    with pytest.raises(FetchError) as exc:
        fetch(Search(query="umbilical"), tmp_path, c)
    assert "gave up after 3 attempts" in str(exc.value) and "the connection failed" in str(exc.value)
    assert "records fetched so far are in the cache" in exc.value.hint
    assert sorted(read_manifest(tmp_path)) == ["NCT91000001.json", "NCT91000002.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["NCT91000001.json", "NCT91000002.json", "manifest.tsv"]


def test_timeout_is_retried_then_reported(replay, tmp_path):
    server = replay([({}, [{"page": "ids-page.json", "delay": 1.0}])])
    c, _ = client(server, timeout=0.2, retries=1, backoff=0)
    with pytest.raises(FetchError) as exc:
        fetch(Search(ids=["NCT91000002"]), tmp_path, c)
    assert "did not answer in time" in str(exc.value) and len(server.requests) == 2


def test_v1_answer_is_refused_at_once(replay, tmp_path):
    server = replay([({}, [{"page": "v1-answer.json"}])])
    code, output = run("fetch", "ctgov", "NCT91000001", "--out", str(tmp_path), "--base-url", server.base, "--rate", "0")
    assert code == 1 and "retired v1 format" in output and "FullStudiesResponse" in output
    assert "hint: msckg reads API v2 only" in output and len(server.requests) == 1
    assert not list(tmp_path.glob("*.json"))


def test_nct_ids_go_in_filter_ids_and_missing_ones_are_reported(replay, tmp_path):
    server = replay([({}, [{"page": "ids-page.json"}])])
    code, output = run("fetch", "ctgov", "NCT91000002", "nct91000004", "NCT91000099", "--out", str(tmp_path),
                       "--base-url", server.base, "--rate", "0")
    assert code == 0, output
    assert server.requests[0][1]["filter.ids"] == "NCT91000002,NCT91000004,NCT91000099"
    assert "not found: NCT91000099" in output
    code, output = run("fetch", "ctgov", "NCT123", "--out", str(tmp_path), "--base-url", server.base)
    assert code == 1 and "not NCT IDs: NCT123" in output and len(server.requests) == 1


def test_rate_limit_spaces_requests():
    clock = [0.0]
    slept: list[float] = []

    def sleep(s):
        slept.append(s)
        clock[0] += s

    c = Client("http://127.0.0.1:9/api/v2", per_minute=30, sleep=sleep, clock=lambda: clock[0])
    for _ in range(3):
        c._polite()
        clock[0] += 0.5  # the request takes half a second
    assert slept == [1.5, 1.5]  # 30 a minute: one every 2 s


def test_from_file_splits_a_saved_page_without_network(tmp_path):
    result = split_file(PAGES / "search-page-1.json", tmp_path)
    assert [e.nct_id for e in result.written] == ["NCT91000001", "NCT91000002"]
    assert set(read_manifest(tmp_path)) == {"NCT91000001.json", "NCT91000002.json"}
    with pytest.raises(FetchError):
        split_file(PAGES / "v1-answer.json", tmp_path)


def test_nothing_to_fetch_is_a_clear_error(tmp_path):
    code, output = run("fetch", "ctgov", "--out", str(tmp_path))
    assert code == 1 and "nothing to fetch" in output


def test_only_the_fetch_package_opens_connections():
    """Registry access happens in loader/fetch and nowhere else: no other module imports an HTTP client (but the
    remote store, which talks to the SPARQL endpoint a user names with --endpoint)."""
    import re

    root = Path(__file__).resolve().parents[1]
    pattern = re.compile(r"^\s*(import|from)\s+(httpx|requests|urllib\.request|http\.client|aiohttp)\b", re.MULTILINE)
    offenders = [str(p.relative_to(root)) for folder in ("graph", "loader") for p in (root / folder).rglob("*.py")
                 if pattern.search(p.read_text(encoding="utf-8")) and "fetch" not in p.relative_to(root).parts]
    assert offenders == ["graph/store/remote_http.py"]  # every remote-store request goes through its exchange()
