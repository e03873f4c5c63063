"""autodesk/: Autodesk Account exports (``*.csv``, ``*.xlsx``) -> three raw tables.

The kind of a file (seat assignments, token usage, subscriptions) is recognised from its header,
never from its name, by the rules in ``KINDS`` over the synonym tables below (header spellings
fold case, spaces, underscores and hyphens, so ``Usage date`` = ``usage_date`` = ``usageDate``).
A file (or worksheet) whose header matches no kind has every data row quarantined as
``bad_value`` with the header as the value. In a workbook each sheet is read like its own file;
the header may sit below a few title rows. PII-off exports (``*****`` names and e-mails with a
``hashed_autodesk_id``) are loaded as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.files.common import (
    BAD_VALUE,
    BATCH_ROWS,
    UNPARSEABLE_LINE,
    Chunk,
    QuarantineRows,
    UnreadableFileError,
    batch_from_rows,
    fields_text,
    match_columns,
    project,
    quarantine_csv,
    read_csv_table,
    sniff_csv,
    value_text,
)

logger = logging.getLogger(__name__)

SUFFIXES: tuple[str, ...] = (".csv", ".xlsx")

# raw column -> header spellings, best first. Folding makes `Product name`, `product_name` and
# `productName` one spelling; older snake_case export names and Insights field names included.
ASSIGNMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("Email", "User email", "Email address"),
    "first_name": ("First name",),
    "last_name": ("Last name",),
    "product": ("Product", "Product name", "offering_name"),
    "access_option": ("Access option", "Access type", "Assignment type"),
    "assigned_on": ("Assigned date", "Assigned on", "Assignment date"),
    "unassigned_on": ("Unassigned date", "Unassigned on"),
    "team": ("Team", "Team name", "team_alias"),
    "last_accessed": ("Last accessed", "Last access", "Last used"),
    "hashed_autodesk_id": ("hashed_autodesk_id", "Hashed Autodesk ID", "hashedUserId"),
    "contract_number": ("contract_number", "Contract number"),
    "subscription_id": ("subscription_id", "Subscription ID"),
}

TOKEN_USAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "day_used": ("Day used", "Usage date", "Date used"),
    "email": ("Email", "User email", "Email address"),
    "first_name": ("First name",),
    "last_name": ("Last name",),
    "product": ("Product", "Product name"),
    "feature": ("Feature", "Feature name", "Feature code", "featureId"),
    "team": ("Team", "Team name", "team_alias"),
    "tokens_used": ("Tokens used", "Tokens consumed", "Token amount", "tokens"),
    "hashed_autodesk_id": ("hashed_autodesk_id", "Hashed Autodesk ID", "hashedUserId"),
}

SUBSCRIPTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "subscription_id": ("subscription_id", "Subscription ID", "Subscription number"),
    "offering_name": ("offering_name", "Offering name", "Offering"),
    "seat_quantity": ("seat_quantity", "Seat quantity", "Seats", "Quantity"),
    "start_date": ("start_date", "Start date"),
    "end_date": ("end_date", "End date"),
    "term": ("term", "Term"),
    "contract_number": ("contract_number", "Contract number"),
}


@dataclass(frozen=True)
class Kind:
    """An export kind: its raw table, its synonyms and how its header is recognised."""

    table: str
    columns: Mapping[str, tuple[str, ...]]
    # every group needs one of its raw columns in the header
    required: tuple[tuple[str, ...], ...]
    # a header with any of these (raw column -> spellings) is not this kind
    excluded: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# Tried in order; the first kind whose rules hold wins.
KINDS: tuple[Kind, ...] = (
    Kind(
        "autodesk_token_usage",
        TOKEN_USAGE_COLUMNS,
        required=(("day_used",), ("tokens_used",)),
    ),
    Kind(
        "autodesk_subscriptions",
        SUBSCRIPTION_COLUMNS,
        required=(("subscription_id",), ("seat_quantity",)),
        excluded={"email": ASSIGNMENT_COLUMNS["email"]},
    ),
    Kind(
        "autodesk_assignments",
        ASSIGNMENT_COLUMNS,
        required=(("email", "hashed_autodesk_id"), ("product",)),
        # a seat *usage* export (Day used per user and product) is none of the three kinds
        excluded={
            "day_used": TOKEN_USAGE_COLUMNS["day_used"],
            "tokens_used": TOKEN_USAGE_COLUMNS["tokens_used"],
            "seat_quantity": SUBSCRIPTION_COLUMNS["seat_quantity"],
        },
    ),
)

TABLES: tuple[str, ...] = tuple(kind.table for kind in KINDS)
HEADER_SCAN_ROWS = 10  # a workbook's header may sit below title rows


def recognise(header: Sequence[str]) -> tuple[Kind, dict[str, list[int]]] | None:
    """The kind of an export from its header, with the header positions feeding each column."""
    for kind in KINDS:
        matches = match_columns(header, kind.columns)
        if not all(any(c in matches for c in group) for group in kind.required):
            continue
        if match_columns(header, kind.excluded):
            continue
        return kind, matches
    return None


def read_file(path: Path, *, fast: bool = True) -> Iterator[Chunk]:
    """Chunks for the Autodesk raw tables (and ``quarantine``) from one export."""
    if path.suffix.lower() == ".xlsx":
        yield from _read_xlsx(path)
    else:
        yield from _read_csv(path, fast=fast)


def _read_csv(path: Path, *, fast: bool) -> Iterator[Chunk]:
    layout = sniff_csv(path)
    found = recognise(layout.header)
    if found is None:
        logger.warning("%s: header not recognised; every row quarantined", path)
        yield from quarantine_csv(path, layout, BAD_VALUE, layout.header_text)
        return
    kind, matches = found
    logger.debug("%s: %s", path, kind.table)
    yield from read_csv_table(path, layout, kind.table, matches, fast=fast)


def _read_xlsx(path: Path) -> Iterator[Chunk]:
    import openpyxl  # deferred: only workbooks need it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on a damaged file
        raise UnreadableFileError(
            f"not a readable .xlsx workbook: {type(exc).__name__}: {exc}"
        ) from exc
    try:
        for sheet in workbook.worksheets:
            yield from _read_sheet(path, sheet.title, _sheet_rows(sheet))
    finally:
        workbook.close()


def _sheet_rows(sheet: Any) -> Iterator[list[str | None]]:  # an openpyxl read-only worksheet
    rows = sheet.iter_rows(values_only=True)
    title = sheet.title
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # damaged sheet XML
            raise UnreadableFileError(
                f"sheet {title!r} is unreadable: {type(exc).__name__}: {exc}"
            ) from exc
        cells = [value_text(v) for v in row]
        while cells and cells[-1] is None:
            cells.pop()
        yield cells


def _read_sheet(path: Path, title: str, rows: Iterator[list[str | None]]) -> Iterator[Chunk]:
    scanned: list[list[str | None]] = []
    found = None
    for cells in rows:
        scanned.append(cells)
        if not any(cells):
            continue
        found = recognise([c or "" for c in cells])
        if found is not None or sum(1 for r in scanned if any(r)) >= HEADER_SCAN_ROWS:
            break
    if not any(any(r) for r in scanned):
        return  # an empty sheet
    if found is not None:
        header_at = len(scanned) - 1
        if header_at and any(any(r) for r in scanned[:header_at]):
            logger.info("%s [%s]: %d title row(s) above the header", path, title, header_at)
        data = scanned[header_at + 1 :]
    else:
        header_at = next(i for i, r in enumerate(scanned) if any(r))
        data = scanned[header_at + 1 :]
    header = scanned[header_at]
    width = len(header)

    def data_rows() -> Iterator[tuple[int, list[str | None]]]:
        number = 0
        for cells in [*data]:
            number += 1
            yield number, cells
        for cells in rows:
            number += 1
            yield number, cells

    bad = QuarantineRows()
    if found is None:
        header_text = fields_text(header)
        logger.warning("%s [%s]: header not recognised; every row quarantined", path, title)
        for number, cells in data_rows():
            if any(cells):
                bad.add(number, BAD_VALUE, header_text, fields_text(cells))
                yield from bad.drain(at_least=BATCH_ROWS)
        yield from bad.drain()
        return

    kind, matches = found
    logger.debug("%s [%s]: %s", path, title, kind.table)
    batch: list[list[str | None]] = []
    numbers: list[int] = []
    for number, cells in data_rows():
        if len(cells) > width:
            text = fields_text(cells)
            bad.add(number, UNPARSEABLE_LINE, text, text)
            yield from bad.drain(at_least=BATCH_ROWS)
            continue
        batch.append(cells)
        numbers.append(number)
        if len(batch) >= BATCH_ROWS:
            yield Chunk(kind.table, data=project(batch_from_rows(batch, numbers, width), matches))
            batch, numbers = [], []
    if batch:
        yield Chunk(kind.table, data=project(batch_from_rows(batch, numbers, width), matches))
    yield from bad.drain()
