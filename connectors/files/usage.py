"""usage/: workstation agent sessions (``*.csv``, ``*.jsonl``, ``*.parquet``) -> ``agent_sessions``.

Columns are matched by name (see ``USAGE_COLUMNS``); the agent's ``user`` is stored as ``login``.
A file without one of the required columns (user, host, product, started_at) has every data row
quarantined as ``missing_required``. Parquet is read by DuckDB itself (the loader runs the query
this module writes): timestamps become ISO 8601 text, with ``+00:00`` when the column has a time
zone, without an offset when it is naive (the organisation's time zone, applied in dbt).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.files.common import (
    BATCH_ROWS,
    MISSING_REQUIRED,
    QUARANTINE_TABLE,
    ROW_COLUMN,
    UNPARSEABLE_LINE,
    Chunk,
    QuarantineRows,
    UnreadableFileError,
    fold,
    match_columns,
    missing_columns,
    quarantine_csv,
    read_csv_table,
    sniff_csv,
    value_text,
)

logger = logging.getLogger(__name__)

TABLE = "agent_sessions"
SUFFIXES: tuple[str, ...] = (".csv", ".jsonl", ".ndjson", ".parquet")

# raw column -> file column names (folded when matched), best first
USAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "session_id": ("session_id",),
    "login": ("user", "login"),
    "host": ("host",),
    "product": ("product",),
    "product_key": ("product_key",),
    "started_at": ("started_at",),
    "ended_at": ("ended_at",),
    "active_seconds": ("active_seconds",),
    "licence_method": ("licence_method", "license_method"),
}

# raw column -> the name the landing contract gives the file column
REQUIRED: dict[str, str] = {
    "login": "user",
    "host": "host",
    "product": "product",
    "started_at": "started_at",
}


def read_file(path: Path, *, fast: bool = True) -> Iterator[Chunk]:
    """Chunks for ``agent_sessions`` (and ``quarantine``) from one agent file."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from _read_parquet(path)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(path)
    else:
        yield from _read_csv(path, fast=fast)


def _read_csv(path: Path, *, fast: bool) -> Iterator[Chunk]:
    layout = sniff_csv(path)
    matches = match_columns(layout.header, USAGE_COLUMNS)
    missing = missing_columns(matches, REQUIRED)
    if missing:
        logger.warning("%s: no column %s; every row quarantined", path, ", ".join(missing))
        yield from quarantine_csv(path, layout, MISSING_REQUIRED, ", ".join(missing))
        return
    yield from read_csv_table(path, layout, TABLE, matches, fast=fast)


def _read_jsonl(path: Path) -> Iterator[Chunk]:
    """One JSON object per line; a line that is not a JSON object is ``unparseable_line``."""
    by_fold = {
        fold(name): (target, rank)
        for target, names in USAGE_COLUMNS.items()
        for rank, name in enumerate(names)
    }
    key_cache: dict[str, tuple[str, int] | None] = {}  # JSON key as written -> (column, rank)
    columns: dict[str, list[str | None]] = {target: [] for target in USAGE_COLUMNS}
    numbers: list[int] = []
    bad = QuarantineRows()

    def flush() -> Chunk:
        data = pa.table(
            {
                **{t: pa.array(v, pa.string()) for t, v in columns.items()},
                ROW_COLUMN: pa.array(numbers, pa.int64()),
            }
        )
        for values in columns.values():
            values.clear()
        numbers.clear()
        return Chunk(TABLE, data=data)

    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            obj: object = None
            try:
                line = raw.decode("utf-8")
                if not line.strip():
                    continue
                obj = json.loads(line)
            except UnicodeDecodeError:
                line = raw.decode("utf-8", "replace")
            except json.JSONDecodeError:
                pass
            if not isinstance(obj, dict):
                text = line.rstrip("\r\n")
                bad.add(number, UNPARSEABLE_LINE, text, text)
                yield from bad.drain(at_least=BATCH_ROWS)
                continue
            row: dict[str, tuple[int, str]] = {}
            for key, value in obj.items():
                if key not in key_cache:
                    key_cache[key] = by_fold.get(fold(key))
                found = key_cache[key]
                if found is None:
                    continue
                text_value = (value or None) if type(value) is str else value_text(value)
                if text_value is None:
                    continue
                target, rank = found
                if target not in row or rank < row[target][0]:
                    row[target] = (rank, text_value)
            for target, values in columns.items():
                hit = row.get(target)
                values.append(hit[1] if hit else None)
            numbers.append(number)
            if len(numbers) >= BATCH_ROWS:
                yield flush()
    if numbers:
        yield flush()
    yield from bad.drain()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _iso(expr: str) -> str:
    """SQL: a naive timestamp as ISO 8601 text, fractional seconds only when there are some."""
    return (
        f"case when microsecond({expr}) % 1000000 = 0 "
        f"then strftime({expr}, '%Y-%m-%dT%H:%M:%S') "
        f"else strftime({expr}, '%Y-%m-%dT%H:%M:%S.%f') end"
    )


def parquet_text_expr(name: str, arrow_type: pa.DataType) -> str:
    """SQL (DuckDB) turning a Parquet column into the raw text the other formats give."""
    col = _quote(name)
    if pa.types.is_timestamp(arrow_type):
        if arrow_type.tz is not None:
            utc = f"timezone('UTC', cast({col} as timestamptz))"
            return f"({_iso(utc)}) || '+00:00'"
        return _iso(f"cast({col} as timestamp)")
    if pa.types.is_date(arrow_type):
        return f"strftime(cast({col} as date), '%Y-%m-%d')"
    if pa.types.is_dictionary(arrow_type):
        return parquet_text_expr(name, arrow_type.value_type)
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return f"nullif({col}, '')"
    if pa.types.is_null(arrow_type):
        return "cast(null as varchar)"
    if pa.types.is_nested(arrow_type):
        return f"cast(to_json({col}) as varchar)"
    return f"nullif(cast({col} as varchar), '')"


def _read_parquet(path: Path) -> Iterator[Chunk]:
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise UnreadableFileError(f"not a readable Parquet file: {exc}") from exc
    header = list(schema.names)
    matches = match_columns(header, USAGE_COLUMNS)
    scan = "read_parquet(?, file_row_number = true)"
    row = f"file_row_number + 1 as {ROW_COLUMN}"
    missing = missing_columns(matches, REQUIRED)
    if missing:
        logger.warning("%s: no column %s; every row quarantined", path, ", ".join(missing))
        record = "to_json(struct_pack({}))".format(
            ", ".join(
                f"{_quote(n)} := {parquet_text_expr(n, schema.field(i).type)}"
                for i, n in enumerate(header)
            )
        )
        query = (
            f"select '{MISSING_REQUIRED}' as reason, ? as value, "
            f"cast({record} as varchar) as record, {row} from {scan}"
        )
        yield Chunk(
            QUARANTINE_TABLE,
            query=query,
            params=(", ".join(missing), str(path)),
            query_columns=("reason", "value", "record", ROW_COLUMN),
        )
        return
    selects = []
    for target, positions in matches.items():
        exprs = [parquet_text_expr(header[i], schema.field(i).type) for i in positions]
        expr = exprs[0] if len(exprs) == 1 else f"coalesce({', '.join(exprs)})"
        selects.append(f"{expr} as {_quote(target)}")
    query = f"select {', '.join(selects)}, {row} from {scan}"
    yield Chunk(TABLE, query=query, params=(str(path),), query_columns=(*matches, ROW_COLUMN))
