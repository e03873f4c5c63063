from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.defs.export.exports import write_export


def _warehouse(tmp_path: Path, users: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / f"w{users}.duckdb"))
    con.execute("create schema marts")
    con.execute(f"create table marts.dim_users as select range as user_key from range({users})")
    con.execute("create table marts.fct_sessions as select 's1' as session_id")
    con.execute("create view marts.not_a_mart as select 1 as x")
    return con


def test_export_writes_every_mart_and_a_manifest(tmp_path: Path) -> None:
    con = _warehouse(tmp_path, 3)
    result = write_export(
        con, tmp_path / "exports", run_id="abcdef12-3456", as_of="2026-11-01T00:00:00+00:00"
    )
    latest = tmp_path / "exports" / "latest"
    assert latest.is_symlink() and latest.resolve() == result.run_folder.resolve()
    assert sorted(p.name for p in latest.iterdir()) == [
        "dim_users.csv",
        "dim_users.parquet",
        "fct_sessions.csv",
        "fct_sessions.parquet",
        "manifest.json",
    ]
    assert len(pd.read_parquet(latest / "dim_users.parquet")) == 3
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["row_counts"] == {"dim_users": 3, "fct_sessions": 1}
    assert manifest["as_of"] == "2026-11-01T00:00:00+00:00"
    assert set(manifest["sha256"]) == {
        "dim_users.csv",
        "dim_users.parquet",
        "fct_sessions.csv",
        "fct_sessions.parquet",
    }


def test_a_second_export_swaps_latest_and_keeps_the_retention(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    folders = []
    for run in range(4):
        con = _warehouse(tmp_path, run + 1)
        folders.append(
            write_export(
                con, exports, run_id=f"{run:08d}-run", as_of="x", retention_runs=2
            ).run_folder
        )
        con.close()
    assert len(pd.read_parquet(exports / "latest" / "dim_users.parquet")) == 4
    kept = sorted(p.name for p in exports.iterdir() if p.is_dir() and not p.is_symlink())
    assert kept == sorted(f.name for f in folders[-2:])
