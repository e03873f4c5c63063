"""Fixtures for the Graph connector tests: a fake Entra ID + Graph server and a client for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors.graph.client import GraphClient, GraphConfig
from tests.graph.fake_graph import CLIENT_ID, CLIENT_SECRET, TENANT, FakeGraph
from tests.insights.helpers import FakeClock, FixedRandom, fast_policy, guard_network, local_server


@pytest.fixture(autouse=True)
def _local_network_only(monkeypatch: pytest.MonkeyPatch) -> None:
    guard_network(monkeypatch)


@pytest.fixture(scope="module")
def _graph_server() -> Iterator[HTTPServer]:
    with local_server() as server:  # one per module: stopping a server costs 0.5 s
        yield server


@pytest.fixture
def fake_graph(_graph_server: HTTPServer) -> Iterator[FakeGraph]:
    _graph_server.clear()
    fake = FakeGraph(_graph_server)
    try:
        yield fake
    finally:
        fake.faults.release.set()
        _graph_server.clear()


@pytest.fixture
def graph_env(fake_graph: FakeGraph) -> dict[str, str]:
    return {
        "FLEXLENS_GRAPH_BASE_URL": fake_graph.base_url,
        "FLEXLENS_GRAPH_LOGIN_URL": fake_graph.base_url,
        "FLEXLENS_GRAPH_TENANT_ID": TENANT,
        "FLEXLENS_GRAPH_CLIENT_ID": CLIENT_ID,
        "FLEXLENS_GRAPH_CLIENT_SECRET": CLIENT_SECRET,
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def graph_client(graph_env: dict[str, str], clock: FakeClock) -> Callable[..., GraphClient]:
    def make(**policy: Any) -> GraphClient:
        return GraphClient(
            GraphConfig.from_env(graph_env),
            policy=fast_policy(**policy),
            clock=clock,
            rng=FixedRandom(),
        )

    return make
