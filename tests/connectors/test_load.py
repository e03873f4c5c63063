"""connectors/load.py: bookkeeping, idempotency, replacement, history, transactions."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors import load
from connectors.files.common import Chunk
from connectors.load import SOURCES, SourceLoadResult, ensure_raw_tables, load_landing
from connectors.raw_schema import RAW_TABLES

USAGE_V1 = "user,host,product,started_at\na,WS-1,Revit 2025,2026-01-05T08:00:00\nbroken\n"
USAGE_V2 = (
    "user,host,product,started_at\n"
    "a,WS-1,Revit 2025,2026-01-05T08:00:00\n"
    "b,WS-2,AutoCAD 2024,2026-01-05T09:00:00\n"
    "c,WS-3,Civil 3D 2025,2026-01-05T10:00:00\n"
)
OTHER = "user,host,product,started_at\nz,WS-9,Revit 2025,2026-02-01T08:00:00\n"


def _count(con: duckdb.DuckDBPyConnection, table: str, where: str = "true") -> int:
    return con.execute(f"select count(*) from raw.{table} where {where}").fetchall()[0][0]


def test_missing_sub_folder_loads_nothing(raw_con, raw_load) -> None:
    result = raw_load("tokens")
    assert result == SourceLoadResult("tokens", 0, 0, 0, 0, 0)
    assert _count(raw_con, "token_packs") == 0  # the table exists, empty


def test_ensure_raw_tables_creates_every_table_and_adds_missing_columns(raw_con) -> None:
    raw_con.execute("create schema raw")
    raw_con.execute("create table raw.quarantine (source varchar, reason varchar)")
    ensure_raw_tables(raw_con)
    ensure_raw_tables(raw_con)  # twice is fine
    tables = {
        row[0]
        for row in raw_con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    }
    assert tables == {*RAW_TABLES, "loaded_files"}
    columns = [
        row[0]
        for row in raw_con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'quarantine' order by ordinal_position"
        ).fetchall()
    ]
    assert columns == ["source", "reason", "value", "record", "_source_file", "_source_row",
                       "_loaded_at"]  # fmt: skip


def test_loading_twice_changes_nothing(raw_con, raw_load, landing_write) -> None:
    landing_write("usage/a.csv", USAGE_V1)
    first = raw_load("usage")
    second = raw_load("usage")
    assert first == SourceLoadResult("usage", 1, 1, 0, 1, 1)
    assert second == SourceLoadResult("usage", 1, 0, 1, 0, 0)
    assert (_count(raw_con, "agent_sessions"), _count(raw_con, "quarantine")) == (1, 1)
    assert raw_con.sql("select 1").fetchall() == [(1,)]  # the connection is free after a load


def test_loaded_files_records_each_file(raw_con, raw_load, landing_write) -> None:
    path = landing_write("usage/sub/a.csv", USAGE_V1)
    raw_load("usage")
    [row] = raw_con.execute(
        "select source, path, sha256, size_bytes, rows_loaded, rows_quarantined, "
        "loaded_at is not null from raw.loaded_files"
    ).fetchall()
    assert row == (
        "usage",
        "usage/sub/a.csv",
        hashlib.sha256(path.read_bytes()).hexdigest(),
        path.stat().st_size,
        1,
        1,
        True,
    )


def test_changed_file_replaces_its_rows_only(raw_con, raw_load, landing_write, raw_rows) -> None:
    landing_write("usage/a.csv", USAGE_V1)
    landing_write("usage/b.csv", OTHER)
    raw_load("usage")
    landing_write("usage/a.csv", USAGE_V2)
    result = raw_load("usage")
    assert result == SourceLoadResult("usage", 2, 1, 1, 3, 0)
    assert [(r["_source_file"], r["login"]) for r in raw_rows("agent_sessions")] == [
        ("usage/a.csv", "a"),
        ("usage/a.csv", "b"),
        ("usage/a.csv", "c"),
        ("usage/b.csv", "z"),
    ]
    assert _count(raw_con, "quarantine") == 0  # the old file's broken line went with it
    assert _count(raw_con, "loaded_files") == 2


def test_same_content_under_another_name_is_skipped(
    raw_con, raw_load, landing_write, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connectors.load")
    landing_write("autodesk/export.csv", "Day used,Email,Tokens used\n2026-01-05,a@x,10\n")
    raw_load("autodesk")
    landing_write("autodesk/export (1).csv", "Day used,Email,Tokens used\n2026-01-05,a@x,10\n")
    result = raw_load("autodesk")
    assert (result.files_seen, result.files_loaded, result.files_unchanged) == (2, 0, 2)
    assert _count(raw_con, "autodesk_token_usage") == 1
    assert "autodesk: autodesk/export (1).csv skipped, same content as autodesk/export.csv" in (
        caplog.messages
    )


def test_deleted_file_keeps_its_rows(raw_con, raw_load, landing_write) -> None:
    path = landing_write("usage/a.csv", USAGE_V2)
    raw_load("usage")
    path.unlink()
    result = raw_load("usage")
    assert result == SourceLoadResult("usage", 0, 0, 0, 0, 0)
    assert _count(raw_con, "agent_sessions", "_source_file = 'usage/a.csv'") == 3


def test_content_of_a_replaced_file_loads_again_under_a_new_name(
    raw_con, raw_load, landing_write
) -> None:
    landing_write("usage/a.csv", USAGE_V1)
    raw_load("usage")
    landing_write("usage/a.csv", USAGE_V2)
    raw_load("usage")
    # the first content is no longer in the warehouse, so a copy of it is new data
    landing_write("usage/a-copy.csv", USAGE_V1)
    assert raw_load("usage").files_loaded == 1
    assert _count(raw_con, "agent_sessions", "_source_file = 'usage/a-copy.csv'") == 1


def test_unreadable_file_replaced_by_a_good_one(raw_load, landing_write, raw_rows) -> None:
    path = landing_write("usage/m.parquet", b"not parquet")
    raw_load("usage")
    assert [q["reason"] for q in raw_rows("quarantine")] == ["bad_value"]
    pq.write_table(
        pa.table({"user": ["a"], "host": ["h"], "product": ["p"], "started_at": ["t"]}), path
    )
    result = raw_load("usage")
    assert (result.files_loaded, result.rows_loaded, result.rows_quarantined) == (1, 1, 0)
    assert raw_rows("quarantine") == []


def test_a_crash_mid_file_leaves_the_earlier_load_intact(
    raw_con, raw_load, landing_write, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing_write("usage/a.csv", USAGE_V1)
    raw_load("usage")
    landing_write("usage/a.csv", USAGE_V2)
    real_read = load.usage.read_file

    def crashing_read(path: Path) -> Iterator[Chunk]:
        yield from real_read(path)
        raise RuntimeError("disk vanished")

    monkeypatch.setattr(load.usage, "read_file", crashing_read)
    with pytest.raises(RuntimeError, match="disk vanished"):
        raw_load("usage")
    # nothing of the half-read new version; the old version's rows and bookkeeping remain
    assert [r[0] for r in raw_con.execute("select login from raw.agent_sessions").fetchall()] == [
        "a"
    ]
    assert _count(raw_con, "quarantine") == 1
    assert raw_con.execute("select rows_loaded from raw.loaded_files").fetchall() == [(1,)]
    monkeypatch.setattr(load.usage, "read_file", real_read)
    assert raw_load("usage").rows_loaded == 3


def test_unknown_source_is_an_error(raw_load) -> None:
    with pytest.raises(ValueError, match="unknown source 'licences'; expected one of usage, "):
        raw_load("licences")


def test_load_landing_reads_every_source_with_lineage_on_every_row(
    raw_con, landing_dir: Path, landing_write
) -> None:
    landing_write("usage/a.csv", USAGE_V1)
    landing_write("directory/ad-2026-01-01.csv", "SamAccountName,Enabled\nasmith,True\n")
    landing_write("autodesk/u.csv", "Email,Product,Access option\na@x,Revit,Flex\n")
    landing_write("tokens/p.csv", "order_id,purchased_on,tokens\nPO-1,2025-01-01,100\n")
    landing_write("reference/products.csv", "alias,product\nacad,AutoCAD\n")
    results = load_landing(raw_con, landing_dir)
    assert [(r.source, r.rows_loaded, r.rows_quarantined) for r in results] == [
        ("usage", 1, 1),
        ("directory", 1, 0),
        ("autodesk", 1, 0),
        ("tokens", 1, 0),
        ("reference", 1, 0),
        ("flexlm", 0, 0),
    ]
    assert tuple(r.source for r in results) == SOURCES
    for table in RAW_TABLES:
        missing = _count(
            raw_con,
            table,
            "_source_file is null or _source_row is null or _loaded_at is null",
        )
        assert missing == 0, table
