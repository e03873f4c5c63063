"""The export comparison the three-engine test relies on finds what differs, and only that."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.engines.compare import compare_exports, compare_mart


def _write(path: Path, columns: dict[str, list]) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


def _base() -> dict[str, list]:
    return {
        "user_key": ["a@x.example", "b@x.example", None],
        "usage_date": [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)],
        "started_at": [datetime(2026, 3, 1, 8, tzinfo=UTC)] * 3,
        "tokens": [10, 20, 30],
        "flex_cost": [Decimal("30.000000"), Decimal("60.000000"), Decimal("90.000000")],
        "run_id": ["r1", "r1", "r1"],
    }


def test_same_rows_in_another_order_and_type_are_equal(tmp_path: Path) -> None:
    left = _write(tmp_path / "l.parquet", _base())
    other = _base()
    for column in other:
        other[column] = list(reversed(other[column]))
    other["flex_cost"] = [90.0 + 1e-9, 60.0, 30.0]  # a double where the other engine has decimal
    other["run_id"] = ["r2"] * 3
    # the same instants written with another offset
    other["started_at"] = [datetime(2026, 3, 1, 3, tzinfo=timezone(timedelta(hours=-5)))] * 3
    right = _write(tmp_path / "r.parquet", other)
    assert compare_mart(left, right) == []


def test_a_changed_value_a_missing_row_and_a_missing_mart_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _write(tmp_path / "a" / "m.parquet", _base())
    changed = _base()
    changed["tokens"] = [10, 21, 30]
    changed["flex_cost"][0] = Decimal("30.010000")
    _write(tmp_path / "b" / "m.parquet", changed)
    _write(tmp_path / "a" / "only_left.parquet", _base())
    shorter = {key: values[:2] for key, values in _base().items()}
    _write(tmp_path / "a" / "short.parquet", _base())
    _write(tmp_path / "b" / "short.parquet", shorter)

    result = compare_exports(tmp_path / "a", tmp_path / "b")

    assert result["m"] == [
        "column tokens, row 2: 20 != 21",
        "column flex_cost, row 1: 30.0 != 30.01",
    ]
    assert result["only_left"] == ["exported only on the left"]
    assert result["short"] == ["3 rows != 2 rows"]


def test_a_check_of_one_engine_only_is_left_out_when_named(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    rows = {"reason_or_check": ["not_null_x", "only_here"], "outcome": ["passed", "passed"]}
    _write(tmp_path / "a" / "rpt_data_quality.parquet", {k: v[:1] for k, v in rows.items()})
    _write(tmp_path / "b" / "rpt_data_quality.parquet", rows)
    assert compare_exports(tmp_path / "a", tmp_path / "b") == {
        "rpt_data_quality": ["1 rows != 2 rows"]
    }
    left_out = frozenset({"only_here"})
    assert compare_exports(tmp_path / "a", tmp_path / "b", left_out_checks=left_out) == {}
