"""A query whose worker goes over the memory cap is killed and answered with a clear 503 (not the deadline's),
and the pool recovers: the worker is replaced and the next query is answered."""

from __future__ import annotations

import httpx
import pytest

from tests.serve.server import MsckgServer
from tests.serve.test_limits import _until_ok

# sorting a cross product of the graph with itself holds every row at once: gigabytes within seconds
HUNGRY = "SELECT ?a ?c ?b ?d WHERE { ?a ?p ?b . ?c ?q ?d } ORDER BY ?b ?d ?a ?c"
CAP = 400  # MiB: a worker with the store open holds about 80


@pytest.fixture(scope="module")
def capped(served_store):
    s = MsckgServer(served_store, workers=1, deadline=120, memory_cap=CAP)
    yield s
    s.stop()


def test_a_query_over_the_memory_cap_gets_a_503_and_the_pool_recovers(capped):
    small = httpx.get(capped.sparql, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}, timeout=60)
    assert small.status_code == 200  # an ordinary query stays well under the cap
    resp = httpx.post(capped.sparql, data={"query": HUNGRY}, timeout=150)
    assert resp.status_code == 503
    assert f"more than {CAP} MiB of memory" in resp.text and "--memory-cap" in resp.text
    assert "deadline" not in resp.text
    pool = httpx.get(f"{capped.base}/health", timeout=10).json()["pool"]
    assert pool["killed_over_memory"] == 1 and pool["killed_at_deadline"] == 0 and pool["memory_cap_mib"] == CAP
    ok = _until_ok(capped.sparql, {"query": "ASK { ?s ?p ?o }"})
    assert ok.status_code == 200 and ok.json()["boolean"] is True
    pool = httpx.get(f"{capped.base}/health", timeout=10).json()["pool"]
    assert pool["restarted"] >= 1 and pool["workers"] == 1


def test_the_cap_is_in_the_published_limits(capped):
    limits = httpx.get(f"{capped.base}/health", timeout=10).json()["limits"]
    assert limits["memory_cap_mib"] == CAP
