"""Incremental state of the API pulls: one cursor per source and scope, kept in the warehouse.

Table ``raw.extract_cursors`` (created on first use):

| column | meaning |
|---|---|
| source | the pull: ``insights_usage``, ``insights_exports``, ``graph_users`` |
| scope | what the cursor is for inside the source: an Insights team (context id), ``all`` |
| cursor_value | ISO date: last usage date fetched, last export end date, last snapshot date |
| updated_at | when the pull that wrote it finished (UTC) |
| detail | a short JSON note of that pull (rows, files, window) |

The pull functions never touch the warehouse: the orchestration layer reads the cursors before
a pull (a short connection), pulls, then writes the new cursors (another short connection), so
the DuckDB file is not held open while the network is slow. A cursor moves only after the files
it covers are in the landing folder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

CURSOR_SCHEMA = "raw"
CURSOR_TABLE = "extract_cursors"
_QUALIFIED = f"{CURSOR_SCHEMA}.{CURSOR_TABLE}"


@dataclass(frozen=True)
class Cursor:
    source: str
    scope: str
    value: str
    updated_at: datetime
    detail: dict[str, Any]


def ensure_cursor_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {CURSOR_SCHEMA}")
    con.execute(
        f"create table if not exists {_QUALIFIED} ("
        "source varchar not null, scope varchar not null, cursor_value varchar not null, "
        "updated_at timestamp with time zone not null, detail varchar, "
        "primary key (source, scope))"
    )


def read_cursors(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    """Scope -> cursor value of one source (empty before its first pull)."""
    ensure_cursor_table(con)
    rows = con.execute(
        f"select scope, cursor_value from {_QUALIFIED} where source = ? order by scope", [source]
    ).fetchall()
    return {scope: value for scope, value in rows}


def all_cursors(con: duckdb.DuckDBPyConnection) -> list[Cursor]:
    """Every cursor, by source and scope."""
    ensure_cursor_table(con)
    rows = con.execute(
        f"select source, scope, cursor_value, updated_at, detail from {_QUALIFIED} "
        "order by source, scope"
    ).fetchall()
    return [
        Cursor(source, scope, value, updated_at, json.loads(detail) if detail else {})
        for source, scope, value, updated_at, detail in rows
    ]


def write_cursors(
    con: duckdb.DuckDBPyConnection,
    source: str,
    values: Mapping[str, str],
    *,
    detail: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Set the cursors of ``source`` for the given scopes (others stay), in one transaction."""
    if not values:
        return
    ensure_cursor_table(con)
    stamp = now or datetime.now(UTC)
    note = json.dumps(dict(detail or {}), sort_keys=True, default=str)
    con.begin()
    try:
        for scope, value in values.items():
            con.execute(f"delete from {_QUALIFIED} where source = ? and scope = ?", [source, scope])
            con.execute(
                f"insert into {_QUALIFIED} values (?, ?, ?, ?, ?)",
                [source, scope, value, stamp, note],
            )
        con.commit()
    except BaseException:
        con.rollback()
        raise
