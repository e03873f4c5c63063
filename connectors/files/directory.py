"""directory/: people snapshots -> ``directory_people``.

* ``*.csv``: an Active Directory export (``Get-ADUser ... | Export-Csv -NoTypeInformation``), read
  through a column map: ``DEFAULT_AD_COLUMN_MAP`` merged with the organisation's overrides.
* ``*.json``: one Microsoft Graph ``/v1.0/users`` page (``{"value": [...]}``, possibly with an
  ``@odata.nextLink``) or a bare array of users; fields as in ``GRAPH_FIELDS``.

One file is one snapshot, dated by its ``snapshot_date`` column, else by a ``YYYY-MM-DD`` in the
file name, else by the file's modification date (UTC). Several Graph pages with the same date are
one snapshot split across files.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from connectors.files.common import (
    BAD_VALUE,
    BATCH_ROWS,
    MISSING_REQUIRED,
    ROW_COLUMN,
    Chunk,
    QuarantineRows,
    UnreadableFileError,
    fold,
    match_columns,
    quarantine_csv,
    read_csv_table,
    sniff_csv,
    value_text,
)
from connectors.raw_schema import RAW_TABLES

logger = logging.getLogger(__name__)

TABLE = "directory_people"
SUFFIXES: tuple[str, ...] = (".csv", ".json")

ACTIVE_DIRECTORY = "active_directory"
GRAPH = "graph"

# Active Directory CSV header -> raw column (landing-contract.md). When several headers feed one
# column (EmailAddress / mail, Country / co / c), a row takes the first non-empty, in this order.
DEFAULT_AD_COLUMN_MAP: dict[str, str] = {
    "SamAccountName": "sam_account",
    "UserPrincipalName": "upn",
    "EmailAddress": "email",
    "mail": "email",
    "DisplayName": "display_name",
    "GivenName": "given_name",
    "Surname": "surname",
    "Department": "department",
    "Country": "country",
    "co": "country",
    "c": "country",
    "Office": "office",
    "Title": "title",
    "Manager": "manager",
    "Enabled": "enabled",
    "whenCreated": "created_at",
    "LastLogonDate": "last_logon_at",
    "AccountExpirationDate": "account_expires_at",
    "snapshot_date": "snapshot_date",
}

# raw column -> Graph user fields (dotted = nested), best first.
GRAPH_FIELDS: dict[str, tuple[str, ...]] = {
    "object_id": ("id",),
    "sam_account": ("onPremisesSamAccountName",),
    "upn": ("userPrincipalName",),
    "email": ("mail",),
    "display_name": ("displayName",),
    "given_name": ("givenName",),
    "surname": ("surname",),
    "department": ("department",),
    "country": ("country",),
    "office": ("officeLocation",),
    "title": ("jobTitle",),
    "manager": ("manager.userPrincipalName", "manager.id"),  # with $expand=manager
    "enabled": ("accountEnabled",),
    "created_at": ("createdDateTime",),
    "last_logon_at": (
        "signInActivity.lastSignInDateTime",
        "signInActivity.lastSuccessfulSignInDateTime",
    ),
    "leave_at": ("employeeLeaveDateTime",),
}

# A row needs one of these to name a person; a file with none of them is quarantined.
IDENTITY_COLUMNS: tuple[str, ...] = ("object_id", "sam_account", "upn", "email")

MAPPABLE_COLUMNS: tuple[str, ...] = tuple(c for c in RAW_TABLES[TABLE] if c != "directory_kind")

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def ad_synonyms(column_map: Mapping[str, str | None] | None = None) -> dict[str, list[str]]:
    """The Active Directory column map as raw column -> CSV headers, best first.

    ``column_map`` (CSV header -> raw column) is laid over ``DEFAULT_AD_COLUMN_MAP``: its headers
    come first for their column, and a header mapped to ``None`` or ``""`` is ignored.
    """
    overrides = dict(column_map or {})
    unknown = sorted({t for t in overrides.values() if t and t not in MAPPABLE_COLUMNS})
    if unknown:
        raise ValueError(
            f"AD column map names unknown column(s) {', '.join(unknown)}; "
            f"expected one of {', '.join(MAPPABLE_COLUMNS)}"
        )
    overridden = {fold(name) for name in overrides}
    entries = [(name, target) for name, target in overrides.items() if target]
    entries += [(n, t) for n, t in DEFAULT_AD_COLUMN_MAP.items() if fold(n) not in overridden]
    synonyms: dict[str, list[str]] = {}
    for name, target in entries:
        synonyms.setdefault(target, []).append(name)
    return synonyms


def file_snapshot_date(path: Path) -> str:
    """The first valid ``YYYY-MM-DD`` in the file name, else the modification date (UTC)."""
    for match in _DATE_IN_NAME.finditer(path.name):
        try:
            return date(*(int(g) for g in match.groups())).isoformat()
        except ValueError:
            continue
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()


def read_file(
    path: Path, *, column_map: Mapping[str, str | None] | None = None, fast: bool = True
) -> Iterator[Chunk]:
    """Chunks for ``directory_people`` (and ``quarantine``) from one snapshot file."""
    if path.suffix.lower() == ".json":
        yield from _read_graph(path)
    else:
        yield from _read_ad_csv(path, column_map, fast=fast)


def _read_ad_csv(
    path: Path, column_map: Mapping[str, str | None] | None, *, fast: bool
) -> Iterator[Chunk]:
    synonyms = ad_synonyms(column_map)
    layout = sniff_csv(path)
    matches = match_columns(layout.header, synonyms)
    if not any(target in matches for target in IDENTITY_COLUMNS):
        names = [name for t in IDENTITY_COLUMNS for name in synonyms.get(t, [])]
        logger.warning("%s: no identity column (%s); every row quarantined", path, names)
        yield from quarantine_csv(path, layout, MISSING_REQUIRED, ", ".join(names))
        return
    yield from read_csv_table(
        path,
        layout,
        TABLE,
        matches,
        constants={"directory_kind": ACTIVE_DIRECTORY},
        fallbacks={"snapshot_date": file_snapshot_date(path)},
        fast=fast,
    )


def _lookup(user: Mapping[str, object], path: tuple[str, ...]) -> object:
    node: object = user
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = next((v for k, v in node.items() if fold(str(k)) == part), None)
    return node


def _read_graph(path: Path) -> Iterator[Chunk]:
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableFileError(f"not a JSON file: {exc}") from exc
    if isinstance(doc, dict) and isinstance(doc.get("value"), list):
        users = doc["value"]
        if doc.get("@odata.nextLink"):
            logger.debug("%s: a Graph page with a next page (read from its own file)", path)
    elif isinstance(doc, list):
        users = doc
    else:
        raise UnreadableFileError('not a Microsoft Graph users page: no "value" array')
    fields = {
        target: [tuple(fold(p) for p in name.split(".")) for name in names]
        for target, names in GRAPH_FIELDS.items()
    }
    snapshot = file_snapshot_date(path)
    columns: dict[str, list[str | None]] = {target: [] for target in fields}
    numbers: list[int] = []
    bad = QuarantineRows()

    def flush() -> Chunk:
        n = len(numbers)
        data = pa.table(
            {
                "snapshot_date": pa.array([snapshot] * n, pa.string()),
                "directory_kind": pa.array([GRAPH] * n, pa.string()),
                **{t: pa.array(v, pa.string()) for t, v in columns.items()},
                ROW_COLUMN: pa.array(numbers, pa.int64()),
            }
        )
        for values in columns.values():
            values.clear()
        numbers.clear()
        return Chunk(TABLE, data=data)

    for number, user in enumerate(users, start=1):
        if not isinstance(user, dict):
            text = json.dumps(user, ensure_ascii=False)
            bad.add(number, BAD_VALUE, text, text)
            continue
        for target, paths in fields.items():
            value = None
            for field_path in paths:
                value = value_text(_lookup(user, field_path))
                if value is not None:
                    break
            columns[target].append(value)
        numbers.append(number)
        if len(numbers) >= BATCH_ROWS:
            yield flush()
    if numbers:
        yield flush()
    yield from bad.drain()
