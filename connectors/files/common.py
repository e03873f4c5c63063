"""What every landing-file reader shares.

A reader turns one landing file into :class:`Chunk` objects: rows for one raw table (as an Arrow
table of text columns plus ``_source_row``), or rows for the ``quarantine`` table (``reason``,
``value``, ``record``, ``_source_row``). The loader (``connectors/load.py``) adds the source, the
file name and the load time, and writes each file in one transaction.

Text rules, the same for every source:

* UTF-8 with or without a byte-order mark; a line that is not valid UTF-8 is quarantined.
* CSV separated by commas or semicolons (tabs too), detected from the header line; an Excel
  ``sep=;`` line and a PowerShell ``#TYPE ...`` line before the header are skipped.
* Header names match case-insensitively with spaces, underscores and hyphens folded away
  (``Day used`` = ``day_used`` = ``Day-Used`` = ``dayUsed``).
* Every value stays text, exactly as written; an empty value is ``None``. A row whose fields are
  all empty (a blank line, ``;;;``) carries no data and is skipped (its number is still counted).
* ``_source_row`` is the 1-based data record after the header (a record spanning several physical
  lines through a quoted line break counts once; quarantined records count too).
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

logger = logging.getLogger(__name__)

QUARANTINE_TABLE = "quarantine"
ROW_COLUMN = "_source_row"
QUARANTINE_COLUMNS: tuple[str, ...] = ("reason", "value", "record")

# Stable quarantine reason codes used by the connectors (dbt staging adds the others).
MISSING_REQUIRED = "missing_required"
UNPARSEABLE_LINE = "unparseable_line"
BAD_VALUE = "bad_value"

BATCH_ROWS = 50_000
VALUE_MAX_CHARS = 500
RECORD_MAX_CHARS = 100_000
CSV_BLOCK_BYTES = 4 << 20

_BOM = "\ufeff"
_FOLD_RE = re.compile(r"[\s_\-]+")
_CSV_DELIMITERS = (",", ";", "\t")


class UnreadableFileError(Exception):
    """The file as a whole cannot be read (corrupt Parquet or workbook, not JSON, ...)."""


@dataclass(frozen=True)
class Chunk:
    """Rows for one raw table, ready for the loader.

    ``data`` is an Arrow table whose columns are raw column names (a subset of the table's, in
    any order) plus ``_source_row``; or ``query`` is a DuckDB ``select`` yielding the columns
    ``query_columns`` (raw column names plus ``_source_row``), with ``params`` for its ``?``:
    the fast path for Parquet, where DuckDB reads the file itself.
    """

    table: str
    data: pa.Table | None = None
    query: str | None = None
    params: tuple[object, ...] = ()
    query_columns: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        if self.data is not None:
            return tuple(self.data.column_names)
        return self.query_columns


def fold(name: str) -> str:
    """Header name folded for matching: ``' Day-Used '`` -> ``'dayused'``."""
    return _FOLD_RE.sub("", name.replace(_BOM, "").strip().casefold())


def truncate(text: str | None, limit: int = VALUE_MAX_CHARS) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit]


def clip_record(text: str | None) -> str | None:
    """A quarantined record as stored: the raw text, cut at ``RECORD_MAX_CHARS``."""
    if text is None or len(text) <= RECORD_MAX_CHARS:
        return text
    return text[:RECORD_MAX_CHARS] + "...[truncated]"


def match_columns(
    header: Sequence[str], synonyms: Mapping[str, Sequence[str]]
) -> dict[str, list[int]]:
    """Positions of the header columns that feed each target column, in priority order.

    ``synonyms`` maps a target column to the header spellings that fill it, best first; when a
    file has several of them, a row takes the first non-empty one.
    """
    folded = [fold(name) for name in header]
    matches: dict[str, list[int]] = {}
    for target, names in synonyms.items():
        positions: list[int] = []
        for name in names:
            key = fold(name)
            positions.extend(i for i, h in enumerate(folded) if h == key and i not in positions)
        if positions:
            matches[target] = positions
    return matches


def value_text(value: object) -> str | None:
    """A JSON or spreadsheet value as raw text (``None`` for null or empty)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def fields_text(fields: Iterable[str | None], delimiter: str = ",") -> str:
    """Fields written back as one CSV line (for quarantine records of non-CSV rows)."""
    buf: list[str] = []

    class _Sink:
        def write(self, s: str) -> None:
            buf.append(s)

    csv.writer(_Sink(), delimiter=delimiter, lineterminator="").writerow(
        ["" if f is None else f for f in fields]
    )
    return "".join(buf)


# --------------------------------------------------------------------------------------------
# Batches of text rows and their projection onto raw columns


@dataclass(frozen=True)
class TextBatch:
    """Data rows of a file: one string array per file column (null = empty) + row numbers."""

    columns: list[pa.Array]
    rows: pa.Array  # int64, 1-based

    @property
    def num_rows(self) -> int:
        return len(self.rows)


def _empty_to_null(arr: pa.Array) -> pa.Array:
    if arr.null_count == len(arr):
        return arr
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _drop_blank_rows(batch: TextBatch) -> TextBatch:
    """Remove rows whose every field is null (blank lines, ``;;;``)."""
    if not batch.columns or batch.num_rows == 0:
        return batch
    blank = pc.is_null(batch.columns[0])
    for arr in batch.columns[1:]:
        if not pc.any(blank).as_py():
            return batch
        blank = pc.and_(blank, pc.is_null(arr))
    if not pc.any(blank).as_py():
        return batch
    keep = pc.invert(blank)
    return TextBatch([pc.filter(a, keep) for a in batch.columns], pc.filter(batch.rows, keep))


def batch_from_rows(
    rows: Sequence[Sequence[str | None]], numbers: Sequence[int], width: int
) -> TextBatch:
    """A TextBatch from Python rows (each padded or cut to ``width``); blank rows dropped."""
    if rows:
        padded = [
            list(r[:width]) + [None] * (width - len(r)) if len(r) != width else r for r in rows
        ]
        columns = [_empty_to_null(pa.array(col, pa.string())) for col in zip(*padded, strict=True)]
    else:
        columns = [pa.array([], pa.string()) for _ in range(width)]
    return _drop_blank_rows(TextBatch(columns, pa.array(numbers, pa.int64())))


def project(
    batch: TextBatch,
    matches: Mapping[str, Sequence[int]],
    *,
    constants: Mapping[str, str] | None = None,
    fallbacks: Mapping[str, str] | None = None,
) -> pa.Table:
    """Raw-table rows from a batch: each target column takes the first non-empty of its sources.

    ``constants`` fill a column on every row; ``fallbacks`` fill a column where it is empty.
    """
    names: list[str] = []
    arrays: list[pa.Array] = []
    for target, positions in matches.items():
        sources = [batch.columns[i] for i in positions]
        arr = sources[0] if len(sources) == 1 else pc.coalesce(*sources)
        names.append(target)
        arrays.append(arr)
    n = batch.num_rows
    for target, value in (fallbacks or {}).items():
        if target in names:
            i = names.index(target)
            arrays[i] = pc.fill_null(arrays[i], pa.scalar(value, pa.string()))
        else:
            names.append(target)
            arrays.append(pa.array([value] * n, pa.string()))
    for target, value in (constants or {}).items():
        names.append(target)
        arrays.append(pa.array([value] * n, pa.string()))
    names.append(ROW_COLUMN)
    arrays.append(batch.rows)
    return pa.Table.from_arrays(arrays, names=names)


class QuarantineRows:
    """Collects quarantine rows of one file and hands them out as chunks."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._reason: list[str] = []
        self._value: list[str | None] = []
        self._record: list[str | None] = []
        self._row: list[int] = []

    def __len__(self) -> int:
        return len(self._row)

    def add(self, row: int, reason: str, value: str | None, record: str | None) -> None:
        self._reason.append(reason)
        self._value.append(truncate(value))
        self._record.append(clip_record(record))
        self._row.append(row)

    def take(self) -> Chunk:
        data = pa.table(
            {
                "reason": pa.array(self._reason, pa.string()),
                "value": pa.array(self._value, pa.string()),
                "record": pa.array(self._record, pa.string()),
                ROW_COLUMN: pa.array(self._row, pa.int64()),
            }
        )
        self._reset()
        return Chunk(QUARANTINE_TABLE, data=data)

    def drain(self, *, at_least: int = 1) -> Iterator[Chunk]:
        """Yield the collected rows as one chunk once there are ``at_least`` of them."""
        if len(self) >= at_least and len(self) > 0:
            yield self.take()


def quarantine_chunk(row: int, reason: str, value: str | None, record: str | None) -> Chunk:
    rows = QuarantineRows()
    rows.add(row, reason, value, record)
    return rows.take()


# --------------------------------------------------------------------------------------------
# CSV


@dataclass(frozen=True)
class CsvLayout:
    """Where the data of a CSV file starts and how it is separated."""

    delimiter: str
    header: tuple[str, ...]
    header_text: str  # the header line as written (no line break, no BOM)
    skip_rows: int  # records before the first data record (preamble lines + header)


@dataclass(frozen=True)
class BadRecord:
    """A CSV record that cannot be a row: wrong number of fields, not UTF-8, broken quoting."""

    row: int
    text: str
    problem: str


@dataclass(frozen=True)
class CsvRecord:
    """One data record read by the exact (pure-Python) path, with its raw text."""

    row: int
    fields: list[str]
    text: str


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").replace(_BOM, "")


def _detect_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in _CSV_DELIMITERS}
    best = max(_CSV_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def sniff_csv(path: Path) -> CsvLayout:
    """Read the header of a CSV file: its separator, column names and preamble."""
    skip = 0
    delimiter: str | None = None
    with path.open("rb") as fh:
        for raw in fh:
            line = _decode(raw).rstrip("\r\n")
            stripped = line.strip()
            if skip == 0 and stripped.lower().startswith("sep=") and len(stripped) <= 6:
                delimiter = stripped[4:5] or ","
                skip += 1
                continue
            if stripped.startswith("#TYPE ") or stripped.startswith("#TYPE\t"):
                skip += 1
                continue
            delimiter = delimiter or _detect_delimiter(line)
            header = next(csv.reader([line], delimiter=delimiter), [])
            return CsvLayout(delimiter, tuple(header), line, skip + 1)
    return CsvLayout(delimiter or ",", (), "", skip)


def iter_csv_records(
    path: Path, layout: CsvLayout, *, after_row: int = 0
) -> Iterator[CsvRecord | BadRecord]:
    """Every data record with its raw text, read by Python's csv module (exact, slower).

    Records numbered ``after_row`` or lower are read but not returned. Blank lines are skipped.
    """
    width = len(layout.header)
    consumed: list[str] = []
    undecodable: list[int] = []

    def lines() -> Iterator[str]:
        first = True
        with path.open("rb") as fh:
            for raw in fh:
                if first:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")
                    first = False
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    line = raw.decode("utf-8", "replace")
                    undecodable.append(1)
                consumed.append(line)
                yield line

    reader = csv.reader(lines(), delimiter=layout.delimiter)
    number = -layout.skip_rows
    while True:
        problem: str | None = None
        fields: list[str] = []
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problem = f"CSV error: {exc}"
        number += 1
        text = "".join(consumed).rstrip("\r\n")
        consumed.clear()
        if undecodable:
            problem = problem or "not valid UTF-8"
            undecodable.clear()
        if number <= 0 or number <= after_row:
            continue
        if problem is None and not fields:
            continue  # a blank line
        if problem is None and len(fields) != width:
            problem = f"expected {width} fields, found {len(fields)}"
        if problem is not None:
            yield BadRecord(number, text, problem)
        else:
            yield CsvRecord(number, fields, text)


def _python_batches(
    path: Path, layout: CsvLayout, *, after_row: int = 0
) -> Iterator[TextBatch | BadRecord]:
    width = len(layout.header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    for item in iter_csv_records(path, layout, after_row=after_row):
        if isinstance(item, BadRecord):
            yield item
            continue
        rows.append(item.fields)
        numbers.append(item.row)
        if len(rows) >= BATCH_ROWS:
            yield batch_from_rows(rows, numbers, width)
            rows, numbers = [], []
    if rows:
        yield batch_from_rows(rows, numbers, width)


def _arrow_batches(path: Path, layout: CsvLayout) -> Iterator[TextBatch | BadRecord]:
    """Data records parsed by Arrow's CSV reader (C++); row numbers rebuilt from the rejects.

    Arrow reports each rejected record (wrong number of fields) with its record number; valid
    records come in file order, so the n-th valid record has the n-th number not rejected.
    Any other Arrow error makes the caller continue with the exact path after the last row given.
    """
    width = len(layout.header)
    names = [f"c{i}" for i in range(width)]
    rejected: list[tuple[int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        if row.number is None:
            raise ValueError("Arrow gave no record number")
        rejected.append((row.number - layout.skip_rows, row.text))
        return "skip"

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=names,
            skip_rows=layout.skip_rows,
            use_threads=False,
            block_size=CSV_BLOCK_BYTES,
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=layout.delimiter,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=True,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            check_utf8=True,
        ),
    )
    next_row = 1
    for record_batch in reader:
        n = record_batch.num_rows
        pending = sorted(r for r, _ in rejected if r >= next_row)
        if pending:
            candidates = np.arange(next_row, next_row + n + len(pending), dtype=np.int64)
            numbers = candidates[~np.isin(candidates, pending)][:n]
        else:
            numbers = np.arange(next_row, next_row + n, dtype=np.int64)
        if n:
            next_row = int(numbers[-1]) + 1
        for number, text in sorted(r for r in rejected if r[0] < next_row):
            yield BadRecord(number, text.rstrip("\r\n"), "wrong number of fields")
        rejected[:] = [r for r in rejected if r[0] >= next_row]
        if n:
            columns = [record_batch.column(i) for i in range(width)]
            yield _drop_blank_rows(TextBatch(columns, pa.array(numbers, pa.int64())))
    for number, text in sorted(rejected):
        yield BadRecord(number, text.rstrip("\r\n"), "wrong number of fields")


def iter_csv(
    path: Path, layout: CsvLayout, *, fast: bool = True
) -> Iterator[TextBatch | BadRecord]:
    """The data of a CSV file as text batches and bad records, in file order.

    ``fast`` reads with Arrow's CSV reader and falls back to Python's csv module, from the first
    record not yet returned, if Arrow stops on something (text that is not UTF-8, say).
    """
    if not layout.header:
        return
    if not fast:
        yield from _python_batches(path, layout)
        return
    done = 0
    try:
        for item in _arrow_batches(path, layout):
            yield item
            done = max(done, item.row if isinstance(item, BadRecord) else _last_row(item))
    except (pa.ArrowException, ValueError) as exc:
        logger.info(
            "%s: Arrow CSV reader stopped (%s); exact reader from row %d", path, exc, done + 1
        )
        yield from _python_batches(path, layout, after_row=done)


def _last_row(batch: TextBatch) -> int:
    return int(pc.max(batch.rows).as_py() or 0) if batch.num_rows else 0


def read_csv_table(
    path: Path,
    layout: CsvLayout,
    table: str,
    matches: Mapping[str, Sequence[int]],
    *,
    constants: Mapping[str, str] | None = None,
    fallbacks: Mapping[str, str] | None = None,
    fast: bool = True,
) -> Iterator[Chunk]:
    """Chunks for ``table`` from a CSV file whose header is known to be usable."""
    bad = QuarantineRows()
    for item in iter_csv(path, layout, fast=fast):
        if isinstance(item, BadRecord):
            bad.add(item.row, UNPARSEABLE_LINE, item.text, item.text)
            yield from bad.drain(at_least=BATCH_ROWS)
        elif item.num_rows:
            yield Chunk(
                table, data=project(item, matches, constants=constants, fallbacks=fallbacks)
            )
    yield from bad.drain()


def quarantine_csv(path: Path, layout: CsvLayout, reason: str, value: str) -> Iterator[Chunk]:
    """Every data record of a CSV file to quarantine, with one reason and value."""
    rows = QuarantineRows()
    for item in iter_csv_records(path, layout):
        if isinstance(item, BadRecord):
            rows.add(item.row, UNPARSEABLE_LINE, item.text, item.text)
        elif any(item.fields):
            rows.add(item.row, reason, value, item.text)
        yield from rows.drain(at_least=BATCH_ROWS)
    yield from rows.drain()


def missing_columns(matches: Mapping[str, Sequence[int]], required: Mapping[str, str]) -> list[str]:
    """Names (as the contract spells them) of required columns absent from the header."""
    return [label for target, label in required.items() if target not in matches]
