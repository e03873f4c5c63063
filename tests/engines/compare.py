"""Comparing two exports mart by mart: same marts, same columns, same rows, same values.

Rows are compared as multisets (both sides sorted by every column). Text, dates, booleans and
whole numbers must be equal; instants are compared as UTC instants; fractional numbers (decimal or
double: engines type an average or a division differently) may differ by `REL_TOLERANCE` of the
value or `ABS_TOLERANCE`, whichever is larger. A column named ``run_id`` differs by design and is
left out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-6
RUN_SPECIFIC_COLUMNS = {"run_id"}
SHOWN_DIFFERENCES = 3
QUALITY_MART = "rpt_data_quality"


def _frame(path: Path) -> pd.DataFrame:
    frame = pq.read_table(path).to_pandas()
    for column in frame.columns:
        series = frame[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            frame[column] = series.dt.tz_convert("UTC")
        elif series.dtype == object and series.map(lambda v: hasattr(v, "as_tuple")).any():
            frame[column] = series.astype("float64")  # decimal.Decimal values
    return frame.drop(columns=[c for c in frame.columns if c in RUN_SPECIFIC_COLUMNS])


def _is_fractional(series: pd.Series) -> bool:
    return pd.api.types.is_float_dtype(series.dtype)


def _sorted(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    exact = [c for c in columns if not _is_fractional(frame[c])]
    fractional = [c for c in columns if _is_fractional(frame[c])]
    keyed = frame[columns].copy()
    for column in fractional:  # sort on rounded values so float noise cannot reorder rows
        keyed[column] = keyed[column].round(4)
    order = keyed.sort_values(exact + fractional, na_position="first", kind="stable").index
    return frame.loc[order, columns].reset_index(drop=True)


def _column_differences(name: str, left: pd.Series, right: pd.Series) -> list[str]:
    if _is_fractional(left) or _is_fractional(right):
        a = pd.to_numeric(left, errors="coerce").to_numpy(dtype="float64")
        b = pd.to_numeric(right, errors="coerce").to_numpy(dtype="float64")
        same = np.isclose(a, b, rtol=REL_TOLERANCE, atol=ABS_TOLERANCE, equal_nan=True)
    else:
        a_missing, b_missing = left.isna().to_numpy(), right.isna().to_numpy()
        values_equal = (left.astype(object) == right.astype(object)).to_numpy(dtype=bool)
        same = (a_missing & b_missing) | (~a_missing & ~b_missing & values_equal)
    rows = np.flatnonzero(~same)
    return [
        f"column {name}, row {row}: {_shown(left.iloc[row])} != {_shown(right.iloc[row])}"
        for row in rows[:SHOWN_DIFFERENCES]
    ] + ([f"column {name}: {len(rows)} rows differ"] if len(rows) > SHOWN_DIFFERENCES else [])


def _shown(value: object) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def compare_mart(
    left_path: Path, right_path: Path, left_out_checks: frozenset[str] = frozenset()
) -> list[str]:
    """Why two exports of one mart differ (empty when they hold the same rows and values)."""
    left, right = _frame(left_path), _frame(right_path)
    if left_out_checks:
        left = left[~left["reason_or_check"].isin(left_out_checks)].reset_index(drop=True)
        right = right[~right["reason_or_check"].isin(left_out_checks)].reset_index(drop=True)
    if list(left.columns) != list(right.columns):
        return [f"columns differ: {list(left.columns)} != {list(right.columns)}"]
    if len(left) != len(right):
        return [f"{len(left)} rows != {len(right)} rows"]
    columns = list(left.columns)
    left, right = _sorted(left, columns), _sorted(right, columns)
    differences: list[str] = []
    for column in columns:
        differences += _column_differences(column, left[column], right[column])
    return differences


def compare_exports(
    left: Path, right: Path, *, left_out_checks: frozenset[str] = frozenset()
) -> dict[str, list[str]]:
    """Mart -> differences, for every mart exported on either side (Parquet files).
    `left_out_checks`: checks that exist on one engine only, left out of rpt_data_quality."""
    names = sorted({p.stem for p in [*left.glob("*.parquet"), *right.glob("*.parquet")]})
    result: dict[str, list[str]] = {}
    for name in names:
        a, b = left / f"{name}.parquet", right / f"{name}.parquet"
        if not (a.exists() and b.exists()):
            result[name] = [f"exported only on the {'left' if a.exists() else 'right'}"]
            continue
        differences = compare_mart(a, b, left_out_checks if name == QUALITY_MART else frozenset())
        if differences:
            result[name] = differences
    return result
