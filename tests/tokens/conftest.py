"""Fixtures of the token tests: the token models compiled once, and a fresh warehouse per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.tokens.sql_runner import CATALOG, CompiledModel, TokenWarehouse, compile_token_models


@pytest.fixture(scope="session")
def compiled_token_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CompiledModel]:
    """The token models rendered by `dbt compile` (DuckDB target), once per session (~20 s)."""
    return compile_token_models(tmp_path_factory.mktemp("token_models"))


@pytest.fixture
def token_warehouse(
    tmp_path: Path, compiled_token_models: dict[str, CompiledModel]
) -> Iterator[TokenWarehouse]:
    """An empty DuckDB warehouse named like the compiled one, with its schemas."""
    con = duckdb.connect(str(tmp_path / f"{CATALOG}.duckdb"))
    con.execute("set TimeZone = 'UTC'")
    warehouse = TokenWarehouse(con, compiled_token_models)
    warehouse.reset()
    try:
        yield warehouse
    finally:
        con.close()
