"""Fixtures for the Insights connector tests: a fake APS server and a client pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from connectors.insights.client import InsightsClient, InsightsConfig
from tests.insights.fake_insights import CLIENT_ID, CLIENT_SECRET, PAT, FakeInsights
from tests.insights.helpers import FakeClock, FixedRandom, fast_policy, guard_network, local_server


@pytest.fixture(autouse=True)
def _local_network_only(monkeypatch: pytest.MonkeyPatch) -> None:
    guard_network(monkeypatch)


@pytest.fixture(scope="module")
def _aps_server() -> Iterator[HTTPServer]:
    with local_server() as server:  # one per module: stopping a server costs 0.5 s
        yield server


@pytest.fixture
def fake_aps(_aps_server: HTTPServer) -> Iterator[FakeInsights]:
    _aps_server.clear()
    fake = FakeInsights(_aps_server)
    try:
        yield fake
    finally:
        fake.faults.release.set()
        _aps_server.clear()


@pytest.fixture
def aps_env(fake_aps: FakeInsights) -> dict[str, str]:
    return {
        "FLEXLENS_APS_BASE_URL": fake_aps.base_url,
        "FLEXLENS_APS_CLIENT_ID": CLIENT_ID,
        "FLEXLENS_APS_CLIENT_SECRET": CLIENT_SECRET,
        "FLEXLENS_APS_PAT": PAT,
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def insights_client(aps_env: dict[str, str], clock: FakeClock) -> Callable[..., InsightsClient]:
    """A client for the fake server: short real timeouts, waits on the fake clock."""

    def make(**policy: Any) -> InsightsClient:
        return InsightsClient(
            InsightsConfig.from_env(aps_env),
            policy=fast_policy(**policy),
            clock=clock,
            rng=FixedRandom(),
        )

    return make
