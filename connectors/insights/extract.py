"""Insights pulls into the landing folder: usage (incremental, one file per day) and exports.

Usage (token usage lines, the Flex consumption the billing marts need):
  usage queries per team and run, for the days from the team's cursor minus a lookback (late
  data) to today, in chunks of at most 31 days (a first pull's backfill advances the cursor
  chunk by chunk); the answer is written as one CSV per team and usage day,
  ``autodesk/insights/usage/<contextId>/<YYYY-MM-DD>.csv``, header = the query's columns (the
  Autodesk file reader maps ``usageDate``, ``emailAddress``, ``productName``, ``tokens`` ... to its
  Token Usage table). A re-fetched day rewrites its own file (only when its content changed), so
  the overlap never duplicates a line: the loader replaces a changed file's rows and skips an
  unchanged one. The cursor is the last usage date fetched.

Exports: one ``POST /exports`` per run (reports ``USERS``, ``USAGE``, ``USAGE_REPORT`` as CSV by
default) over the same kind of window. A download the Autodesk file reader recognises as a Users
(assignments) or Subscriptions export lands in ``autodesk/insights/exports/<type>/<date>.csv``,
one snapshot per run date. Any other download (the seat-usage and usage-report files, which no
reader reads yet, or a token-usage file, which would count the usage queries' tokens twice) is
kept in ``_unread/insights/exports/<type>/<date>.csv``: outside every source folder, so it is
neither loaded nor quarantined row by row, and is there for a reader to come.

Nothing here touches the warehouse: cursors come in and go out as plain values.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from connectors.files import autodesk as autodesk_files
from connectors.files.common import fold, sniff_csv
from connectors.insights.client import API_NAME, Context, DownloadExpiredError, InsightsClient
from connectors.insights.http import ApiAuthError, ApiResponseError

logger = logging.getLogger(__name__)

USAGE_SOURCE = "insights_usage"  # cursor source; scope = the team's context id
EXPORTS_SOURCE = "insights_exports"  # cursor source; scope = EXPORTS_SCOPE
EXPORTS_SCOPE = "all"

USAGE_DIR = "autodesk/insights/usage"
EXPORTS_DIR = "autodesk/insights/exports"
UNREAD_DIR = "_unread/insights/exports"

# Insights "general" fields (insights-api.md section 10) that make a token usage line.
DEFAULT_USAGE_FIELDS: tuple[str, ...] = (
    "usageDate",
    "emailAddress",
    "firstName",
    "lastName",
    "hashedUserId",
    "productName",
    "featureId",
    "teamName",
    "tokens",
)
DATE_FIELD = "usageDate"
DEFAULT_USAGE_FILTER = "source = 'flex'"  # token lines only (sus/ppu usage has no tokens)
DEFAULT_LOOKBACK_DAYS = 3
DEFAULT_INITIAL_DAYS = 90
DEFAULT_CHUNK_DAYS = 31  # days per usage query: a long backfill goes in steps that each count
DEFAULT_EXPORT_REPORTS: tuple[str, ...] = ("USERS", "USAGE", "USAGE_REPORT")
MAX_EXPORT_DAYS = 365  # "startDate and endDate should be within 1 year" (insights-api.md 9)

# the Autodesk reader's tables an export download may feed (token usage comes from queries)
EXPORT_TABLES = frozenset({"autodesk_assignments", "autodesk_subscriptions"})


# --------------------------------------------------------------------------------------------
# Windows and cursors


@dataclass(frozen=True)
class Window:
    """Usage days to fetch, both ends included."""

    start: date
    end: date

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def chunks(self, days: int) -> list[Window]:
        """Consecutive windows of at most ``days`` days covering this one, oldest first."""
        step = timedelta(days=max(1, days))
        found: list[Window] = []
        start = self.start
        while start <= self.end:
            end = min(self.end, start + step - timedelta(days=1))
            found.append(Window(start, end))
            start = end + timedelta(days=1)
        return found


def fetch_window(
    cursor: str | None,
    today: date,
    *,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    initial_days: int = DEFAULT_INITIAL_DAYS,
    max_days: int | None = None,
) -> Window:
    """From the cursor minus the lookback (else ``initial_days`` back) to today."""
    if cursor:
        start = date.fromisoformat(cursor) - timedelta(days=max(0, lookback_days))
    else:
        start = today - timedelta(days=max(1, initial_days) - 1)
    if max_days is not None:
        start = max(start, today - timedelta(days=max_days - 1))
    return Window(min(start, today), today)


def usage_where(window: Window, extra: str | None = DEFAULT_USAGE_FILTER) -> str:
    where = f"{DATE_FIELD} >= '{window.start.isoformat()}' and {DATE_FIELD} <= '{window.end}'"
    return f"{where} and {extra}" if extra else where


def cell_date(value: Any) -> date | None:
    """A usage date cell as a date: ISO text (date or date-time) or epoch seconds/milliseconds."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        number = float(value)
        if number > 1e11:  # milliseconds
            number /= 1000.0
        try:
            return datetime.fromtimestamp(number, UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    return None


def cell_text(value: Any) -> str:
    """A cell as CSV text: numbers as written, booleans lower case, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------------------------
# Files


def write_if_changed(path: Path, content: bytes) -> bool:
    """Write ``content`` atomically (a hidden temp file, then rename); False if it was there."""
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(content)
    os.replace(temp, path)
    return True


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell_text(v) for v in row])
    return out.getvalue().encode("utf-8")


@dataclass
class Written:
    """Landing files of a pull, relative to the landing folder."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def add(self, landing: Path, path: Path, changed: bool) -> None:
        (self.changed if changed else self.unchanged).append(path.relative_to(landing).as_posix())


# --------------------------------------------------------------------------------------------
# Usage


@dataclass
class UsageExtract:
    """What one usage pull did; ``cursors`` are the values to store (context id -> date)."""

    cursors: dict[str, str]
    windows: dict[str, str]
    rows: int
    files: Written
    skipped: dict[str, str]  # context id -> why (no permission for that team)


def extract_usage(
    client: InsightsClient,
    landing: Path,
    *,
    cursors: Mapping[str, str],
    today: date,
    contexts: Sequence[Context] | None = None,
    fields: Sequence[str] = DEFAULT_USAGE_FIELDS,
    usage_filter: str | None = DEFAULT_USAGE_FILTER,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    initial_days: int = DEFAULT_INITIAL_DAYS,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    save_cursor: Callable[[str, str], None] | None = None,
) -> UsageExtract:
    """Usage per team, from its cursor minus the lookback to ``today``.

    A long window (the first pull's backfill) is asked in chunks of ``chunk_days``, oldest
    first; after each chunk its files are written and ``save_cursor(context_id, date)`` is
    called, so a pull stopped half-way (time budget, outage) resumes where it got to.
    """
    landing = Path(landing)
    teams = list(contexts) if contexts is not None else client.contexts()
    if not teams:
        raise ApiResponseError(
            f"{API_NAME}: GET /contexts lists no team: the caller administers no team with "
            "reporting benefits"
        )
    result = UsageExtract(cursors={}, windows={}, rows=0, files=Written(), skipped={})
    for team in teams:
        team_id = team.context_id
        window = fetch_window(
            cursors.get(team_id), today, lookback_days=lookback_days, initial_days=initial_days
        )
        result.windows[team_id] = str(window)
        cursor = cursors.get(team_id)
        try:
            for chunk in window.chunks(chunk_days):
                answer = client.usage_query(
                    fields=fields, where=usage_where(chunk, usage_filter), context_id=team_id
                )
                last = _write_usage_days(
                    landing, team_id, chunk, answer.columns, answer.rows, result
                )
                result.rows += len(answer.rows)
                if last is not None and (cursor is None or last.isoformat() > cursor):
                    cursor = min(last, today).isoformat()
                    if save_cursor is not None:
                        save_cursor(team_id, cursor)
        except ApiAuthError as exc:
            if exc.status != 403 or len(teams) == 1:
                raise
            logger.warning("%s: team %s skipped: %s", API_NAME, team_id, exc)
            result.skipped[team_id] = str(exc)
            continue
        if cursor is not None:
            result.cursors[team_id] = cursor
    if result.skipped and len(result.skipped) == len(teams):
        raise ApiAuthError(
            f"{API_NAME}: every team refused the usage query: "
            + "; ".join(result.skipped.values()),
            status=403,
        )
    return result


def _write_usage_days(
    landing: Path,
    context_id: str,
    window: Window,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    result: UsageExtract,
) -> date | None:
    """One CSV per usage day; rows whose date cannot be read go to one file per window."""
    position = next((i for i, c in enumerate(columns) if fold(c) == fold(DATE_FIELD)), None)
    if position is None:
        raise ApiResponseError(
            f"{API_NAME}: the usage query answer has no {DATE_FIELD} column ({list(columns)})"
        )
    days: dict[date, list[list[Any]]] = {}
    undated: list[list[Any]] = []
    for row in rows:
        values = list(row)
        day = cell_date(values[position]) if position < len(values) else None
        if day is None:
            undated.append(values)
            continue
        values[position] = day.isoformat()
        days.setdefault(day, []).append(values)
    folder = landing / USAGE_DIR / _safe_name(context_id)
    for day in sorted(days):
        path = folder / f"{day.isoformat()}.csv"
        result.files.add(landing, path, write_if_changed(path, csv_bytes(columns, days[day])))
    if undated:
        # kept, never dropped: the loader reads them and staging quarantines the bad dates
        logger.warning(
            "%s: team %s: %d row(s) without a readable %s",
            API_NAME,
            context_id,
            len(undated),
            DATE_FIELD,
        )
        path = folder / f"undated_{window.start.isoformat()}_{window.end.isoformat()}.csv"
        result.files.add(landing, path, write_if_changed(path, csv_bytes(columns, undated)))
    return max(days) if days else None


def _safe_name(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text).strip(".")
    return cleaned or "team"


# --------------------------------------------------------------------------------------------
# Exports


@dataclass
class ExportExtract:
    export_id: str
    window: str
    cursor: str
    files: Written
    unread: Written
    downloads: int


def extract_exports(
    client: InsightsClient,
    landing: Path,
    *,
    cursor: str | None,
    today: date,
    reports: Sequence[str] = DEFAULT_EXPORT_REPORTS,
    output_format: str = "CSV",
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    initial_days: int = DEFAULT_INITIAL_DAYS,
) -> ExportExtract:
    """One export over the window from the cursor, every download into the landing folder."""
    landing = Path(landing)
    window = fetch_window(
        cursor,
        today,
        lookback_days=lookback_days,
        initial_days=initial_days,
        max_days=MAX_EXPORT_DAYS,
    )
    created = client.create_export(
        reports=reports,
        output_format=output_format,
        start=datetime.combine(window.start, time.min, UTC),
        end=datetime.combine(window.end, time.max, UTC),
    )
    export_id = str(created["id"])
    export = client.wait_export(export_id)
    result = ExportExtract(export_id, str(window), today.isoformat(), Written(), Written(), 0)
    seen: dict[str, int] = {}
    for index, item in enumerate(export["downloads"]):
        kind = _safe_name(str(item.get("type") or f"download{index + 1}").lower())
        seen[kind] = seen.get(kind, 0) + 1
        name = kind if seen[kind] == 1 else f"{kind}-{seen[kind]}"
        try:
            content = client.download(item["downloadURL"])
        except DownloadExpiredError:
            logger.info("%s: download URL of export %s expired; asking again", API_NAME, export_id)
            fresh = client.wait_export(export_id)["downloads"]
            if index >= len(fresh):
                raise
            content = client.download(fresh[index]["downloadURL"])
        result.downloads += 1
        for suffix, part, data in _unpack(content, output_format):
            label = name if not part else f"{name}-{_safe_name(part)}"
            _place_download(landing, label, suffix, data, today, result)
    return result


def _unpack(content: bytes, output_format: str) -> list[tuple[str, str, bytes]]:
    """(suffix, member name, bytes) of a download: a CSV, a workbook, or a zip of either."""
    is_zip = content[:4] == b"PK\x03\x04"
    if output_format.upper() == "EXCEL" and is_zip:
        return [(".xlsx", "", content)]
    if not is_zip:
        return [(".json" if output_format.upper() == "JSON" else ".csv", "", content)]
    parts: list[tuple[str, str, bytes]] = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = [m for m in archive.namelist() if not m.endswith("/")]
        for member in members:
            suffix = Path(member).suffix.lower()
            if suffix in (".csv", ".xlsx", ".json"):
                stem = Path(member).stem if len(members) > 1 else ""
                parts.append((suffix, stem, archive.read(member)))
    return parts


def _place_download(
    landing: Path, name: str, suffix: str, data: bytes, today: date, result: ExportExtract
) -> None:
    """Into ``autodesk/`` when the Autodesk reader reads it as assignments or subscriptions,
    else into ``_unread/``."""
    staging = landing / UNREAD_DIR / f".{name}{suffix}.download"
    staging.parent.mkdir(parents=True, exist_ok=True)
    staging.write_bytes(data)
    try:
        table = _recognised_table(staging, suffix)
    finally:
        staging.unlink(missing_ok=True)
    file_name = f"{today.isoformat()}{suffix}"
    if table in EXPORT_TABLES or suffix == ".xlsx":
        path = landing / EXPORTS_DIR / name / file_name
        result.files.add(landing, path, write_if_changed(path, data))
        logger.info("%s: %s -> %s", API_NAME, name, path.relative_to(landing))
    else:
        path = landing / UNREAD_DIR / name / file_name
        result.unread.add(landing, path, write_if_changed(path, data))
        why = "token usage comes from usage queries" if table else "no reader for this header"
        logger.warning(
            "%s: %s kept unread in %s (%s)", API_NAME, name, path.relative_to(landing), why
        )


def _recognised_table(path: Path, suffix: str) -> str | None:
    if suffix != ".csv":
        return None
    found = autodesk_files.recognise(sniff_csv(path).header)
    return found[0].table if found else None
