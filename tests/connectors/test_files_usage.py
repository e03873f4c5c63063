"""usage/: agent sessions from CSV, JSONL and Parquet into raw.agent_sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SESSION_COLUMNS = (
    "session_id",
    "login",
    "host",
    "product",
    "product_key",
    "started_at",
    "ended_at",
    "active_seconds",
    "licence_method",
)


def _sessions(rows: list[dict[str, Any]]) -> list[tuple]:
    return [tuple(r[c] for c in (*SESSION_COLUMNS, "_source_file", "_source_row")) for r in rows]


def test_csv_with_bom_and_semicolons(landing_write, raw_load, raw_rows) -> None:
    landing_write(
        "usage/agent-2026-01.csv",
        "\ufeffsession_id;user;host;product;product_key;started_at;ended_at;active_seconds;"
        "licence_method\n"
        "s1;CORP\\alice;WS-01;Revit 2025;829Q1;2026-01-05T08:00:00+01:00;"
        "2026-01-05T12:00:00+01:00;12000;flex\n"
        ";bob@example.com;WS-02;AutoCAD 2024;;2026-01-05 09:00;;;\n",
    )
    result = raw_load("usage")
    assert (result.files_loaded, result.rows_loaded, result.rows_quarantined) == (1, 2, 0)
    assert _sessions(raw_rows("agent_sessions")) == [
        (
            "s1", "CORP\\alice", "WS-01", "Revit 2025", "829Q1", "2026-01-05T08:00:00+01:00",
            "2026-01-05T12:00:00+01:00", "12000", "flex", "usage/agent-2026-01.csv", 1,
        ),
        (
            None, "bob@example.com", "WS-02", "AutoCAD 2024", None, "2026-01-05 09:00",
            None, None, None, "usage/agent-2026-01.csv", 2,
        ),
    ]  # fmt: skip


def test_csv_header_spellings_fold_and_columns_reorder(landing_write, raw_load, raw_rows) -> None:
    landing_write(
        "usage/a.csv",
        "Started-At,HOST,Product,User,License Method,Extra\n"
        "2026-01-05T08:00:00Z,WS-01,Civil 3D 2025,sam,named,ignored\n",
    )
    raw_load("usage")
    [row] = raw_rows("agent_sessions")
    assert (row["login"], row["host"], row["product"], row["started_at"]) == (
        "sam",
        "WS-01",
        "Civil 3D 2025",
        "2026-01-05T08:00:00Z",
    )
    assert row["licence_method"] == "named"
    assert row["session_id"] is None and row["ended_at"] is None


def test_csv_bad_lines_are_quarantined_with_their_text(landing_write, raw_load, raw_rows) -> None:
    landing_write(
        "usage/a.csv",
        "user,host,product,started_at\n"
        "a,WS-1,Revit 2025,2026-01-05T08:00:00\n"
        "b,WS-2,Revit 2025\n"
        "\n"
        "c,WS-3,Revit 2025,2026-01-05T09:00:00,surplus\n"
        "d,WS-4,Revit 2025,not a time\n",
    )
    result = raw_load("usage")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    assert [(r["login"], r["_source_row"]) for r in raw_rows("agent_sessions")] == [
        ("a", 1),
        ("d", 5),  # an unparseable timestamp is text here; dbt staging rejects it
    ]
    assert [
        (q["source"], q["reason"], q["value"], q["record"], q["_source_file"], q["_source_row"])
        for q in raw_rows("quarantine")
    ] == [
        ("usage", "unparseable_line", "b,WS-2,Revit 2025", "b,WS-2,Revit 2025", "usage/a.csv", 2),
        (
            "usage",
            "unparseable_line",
            "c,WS-3,Revit 2025,2026-01-05T09:00:00,surplus",
            "c,WS-3,Revit 2025,2026-01-05T09:00:00,surplus",
            "usage/a.csv",
            4,
        ),
    ]


def test_long_bad_line_value_is_cut_at_500_characters(landing_write, raw_load, raw_rows) -> None:
    long_line = "x," * 400
    landing_write("usage/a.csv", f"user,host,product,started_at\n{long_line}\n")
    raw_load("usage")
    [q] = raw_rows("quarantine")
    assert q["value"] == long_line[:500]
    assert q["record"] == long_line


def test_csv_without_a_required_column_quarantines_every_row(
    raw_quarantine, landing_write, raw_load, raw_rows
) -> None:
    landing_write(
        "usage/a.csv",
        "user,product,ended_at\na,Revit 2025,2026-01-05\n\nb,AutoCAD 2024,2026-01-06\n",
    )
    result = raw_load("usage")
    assert (result.rows_loaded, result.rows_quarantined) == (0, 2)
    assert raw_rows("agent_sessions") == []
    assert raw_quarantine() == [
        ("missing_required", "host, started_at", "a,Revit 2025,2026-01-05", 1),
        ("missing_required", "host, started_at", "b,AutoCAD 2024,2026-01-06", 3),
    ]  # fmt: skip


def test_jsonl(landing_write, raw_load, raw_rows) -> None:
    landing_write(
        "usage/2026/agent.jsonl",
        '{"session_id": "s1", "user": "CORP\\\\alice", "host": "WS-01", "product": "Revit 2025",'
        ' "started_at": "2026-01-05T08:00:00+01:00", "ended_at": null, "active_seconds": 3600,'
        ' "licence_method": "flex"}\n'
        "\n"
        "{not json\n"
        '["an", "array"]\n'
        '{"User": "bob", "Host": "WS-02", "Product Key": "001Q1", "product": "",'
        ' "started_at": "2026-01-05T09:00:00", "active_seconds": 12.5, "unknown": 1}\n',
    )
    result = raw_load("usage")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    assert _sessions(raw_rows("agent_sessions")) == [
        (
            "s1", "CORP\\alice", "WS-01", "Revit 2025", None, "2026-01-05T08:00:00+01:00",
            None, "3600", "flex", "usage/2026/agent.jsonl", 1,
        ),
        (
            None, "bob", "WS-02", None, "001Q1", "2026-01-05T09:00:00",
            None, "12.5", None, "usage/2026/agent.jsonl", 5,
        ),
    ]  # fmt: skip
    assert [(q["reason"], q["value"], q["_source_row"]) for q in raw_rows("quarantine")] == [
        ("unparseable_line", "{not json", 3),
        ("unparseable_line", '["an", "array"]', 4),
    ]


def _write_parquet(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def test_parquet_timestamps_become_iso_text(landing_dir: Path, raw_load, raw_rows) -> None:
    paris = pa.timestamp("us", "Europe/Paris")
    _write_parquet(
        landing_dir / "usage" / "2026-01.parquet",
        pa.table(
            {
                "session_id": ["s1", "s2", ""],
                "user": ["CORP\\alice", "bob", "carol"],
                "host": ["WS-01", "WS-02", "WS-03"],
                "product": ["Revit 2025", "AutoCAD 2024", "Civil 3D 2025"],
                "started_at": pa.array(
                    [
                        datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
                        datetime(2026, 1, 5, 9, 0, 0, 250000, tzinfo=UTC),
                        datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
                    ],
                    paris,
                ),
                "ended_at": pa.array(
                    [datetime(2026, 1, 5, 12, 0), datetime(2026, 1, 5, 13, 0, 0, 5), None],
                    pa.timestamp("ns"),
                ),
                "active_seconds": pa.array([3600, None, 0], pa.int64()),
            }
        ),
    )
    result = raw_load("usage")
    assert (result.rows_loaded, result.rows_quarantined) == (3, 0)
    rows = raw_rows("agent_sessions")
    got = [(r["session_id"], r["started_at"], r["ended_at"], r["active_seconds"]) for r in rows]
    assert got == [
        ("s1", "2026-01-05T08:00:00+00:00", "2026-01-05T12:00:00", "3600"),
        ("s2", "2026-01-05T09:00:00.250000+00:00", "2026-01-05T13:00:00.000005", None),
        (None, "2026-01-05T10:00:00+00:00", None, "0"),
    ]  # fmt: skip
    assert [(r["login"], r["_source_file"], r["_source_row"]) for r in rows] == [
        ("CORP\\alice", "usage/2026-01.parquet", 1),
        ("bob", "usage/2026-01.parquet", 2),
        ("carol", "usage/2026-01.parquet", 3),
    ]


def test_parquet_with_text_timestamps_keeps_them(landing_dir: Path, raw_load, raw_rows) -> None:
    _write_parquet(
        landing_dir / "usage" / "a.parquet",
        pa.table(
            {
                "user": ["a"],
                "host": ["h"],
                "product": ["Revit 2025"],
                "started_at": ["2026-01-05T08:00:00+01:00"],
            }
        ),
    )
    raw_load("usage")
    assert raw_rows("agent_sessions")[0]["started_at"] == "2026-01-05T08:00:00+01:00"


def test_parquet_without_a_required_column_quarantines_every_row(
    raw_quarantine, landing_dir: Path, raw_load, raw_rows
) -> None:
    _write_parquet(
        landing_dir / "usage" / "a.parquet",
        pa.table({"user": ["a", "b"], "product": ["Revit 2025", "AutoCAD 2024"]}),
    )
    result = raw_load("usage")
    assert (result.rows_loaded, result.rows_quarantined) == (0, 2)
    assert raw_quarantine() == [
        ("missing_required", "host, started_at", '{"user":"a","product":"Revit 2025"}', 1),
        ("missing_required", "host, started_at", '{"user":"b","product":"AutoCAD 2024"}', 2),
    ]  # fmt: skip


def test_corrupt_parquet_is_one_quarantine_row(
    landing_write: Callable[[str, str | bytes], Path], raw_load, raw_rows
) -> None:
    landing_write("usage/broken.parquet", b"PAR1 this is not parquet PAR1")
    result = raw_load("usage")
    assert (result.files_loaded, result.rows_loaded, result.rows_quarantined) == (1, 0, 1)
    [q] = raw_rows("quarantine")
    assert (q["source"], q["reason"], q["_source_file"], q["_source_row"]) == (
        "usage",
        "bad_value",
        "usage/broken.parquet",
        0,
    )
    assert q["value"].startswith("not a readable Parquet file:")


def test_parquet_corrupt_inside_is_one_quarantine_row(
    landing_dir: Path, raw_load, raw_rows
) -> None:
    n = 20_000
    path = landing_dir / "usage" / "damaged.parquet"
    _write_parquet(
        path,
        pa.table(
            {
                "user": [f"u{i}" for i in range(n)],
                "host": ["h"] * n,
                "product": ["p"] * n,
                "started_at": [f"2026-01-{i % 28 + 1:02d}T{i % 24:02d}:00:00" for i in range(n)],
            }
        ),
    )
    data = bytearray(path.read_bytes())
    data[4 : len(data) // 2] = b"\xab" * (len(data) // 2 - 4)  # pages damaged, footer intact
    path.write_bytes(bytes(data))
    result = raw_load("usage")
    assert (result.files_loaded, result.rows_loaded, result.rows_quarantined) == (1, 0, 1)
    [q] = raw_rows("quarantine")
    assert (q["reason"], q["_source_row"]) == ("bad_value", 0)
    assert q["value"].startswith("unreadable file: ")
    assert raw_rows("agent_sessions") == []
