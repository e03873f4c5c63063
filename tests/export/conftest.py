"""A throwaway PostgreSQL server for the delivery tests (see pg_cluster.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.export.pg_cluster import start_cluster


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    cluster, reason = start_cluster()
    if cluster is None:
        pytest.skip(f"no PostgreSQL server for the delivery tests: {reason}")
    try:
        yield cluster.dsn
    finally:
        cluster.stop()
