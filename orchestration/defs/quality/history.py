"""Row counts of the marts per run, kept in the warehouse for the volume check.

One row per as-of instant and mart (a re-run of the same as-of replaces its rows), in
``quality.mart_row_counts``. The volume check compares a mart's rows with the median of the
latest earlier as-of instants.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from datetime import datetime

import duckdb

HISTORY_SCHEMA = "quality"
HISTORY_TABLE = f"{HISTORY_SCHEMA}.mart_row_counts"


def ensure_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {HISTORY_SCHEMA}")
    con.execute(
        f"create table if not exists {HISTORY_TABLE} ("
        "as_of timestamp with time zone not null, run_id varchar not null, "
        "mart varchar not null, row_count bigint not null, "
        "recorded_at timestamp with time zone not null)"
    )


def earlier_counts(
    con: duckdb.DuckDBPyConnection, mart: str, as_of: datetime, runs: int
) -> list[int]:
    """Row counts of `mart` at the `runs` latest as-of instants before `as_of` (newest first)."""
    rows = con.execute(
        f"select row_count from {HISTORY_TABLE} where mart = ? and as_of < ? "
        "order by as_of desc limit ?",
        [mart, as_of, runs],
    ).fetchall()
    return [int(count) for (count,) in rows]


def median_of(counts: list[int]) -> float | None:
    return float(statistics.median(counts)) if counts else None


def record_counts(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: datetime,
    run_id: str,
    counts: Mapping[str, int],
) -> None:
    """Store this run's row counts (replacing an earlier run's for the same as-of)."""
    ensure_history(con)
    for mart, count in counts.items():
        con.execute(f"delete from {HISTORY_TABLE} where as_of = ? and mart = ?", [as_of, mart])
        con.execute(
            f"insert into {HISTORY_TABLE} values (?, ?, ?, ?, current_timestamp)",
            [as_of, run_id, mart, int(count)],
        )
