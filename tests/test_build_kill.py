"""A build process killed with SIGKILL at each of its steps (incremental and full) leaves the previous
store serving, complete and unchanged; the next build removes the leftovers, says so, and succeeds."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from msckg.graph.build.dataset import canonical_hash
from msckg.graph.build.run import FAIL_ENV, KILL_ENV, STEPS, build
from msckg.graph.store.embedded import EmbeddedStore
from msckg.graph.store.terms import to_rdflib

from .test_build import fingerprint

MSCKG = str(Path(sys.executable).parent / "msckg")
COUNT = "PREFIX msckg: <https://w3id.org/msckg/> SELECT ?n WHERE { ?r a msckg:ProportionResult ; msckg:count ?n }"


def stale(store: Path) -> list[str]:
    live = (store / "current").resolve().name
    return sorted(g.name for g in store.glob("gen-*") if g.name != live)


def killed_build(store: Path, data: Path, step: str, full: bool) -> str:
    env = {**os.environ, KILL_ENV: step}
    cmd = [MSCKG, "-q", "--store", str(store), "build", "--data", str(data)] + (["--full"] if full else [])
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == -signal.SIGKILL, (step, p.returncode, p.stderr[-2000:])
    return p.stderr


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_a_build_killed_at_each_step_loses_nothing(built_mini, tmp_path, full):
    store, data, first = built_mini
    before = fingerprint(store)
    rows = EmbeddedStore(store).select(COUNT).rows
    content_before = content(store)
    rec = data / "records" / "example-2025.yaml"
    rec.write_text(rec.read_text(encoding="utf-8").replace("Results ¶2", "Results ¶3"), encoding="utf-8")
    cleaned = 0
    for step in STEPS:
        left = stale(store)  # what the previous kill left: removed by the next build, which says so
        err = killed_build(store, data, step, full)
        if left:
            assert "leftover" in err and all(name in err for name in left), (step, err[-1000:])
            cleaned += 1
        if step != "cache":  # killed before the swap: the previous store, as it was
            assert fingerprint(store) == before, step
            assert EmbeddedStore(store).select(COUNT).rows == rows, step
        else:  # killed after the swap: the new store is live and complete, only the cache's record is old
            assert content(store) == content(_full(tmp_path / "ref-cache", data)) != content_before
            before = fingerprint(store)
    assert cleaned >= 3  # the kills in load, validate and index leave a half-made generation
    res = build(store, data=data)
    assert [g.name for g in store.glob("gen-*")] == [(store / "current").resolve().name]
    assert res.canonical_hash == build(tmp_path / "fresh", data=data, full=True).canonical_hash != first.canonical_hash
    assert not list((store / ".build-cache").rglob("*.tmp"))


def content(store: Path) -> tuple[str, int]:
    """The live store's canonical hash (blank nodes relabelled, load times left out) and quad count."""
    live = ox.Store.read_only(str((store / "current").resolve()))
    graphs: dict = {}
    for q in live:
        graphs.setdefault(q.graph_name.value, Graph()).add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    n = len(live)
    del live
    return canonical_hash(graphs), n


def _full(store: Path, data: Path) -> Path:
    build(store, data=data, full=True)
    return store


def test_a_failure_saving_the_cache_keeps_the_new_store_and_the_next_build_is_full(built_mini, tmp_path, monkeypatch, caplog):
    store, data, first = built_mini
    rec = data / "records" / "example-2025.yaml"
    rec.write_text(rec.read_text(encoding="utf-8").replace("Results ¶2", "Results ¶3"), encoding="utf-8")
    monkeypatch.setenv(FAIL_ENV, "cache")
    with caplog.at_level(logging.WARNING, logger="msckg.build"):
        res = build(store, data=data)
    assert "could not be saved" in caplog.text and res.canonical_hash != first.canonical_hash
    monkeypatch.delenv(FAIL_ENV)
    assert content(store) == content(_full(tmp_path / "fresh", data))
    again = build(store, data=data)
    assert again.reused_sources == 0 and again.canonical_hash == res.canonical_hash
