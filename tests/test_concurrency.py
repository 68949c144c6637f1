"""Builds and readers at the same time: a second build gets 'store in use' at once, queries and the server
answer from the old generation while a build runs, and a reader never sees a half-swapped store."""

from __future__ import annotations

import multiprocessing as mp
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from msckg.graph.store.embedded import EmbeddedStore
from msckg.graph.store.generations import StoreLock
from tests.serve.server import MsckgServer, add_graphs
from tests.test_build import fingerprint

MSCKG = str(Path(sys.executable).parent / "msckg")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
SWAPS = 20
BASE = 500  # triples in the first generation; each swap adds one


def _triple(i: int, kind: str = "s") -> bytes:
    return f'<http://example.org/{kind}{i}> <http://example.org/p> "{i}" <http://example.org/g> .\n'.encode()


def _count(store) -> int:
    return int(store.select(COUNT).rows[0][0])


def _reader(folder: str, stop, answers) -> None:
    """Open the live store and count its triples, again and again, until told to stop."""
    seen, errors = [], []
    while not stop.is_set():
        try:
            seen.append(_count(EmbeddedStore(Path(folder))))
        except Exception as exc:  # any error is a reader that saw a half-swapped store
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
    answers.put((seen, errors))


def _swaps(store: Path) -> None:
    for i in range(SWAPS):
        add_graphs(store, _triple(i, "new"), index=False)


def test_readers_never_see_a_half_swapped_store(tmp_path):
    """Two reader processes open and query the store without pause across 20 swaps: no error, every answer
    is a whole generation's count, and no reader ever goes back to an older generation."""
    store = tmp_path / "store"
    add_graphs(store, b"".join(_triple(i) for i in range(BASE)), index=False)
    ctx = mp.get_context("spawn")
    stop, answers = ctx.Event(), ctx.Queue()
    readers = [ctx.Process(target=_reader, args=(str(store), stop, answers)) for _ in range(2)]
    for r in readers:
        r.start()
    try:
        _swaps(store)
    finally:
        stop.set()
        results = [answers.get(timeout=60) for _ in readers]
        for r in readers:
            r.join(timeout=30)
    for seen, errors in results:
        assert errors == []
        assert seen, "a reader answered nothing"
        assert set(seen) <= set(range(BASE, BASE + SWAPS + 1))
        assert seen == sorted(seen)  # a generation once seen is never replaced by an older one
    assert _count(EmbeddedStore(store)) == BASE + SWAPS


def test_an_open_reader_keeps_its_generation_until_it_lets_go(tmp_path):
    """A reader that opened generation 1 still answers from it after generation 2 goes live; the old
    folder is removed at the first swap after the reader closed it."""
    store = tmp_path / "store"
    add_graphs(store, _triple(0), index=False)
    old_reader = EmbeddedStore(store)
    first = old_reader.generation
    add_graphs(store, _triple(1), index=False)
    assert _count(EmbeddedStore(store)) == 2
    assert _count(old_reader) == 1 and first.is_dir()
    del old_reader
    add_graphs(store, _triple(2), index=False)
    assert not first.exists()
    assert len(list(store.glob("gen-*"))) == 1


def _data_quads(store: Path) -> list[str]:
    """Every quad of the live store but the build record (it holds the build's time), in canonical form."""
    from msckg.graph.build.provenance import BUILD_GRAPH
    from msckg.graph.export.rdf import canonical_quads

    quads = [q for q in EmbeddedStore(store).oxigraph if q.graph_name.value != str(BUILD_GRAPH)]
    return [str(q) for q in canonical_quads(quads)]


def _build(store: Path, data: Path) -> subprocess.Popen:
    return subprocess.Popen([MSCKG, "-q", "--store", str(store), "build", "--data", str(data)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _holds_the_lock(store: str, held, release) -> None:
    with StoreLock(Path(store)):
        held.set()
        release.wait(120)


def test_a_second_build_gets_store_in_use_at_once_and_changes_nothing(built_mini):
    """While another process holds the writer lock, 'msckg build' ends with 'store in use' (it does not
    wait for the lock: it ends while the lock is still held) and the live store is as it was."""
    store, data, _ = built_mini
    before = fingerprint(store)
    ctx = mp.get_context("spawn")
    held, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_holds_the_lock, args=(str(store), held, release))
    holder.start()
    try:
        assert held.wait(60)
        proc = _build(store, data)
        _, stderr = proc.communicate(timeout=110)  # the holder lets go only after 120 s
        assert holder.is_alive(), "the build waited for the lock instead of refusing at once"
    finally:
        release.set()
        holder.join(timeout=30)
    assert proc.returncode == 1
    assert "store in use" in stderr and str(store) in stderr and "Traceback" not in stderr
    assert fingerprint(store) == before


def test_two_builds_started_together_never_mix(built_mini):
    """Two real builds at once on one store folder: each one either builds or says 'store in use'; at least
    one builds, and the live store is exactly what one clean build gives."""
    store, data, _ = built_mini
    p = data / "records" / "example-2025.yaml"
    p.write_text(p.read_text().replace("Results ¶2", "Results ¶3"))
    builds = [_build(store, data), _build(store, data)]
    outcomes = [(b.wait(timeout=300), b.stderr.read()) for b in builds]
    assert any(rc == 0 for rc, _ in outcomes)
    for rc, stderr in outcomes:
        assert rc == 0 or ("store in use" in stderr and "Traceback" not in stderr), stderr
    from msckg.graph.build.run import build

    clean = store.parent / "clean"
    build(clean, data=data)
    assert _data_quads(store) == _data_quads(clean)
    assert len(list(store.glob("gen-*"))) == 1


def test_queries_answer_from_the_old_generation_while_a_build_runs(built_mini):
    """While 'msckg build' runs, every query answers, from the old generation until the swap and from the
    new one after it, never an error."""
    store, data, _ = built_mini
    rebuilt = 'SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(STR(?o), "rebuilt")) } }'
    marked = lambda: int(EmbeddedStore(store).select(rebuilt).rows[0][0])  # noqa: E731
    assert marked() == 0
    p = data / "records" / "example-2025.yaml"
    p.write_text(p.read_text().replace("Results ¶2", "Results ¶2 rebuilt"))
    proc = _build(store, data)
    seen = []
    while proc.poll() is None:
        seen.append(marked())
    assert proc.returncode == 0, proc.stderr.read()
    new = marked()
    assert new > 0 and seen and seen[0] == 0
    assert set(seen) <= {0, new}
    assert seen == sorted(seen)  # the old generation's answer until the swap, the new one's after it


def test_the_server_answers_every_query_across_twenty_swaps(tmp_path):
    """'msckg serve' keeps answering while generations are swapped under it: every answer is 200 and a
    whole generation's count, and it moves forward to the new generations without a restart."""
    store = tmp_path / "store"
    add_graphs(store, b"".join(_triple(i) for i in range(BASE)), index=False)
    server = MsckgServer(store, workers=2)
    stop, answers, problems = threading.Event(), [], []

    def hammer():
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                r = client.get(server.sparql, params={"query": COUNT})
                if r.status_code != 200:
                    problems.append(f"{r.status_code}: {r.text[:200]}")
                else:
                    answers.append(int(r.json()["results"]["bindings"][0]["n"]["value"]))

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        _swaps(store)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        last = httpx.get(server.sparql, params={"query": COUNT}, timeout=30).json()
    finally:
        stop.set()
        server.stop()
    assert problems == []
    assert answers and set(answers) <= set(range(BASE, BASE + SWAPS + 1))
    assert int(last["results"]["bindings"][0]["n"]["value"]) == BASE + SWAPS
