"""The search index written by a process of its own beside the load and validation (graph/build/index_worker.py):
the same index as written in the build's process, a failure of either side stops the other, and a killed
build leaves no index process behind."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from benchmarks.generate import generate
from msckg.graph.build.index_worker import BESIDE_ENV, FAIL_STEP, HOLD_ENV, IndexFailed
from msckg.graph.build.run import FAIL_ENV, KILL_ENV, BuildFailed, build
from msckg.graph.search.rank import Searcher

from .test_build import fingerprint
from .test_search_index_build import _tables

MSCKG = str(Path(sys.executable).parent / "msckg")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    generate(30, out, violations=2)
    return out


def _build(store: Path, corpus: Path, monkeypatch, beside: str, fail: str | None = None):
    monkeypatch.setenv(BESIDE_ENV, beside)
    if fail:
        monkeypatch.setenv(FAIL_ENV, fail)
    else:
        monkeypatch.delenv(FAIL_ENV, raising=False)
    return build(store, data=corpus / "data", extra_sources=[corpus / "ctgov"], full=True)


def test_the_index_written_beside_equals_the_one_written_in_process(corpus, tmp_path, monkeypatch):
    inline = _build(tmp_path / "inline", corpus, monkeypatch, "0")
    beside = _build(tmp_path / "beside", corpus, monkeypatch, "1")
    assert beside.canonical_hash == inline.canonical_hash
    assert _tables(beside.generation / "search") == _tables(inline.generation / "search")
    index = {r.generation.parent.name: next(p for p in r.phases if p.name == "index") for r in (inline, beside)}
    assert index["beside"].beside and not index["inline"].beside and index["beside"].cpu > 0.3  # the child's CPU is counted
    hits = [[h.iri for h in Searcher(r.generation / "search").search("adverse event", limit=10).hits] for r in (inline, beside)]
    assert hits[0] == hits[1] and hits[0]
    assert not multiprocessing.active_children()
    assert not list((tmp_path / "beside").glob(".nquads-*"))


def test_a_failing_index_process_fails_the_build_and_keeps_the_live_store(corpus, tmp_path, monkeypatch):
    store = tmp_path / "s"
    _build(store, corpus, monkeypatch, "1")
    before = fingerprint(store)
    with pytest.raises(IndexFailed, match="injected failure in the search index process"):
        _build(store, corpus, monkeypatch, "1", fail=FAIL_STEP)
    assert fingerprint(store) == before
    assert [g.name for g in store.glob("gen-*")] == [before[1]] and not list(store.glob(".nquads-*"))


def test_a_failed_validation_stops_the_index_process(corpus, tmp_path, monkeypatch):
    store = tmp_path / "s"
    _build(store, corpus, monkeypatch, "1")
    before = fingerprint(store)
    with pytest.raises((BuildFailed, RuntimeError), match="validate"):
        _build(store, corpus, monkeypatch, "1", fail="validate")
    assert not multiprocessing.active_children()  # killed and reaped, not left writing into a removed generation
    assert fingerprint(store) == before and [g.name for g in store.glob("gen-*")] == [before[1]]


def _with_mark(mark: str) -> list[int]:
    """Processes whose environment holds MSCKG_TEST_MARK=mark."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            env = (d / "environ").read_bytes()
        except OSError:
            continue
        if f"MSCKG_TEST_MARK={mark}".encode() in env.split(b"\0"):
            out.append(int(d.name))
    return out


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux's /proc to find the index process")
@pytest.mark.parametrize("step", ["load", "validate"])
def test_a_build_killed_while_the_index_is_written_leaves_no_index_process(corpus, tmp_path, step):
    store, mark = tmp_path / "s", uuid.uuid4().hex
    env = {**os.environ, BESIDE_ENV: "1", KILL_ENV: step, "MSCKG_TEST_MARK": mark, HOLD_ENV: "60"}
    env.pop(FAIL_ENV, None)
    cmd = [MSCKG, "-q", "--store", str(store), "build", "--data", str(corpus / "data"), "--source-dir", str(corpus / "ctgov")]
    with open(tmp_path / "stderr", "w") as err:  # a file, not a pipe: run() would wait for every holder of a pipe
        p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, timeout=300)
    assert p.returncode == -signal.SIGKILL, (tmp_path / "stderr").read_text()[-2000:]
    deadline = time.monotonic() + 1  # the kernel kills it with the build (PR_SET_PDEATHSIG); writing the index takes longer
    while _with_mark(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _with_mark(mark), "the index process outlived the build"
    env.pop(KILL_ENV), env.pop(HOLD_ENV)
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "leftover" in again.stderr, again.stderr[-2000:]
