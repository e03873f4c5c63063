"""Load times at the target scale (opt-in: FLEXLENS_SCALE_TESTS=1; ~1 minute, ~1 GB of disk).

20,000 people x 12 months ~ 10 million agent sessions as 12 monthly Parquet files of 850,000
rows, plus a CSV of 1,000,000 rows, loaded into an on-disk warehouse.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from connectors.load import load_source

pytestmark = pytest.mark.skipif(
    os.environ.get("FLEXLENS_SCALE_TESTS") != "1", reason="set FLEXLENS_SCALE_TESTS=1 to run"
)

logger = logging.getLogger(__name__)

ROWS_PER_MONTH = 850_000


def _sessions(n: int, month: int, *, text_times: bool) -> pa.Table:
    rng = np.random.default_rng(month)
    people = rng.integers(0, 20_000, n)
    products = np.array(["Revit 2025", "AutoCAD 2024", "Civil 3D 2025", "Navisworks Manage 2025"])
    kind = rng.integers(0, 4, n)
    start = np.datetime64(f"2026-{month:02d}-01T00:00:00", "us").astype(np.int64)
    started = start + rng.integers(0, 28 * 86_400, n) * 1_000_000
    ended = started + rng.integers(60, 8 * 3600, n) * 1_000_000
    started_col: pa.Array = pa.array(started, pa.timestamp("us", "UTC"))
    ended_col: pa.Array = pa.array(ended, pa.timestamp("us", "UTC"))
    if text_times:
        started_col = started_col.cast(pa.timestamp("s")).cast(pa.string())
        ended_col = ended_col.cast(pa.timestamp("s")).cast(pa.string())
    return pa.table(
        {
            "session_id": pa.array(np.char.add(f"m{month}-", np.arange(n).astype(str))),
            "user": pa.array(np.char.add("CORP\\u", people.astype(str))),
            "host": pa.array(np.char.add("WS-", people.astype(str))),
            "product": pa.array(products[kind]),
            "started_at": started_col,
            "ended_at": ended_col,
            "active_seconds": pa.array((ended - started) // 2_000_000),
            "licence_method": pa.array(np.where(kind % 2 == 0, "flex", "named")),
        }
    )


def test_twelve_months_of_parquet_load_in_well_under_two_minutes(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "usage").mkdir(parents=True)
    for month in range(1, 13):
        table = _sessions(ROWS_PER_MONTH, month, text_times=False)
        pq.write_table(table, landing / "usage" / f"sessions-2026-{month:02d}.parquet")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        started = time.perf_counter()
        result = load_source(con, landing, "usage")
        elapsed = time.perf_counter() - started
        again = time.perf_counter()
        assert load_source(con, landing, "usage").files_unchanged == 12
        unchanged = time.perf_counter() - again
        count = con.execute("select count(*), max(_source_row) from raw.agent_sessions").fetchall()
    logger.warning(
        "12 x %d Parquet rows: %.1f s (re-run %.1f s)", ROWS_PER_MONTH, elapsed, unchanged
    )
    assert result.rows_loaded == 12 * ROWS_PER_MONTH
    assert count == [(12 * ROWS_PER_MONTH, ROWS_PER_MONTH)]
    assert elapsed < 60


def test_a_million_csv_rows(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "usage").mkdir(parents=True)
    pacsv.write_csv(_sessions(1_000_000, 1, text_times=True), landing / "usage" / "big.csv")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        started = time.perf_counter()
        result = load_source(con, landing, "usage")
        elapsed = time.perf_counter() - started
    logger.warning("1,000,000 CSV rows: %.1f s", elapsed)
    assert (result.rows_loaded, result.rows_quarantined) == (1_000_000, 0)
    assert elapsed < 20
