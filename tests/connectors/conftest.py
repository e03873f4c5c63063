"""Fixtures for the landing-file connector tests (connectors/files, connectors/load.py).

Fixture names start with ``landing_`` or ``raw_`` so they cannot shadow fixtures of other test
modules in this folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.load import SourceLoadResult, load_source


@pytest.fixture
def landing_dir(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def landing_write(landing_dir: Path) -> Callable[[str, str | bytes], Path]:
    """Write a landing file (text as UTF-8, or exact bytes) at a path relative to the landing."""

    def write(rel: str, content: str | bytes) -> Path:
        path = landing_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
        return path

    return write


@pytest.fixture
def raw_con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as con:
        yield con


@pytest.fixture
def raw_load(
    raw_con: duckdb.DuckDBPyConnection, landing_dir: Path
) -> Callable[..., SourceLoadResult]:
    def load(source: str, **kwargs: Any) -> SourceLoadResult:
        return load_source(raw_con, landing_dir, source, **kwargs)

    return load


@pytest.fixture
def raw_rows(raw_con: duckdb.DuckDBPyConnection) -> Callable[..., list[dict[str, Any]]]:
    """Rows of a raw table as dicts (without ``_loaded_at``), by file and row number."""

    def rows(table: str, where: str = "true") -> list[dict[str, Any]]:
        result = raw_con.execute(
            f"select * exclude (_loaded_at) from raw.{table} where {where} "
            "order by _source_file, _source_row"
        )
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    return rows


@pytest.fixture
def raw_quarantine(raw_rows: Callable[..., list[dict[str, Any]]]) -> Callable[[], list[tuple]]:
    """Quarantine rows as (reason, value, record, _source_row)."""

    def rows() -> list[tuple]:
        return [
            (q["reason"], q["value"], q["record"], q["_source_row"]) for q in raw_rows("quarantine")
        ]

    return rows
