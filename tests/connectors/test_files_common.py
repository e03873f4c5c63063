"""Shared reader rules: header folding, CSV dialects, record numbers, the two CSV paths."""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from pathlib import Path

import pytest

from connectors.files import common
from connectors.files.common import (
    BadRecord,
    TextBatch,
    fold,
    iter_csv,
    match_columns,
    sniff_csv,
    value_text,
)


def _flatten(items: list[TextBatch | BadRecord]) -> tuple[list[tuple], list[tuple[int, str]]]:
    rows: list[tuple] = []
    bad: list[tuple[int, str]] = []
    for item in items:
        if isinstance(item, BadRecord):
            bad.append((item.row, item.text))
        else:
            columns = [c.to_pylist() for c in item.columns]
            for i, number in enumerate(item.rows.to_pylist()):
                rows.append((number, *(c[i] for c in columns)))
    return sorted(rows), sorted(bad)


@pytest.mark.parametrize(
    "name", ["Day used", "day_used", "Day-Used", "DAY USED", "dayUsed", " day  used "]
)
def test_fold_makes_header_spellings_equal(name: str) -> None:
    assert fold(name) == "dayused"


def test_fold_ignores_a_byte_order_mark() -> None:
    assert fold("\ufeffuser") == "user"


def test_match_columns_lists_every_synonym_present_best_first() -> None:
    header = ["mail", "EmailAddress", "Country"]
    synonyms = {"email": ("EmailAddress", "mail"), "country": ("Country", "co"), "upn": ("upn",)}
    assert match_columns(header, synonyms) == {"email": [1, 0], "country": [2]}


@pytest.mark.parametrize(
    ("content", "delimiter", "header", "skip"),
    [
        (b"a,b;c\n1,2\n", ",", ("a", "b;c"), 1),
        (b"a;b;c,d\n1;2;3\n", ";", ("a", "b", "c,d"), 1),
        (b"\xef\xbb\xbfa;b\n1;2\n", ";", ("a", "b"), 1),
        (b"sep=;\na;b\n1;2\n", ";", ("a", "b"), 2),
        (b'#TYPE Microsoft.ActiveDirectory.Management.ADUser\n"a","b"\n', ",", ("a", "b"), 2),
        (b"a\tb\n1\t2\n", "\t", ("a", "b"), 1),
        (b"only\n1\n", ",", ("only",), 1),
    ],
)
def test_sniff_csv_detects_delimiter_header_and_preamble(
    tmp_path: Path, content: bytes, delimiter: str, header: tuple[str, ...], skip: int
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    layout = sniff_csv(path)
    assert (layout.delimiter, layout.header, layout.skip_rows) == (delimiter, header, skip)
    assert not layout.header_text.startswith("\ufeff")


def test_sniff_csv_of_an_empty_file_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"")
    assert sniff_csv(path).header == ()


TRICKY = (
    "\ufeffa;b;c\r\n"
    "1;x;y\r\n"  # 1
    '2;"multi\r\nline";z\r\n'  # 2 spans two physical lines
    "\r\n"  # 3 blank
    "4;only two\r\n"  # 4 wrong number of fields
    ";;\r\n"  # 5 all empty
    '6;"semi;colon ""quoted""";NA\r\n'  # 6
    "7;;\r\n"  # 7 empty -> None
    "8;a;b;c\r\n"  # 8 too many fields
    '9;"";last'  # 9 no final line break, quoted empty
)


@pytest.mark.parametrize("fast", [True, False])
def test_csv_paths_number_records_and_reject_bad_ones(tmp_path: Path, fast: bool) -> None:
    path = tmp_path / "f.csv"
    path.write_text(TRICKY, encoding="utf-8", newline="")
    rows, bad = _flatten(list(iter_csv(path, sniff_csv(path), fast=fast)))
    assert rows == [
        (1, "1", "x", "y"),
        (2, "2", "multi\r\nline", "z"),
        (6, "6", 'semi;colon "quoted"', "NA"),
        (7, "7", None, None),
        (9, "9", None, "last"),
    ]
    assert bad == [(4, "4;only two"), (8, "8;a;b;c")]


def test_arrow_numbering_holds_across_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "CSV_BLOCK_BYTES", 256)
    lines = ["id,v"]
    for i in range(1, 400):
        lines.append(f"{i},bad,extra" if i % 37 == 0 else f'{i},"v{i}\nsecond line"')
    path = tmp_path / "f.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast = _flatten(list(iter_csv(path, sniff_csv(path), fast=True)))
    exact = _flatten(list(iter_csv(path, sniff_csv(path), fast=False)))
    assert fast == exact
    rows, bad = fast
    assert [r[0] for r in rows] == [int(r[1]) for r in rows]  # row number = the id column
    assert [b[0] for b in bad] == list(range(37, 400, 37))


def test_invalid_utf8_mid_file_quarantines_only_that_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connectors.files.common")
    monkeypatch.setattr(common, "CSV_BLOCK_BYTES", 128)
    lines = [b"id,name"] + [f"{i},name{i}".encode() for i in range(1, 201)]
    lines[150] = b"150,caf\xe9"  # Windows-1252, not UTF-8
    path = tmp_path / "f.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    rows, bad = _flatten(list(iter_csv(path, sniff_csv(path), fast=True)))
    assert [r[0] for r in rows] == [i for i in range(1, 201) if i != 150]
    assert all(r[1] == str(r[0]) for r in rows)
    assert bad == [(150, "150,caf\ufffd")]
    # Arrow stopped at the bad block; the exact reader took over after the rows already given
    resumed = [r.getMessage() for r in caplog.records if "exact reader from row" in r.getMessage()]
    assert len(resumed) == 1
    assert 1 < int(resumed[0].rsplit(" ", 1)[1]) <= 150


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("", None),
        ("  ", "  "),
        (True, "true"),
        (12, "12"),
        (12.0, "12"),
        (12.5, "12.5"),
        (datetime(2026, 1, 5, 0, 0), "2026-01-05"),
        (datetime(2026, 1, 5, 8, 30, 1), "2026-01-05T08:30:01"),
        (date(2026, 1, 5), "2026-01-05"),
        (time(8, 30), "08:30:00"),
        ({"a": [1, "é"]}, '{"a":[1,"é"]}'),
    ],
)
def test_value_text(value: object, text: str | None) -> None:
    assert value_text(value) == text
