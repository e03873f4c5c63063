"""Build the network marts for real: landing files -> raw tables -> dbt (only the network lineage).

:func:`build_network_warehouse` writes ``raw.run_context`` as the pipeline's first asset does,
loads every landing source with the real loader, runs ``dbt build`` on the models the network
marts (and the quarantine list) need, and returns a read-only query function on the warehouse.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from connectors.load import ensure_raw_tables, load_landing
from connectors.raw_schema import RUN_CONTEXT_COLUMNS, RUN_CONTEXT_TABLE
from orchestration.resources import dbt_executable, dbt_project_dir
from orchestration.settings import Settings

SELECTION = (
    "+rpt_network_concurrency +rpt_network_concurrency_curve +rpt_named_user_sizing "
    "+int_rows_quarantined"
)

Query = Callable[[str], list[tuple[Any, ...]]]


def _write_context(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: str,
    timezone: str,
    token_price: float | None,
    analysis_window_days: int,
) -> None:
    # every other column of raw.run_context mirrors the setting of the same name
    settings = Settings(
        timezone=timezone, token_price=token_price, analysis_window_days=analysis_window_days
    )
    row = {name: getattr(settings, name, None) for name in RUN_CONTEXT_COLUMNS} | {
        "run_id": "network-test",
        "as_of": as_of,
        "org_timezone": timezone,
    }
    columns = ", ".join(f"{name} {kind}" for name, kind in RUN_CONTEXT_COLUMNS.items())
    con.execute(f"create or replace table raw.{RUN_CONTEXT_TABLE} ({columns})")
    con.execute(
        f"insert into raw.{RUN_CONTEXT_TABLE} values ({', '.join('?' for _ in row)})",
        [row[name] for name in RUN_CONTEXT_COLUMNS],
    )


def build_network_warehouse(
    work: Path,
    landing: Path,
    *,
    as_of: str,
    timezone: str = "Europe/London",
    token_price: float | None = None,
    analysis_window_days: int = 365,
) -> Query:
    """Load ``landing`` into a new warehouse in ``work`` and build the network marts there."""
    warehouse = work / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_tables(con)
        _write_context(
            con,
            as_of=as_of,
            timezone=timezone,
            token_price=token_price,
            analysis_window_days=analysis_window_days,
        )
        load_landing(con, landing)
    project = str(dbt_project_dir())
    env = {
        **os.environ,
        "FLEXLENS_WAREHOUSE": str(warehouse),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        dbt_executable(),
        "build",
        "--project-dir",
        project,
        "--profiles-dir",
        project,
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--select",
        SELECTION,
        "--indirect-selection",
        "cautious",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]

    def query(sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()

    return query
