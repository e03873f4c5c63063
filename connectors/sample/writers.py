"""Turn generated rows into landing files: usage CSV / Parquet / JSONL and plain CSV tables."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from . import catalogue as cat
from .clock import HOUR, format_naive, format_utc_z, format_with_offset, london_offset
from .sessions import GARBAGE_TIMESTAMPS, METHOD_NONE, STYLE_CET, STYLE_NAIVE, Sessions

USAGE_COLUMNS: tuple[str, ...] = (
    "session_id",
    "user",
    "host",
    "product",
    "product_key",
    "started_at",
    "ended_at",
    "active_seconds",
    "licence_method",
)
_GARBAGE = np.array(GARBAGE_TIMESTAMPS)
_METHODS = pa.array([None, "flex", "named"], type=pa.string())


def _timestamp_text(utc: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Naive org-local text, or ISO text with the London / CET offset, per row."""
    offset = london_offset(utc)
    out = format_naive(utc + offset).astype("U25")
    explicit = style != STYLE_NAIVE
    if explicit.any():
        shown = offset[explicit] + np.where(style[explicit] == STYLE_CET, HOUR, 0)
        out[explicit] = format_with_offset(utc[explicit], shown)
    return out


def _strings(values: Sequence[str]) -> pa.Array:
    return pa.array(list(values), type=pa.string())


def usage_table(
    rows: Sessions, logins: np.ndarray, host_names: Sequence[str], *, text: bool
) -> pa.Table:
    """Arrow table of usage rows: timestamps as text (CSV) or timestamp[us, UTC] (Parquet)."""
    user = pc.take(pa.array(logins, type=pa.string()), pa.array(rows.login, mask=rows.login < 0))
    host = pc.take(_strings(host_names), pa.array(rows.host))
    product = pc.take(_strings(cat.AGENT_NAMES), pa.array(rows.name_id))
    key = pc.take(_strings(cat.AGENT_KEYS), pa.array(rows.name_id, mask=~rows.has_key))
    method = pc.take(_METHODS, pa.array(rows.method))
    if text:
        started = _timestamp_text(rows.start, rows.style)
        bad = rows.garbage >= 0
        started[bad] = _GARBAGE[rows.garbage[bad]]
        started_at = pa.array(started, type=pa.string())
        ended_at = pa.array(
            _timestamp_text(rows.end, rows.style), mask=rows.running, type=pa.string()
        )
    else:
        ts = pa.timestamp("us", tz="UTC")
        started_at = pa.array(rows.start * 1_000_000, type=ts)
        ended_at = pa.array(rows.end * 1_000_000, mask=rows.running, type=ts)
    return pa.table(
        [
            pa.array(rows.sid).cast(pa.string()),
            user,
            host,
            product,
            key,
            started_at,
            ended_at,
            pa.array(rows.active, mask=rows.active < 0, type=pa.int64()),
            method,
        ],
        names=list(USAGE_COLUMNS),
    )


def write_usage_csv(path: Path, table: pa.Table, *, broken_line_at: int | None = None) -> None:
    """Write a usage CSV; optionally put a line with too few fields before row `broken_line_at`."""
    sink = io.BytesIO()
    options = pacsv.WriteOptions(quoting_style="none", quoting_header="none")
    if broken_line_at is None or table.num_rows == 0:
        pacsv.write_csv(table, sink, options)
    else:
        at = min(broken_line_at, table.num_rows - 1)
        pacsv.write_csv(table.slice(0, at), sink, options)
        row = {k: v[0] for k, v in table.slice(at, 1).to_pydict().items()}
        fields = [row[c] or "" for c in USAGE_COLUMNS[:6]]
        sink.write((",".join(str(f) for f in fields) + "\n").encode())
        tail = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(table.slice(at), sink, tail)
    path.write_bytes(sink.getvalue())


def write_usage_parquet(path: Path, table: pa.Table) -> None:
    """Write a usage Parquet file (deterministic: no wall-clock metadata)."""
    pq.write_table(table, path, compression="snappy")


def usage_jsonl(rows: Sessions, logins: np.ndarray, host_names: Sequence[str]) -> str:
    """JSON Lines of usage rows as the second agent writes them: UTC 'Z' times, no session_id."""
    started = format_utc_z(rows.start)
    bad = rows.garbage >= 0
    started = started.astype("U25")
    started[bad] = _GARBAGE[rows.garbage[bad]]
    ended = format_utc_z(rows.end)
    lines = []
    for i in range(len(rows)):
        record = {
            "user": str(logins[rows.login[i]]) if rows.login[i] >= 0 else "",
            "host": host_names[rows.host[i]],
            "product": cat.AGENT_NAMES[rows.name_id[i]],
            "product_key": cat.AGENT_KEYS[rows.name_id[i]] if rows.has_key[i] else None,
            "started_at": str(started[i]),
            "ended_at": None if rows.running[i] else str(ended[i]),
            "active_seconds": int(rows.active[i]) if rows.active[i] >= 0 else None,
            "licence_method": None
            if rows.method[i] == METHOD_NONE
            else ("flex", "named")[int(rows.method[i]) - 1],
        }
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    return "".join(lines)


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ",",
    bom: bool = False,
    quote_all: bool = False,
) -> None:
    """A small CSV table (UTF-8, LF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        lineterminator="\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8"))
