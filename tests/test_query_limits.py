"""`msckg query` and `ask` stop at --timeout (a clear line, exit 124) and at Ctrl-C (one line, exit 130, no
traceback), and the worker process that computed the query is gone afterwards; run as real subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fault_server import FaultServer

MSCKG = str(Path(sys.executable).parent / "msckg")
# a triple cross product over the mini store: some 3e10 solutions, far past any limit used here
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def msckg(store: Path, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([MSCKG, "--store", str(store), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def endless(store: Path) -> Path:
    path = store.parent / "endless.rq"
    path.write_text(ENDLESS, encoding="utf-8")
    return path


def children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def gone(pid: int, within: float = 10.0) -> bool:
    """True once `pid` is no longer a live process (a zombie counts as gone)."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z":
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.1)
    return False


def wait_for_worker(proc: subprocess.Popen, within: float = 30.0) -> int:
    end = time.monotonic() + within
    while time.monotonic() < end:
        kids = children(proc.pid)
        if kids:
            return kids[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the query worker never started")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from msckg.graph.build.run import build
    from tests.conftest import MINI

    folder = tmp_path_factory.mktemp("limits") / "store"
    build(folder, data=MINI)
    return folder


def test_query_stops_at_its_timeout_with_a_clear_line_and_exit_124(store):
    proc = msckg(store, "query", "--timeout", "2", str(endless(store)))
    worker = wait_for_worker(proc)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 124
    assert "the query ran past the 2 s limit (--timeout) and was stopped" in err
    assert "--timeout" in err.splitlines()[-1] and "Traceback" not in err and out == ""
    assert gone(worker)


def test_ask_takes_a_timeout_too(store):
    fast = msckg(store, "ask", "trials", "--timeout", "120", "--format", "csv")
    out, err = fast.communicate(timeout=150)
    assert fast.returncode == 0, err
    assert out.startswith("trial,") and len(out.splitlines()) > 1
    cut = msckg(store, "ask", "trials", "--timeout", "0.001")
    out, err = cut.communicate(timeout=60)
    assert cut.returncode == 124 and "0.001 s limit" in err and out == "", (cut.returncode, out, err)


def test_a_negative_timeout_is_refused(store):
    proc = msckg(store, "query", "--timeout", "-1", "-")
    out, err = proc.communicate("SELECT * WHERE { ?s ?p ?o } LIMIT 1", timeout=60)
    assert proc.returncode == 1 and "--timeout must be 0 (no limit) or a positive number" in err


@pytest.mark.parametrize("to_group", [True, False], ids=["ctrl-c-at-a-terminal", "sigint-to-msckg-only"])
def test_ctrl_c_stops_the_query_at_once_with_one_line_and_exit_130(store, to_group):
    """At a terminal Ctrl-C reaches the whole process group; `kill -INT` reaches msckg alone. Either way
    msckg ends well within the default 60 s limit, says so in one line and leaves no worker behind."""
    proc = msckg(store, "query", str(endless(store)), start_new_session=True)
    worker = wait_for_worker(proc)
    time.sleep(0.5)  # the worker is computing
    sent = time.monotonic()
    if to_group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 30 and proc.returncode == 130
    assert err == "interrupted (Ctrl-C)\n" and out == ""
    assert gone(worker)


def test_a_remote_query_takes_the_command_timeout():
    """On a remote store the command's --timeout caps the whole request (here: a server that never answers)."""
    server = FaultServer()
    try:
        server.faults[:] = ["hang"]
        proc = subprocess.Popen([MSCKG, "--endpoint", server.url, "query", "--timeout", "2", "-"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started = time.monotonic()
        out, err = proc.communicate("SELECT * WHERE { ?s ?p ?o }", timeout=60)
        assert proc.returncode == 1 and out == "" and "Traceback" not in err
        assert "2" in err and "timeout" in err.lower()
        assert time.monotonic() - started < 30  # the global default (30 s) did not apply
    finally:
        server.close()


def test_a_query_over_the_memory_cap_is_stopped_with_exit_124(store):
    """Sorting a cross product holds every row at once: the worker passes 300 MiB within seconds."""
    path = store.parent / "hungry.rq"
    path.write_text("SELECT ?a ?c ?b ?d WHERE { ?a ?p ?b . ?c ?q ?d } ORDER BY ?b ?d ?a ?c", encoding="utf-8")
    proc = msckg(store, "query", "--memory-cap", "300", "--timeout", "120", str(path))
    worker = wait_for_worker(proc)
    out, err = proc.communicate(timeout=150)
    assert proc.returncode == 124 and out == "" and "Traceback" not in err
    assert "the query needed more than 300 MiB of memory (--memory-cap) and was stopped" in err
    assert gone(worker)
