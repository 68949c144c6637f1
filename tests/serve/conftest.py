"""Stores and servers for the serving tests: the seed graph plus hostile labels and the W3C protocol
graphs, served once per session; strict limits and other set-ups get their own servers."""

from __future__ import annotations

import pytest

from tests.serve.server import MsckgServer, add_graphs, fixture_nquads


@pytest.fixture(scope="session")
def served_store(tmp_path_factory):
    """The seed graph (data/), plus the hostile-label fixture and the protocol test graphs."""
    from msckg.graph.build.run import build

    folder = tmp_path_factory.mktemp("served") / "store"
    build(folder)
    add_graphs(folder, fixture_nquads("hostile.nq", "protocol_graphs.nq"))
    return folder


@pytest.fixture(scope="session")
def server(served_store):
    """`msckg serve` on the served store with the default limits (a 20 s deadline for slow CI)."""
    s = MsckgServer(served_store, deadline=20)
    yield s
    s.stop()
