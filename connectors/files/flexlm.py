"""flexlm/: FlexNet licence server debug logs and licence files -> ``flexlm_*`` raw tables.

A file whose first meaningful line is a licence-file keyword (``SERVER``, ``VENDOR``,
``INCREMENT``, ...) is a licence file (``*.lic``, or ``*.txt``): its counted features go to
``flexlm_licences``. Any other file is an ``adskflex``/lmgrd debug log, parsed by
``connectors.flexlm.parse_log`` into ``flexlm_sessions`` (one row per OUT/IN pair, or per
checkout closed by a restart or the end of the log, or opened at the start of the log) and
``flexlm_events`` (DENIED, UNSUPPORTED and server starts). Rejected lines go to quarantine with
their line number (``_source_row``). Times stay the server's wall clock, as written (dbt reads
them in the organisation's time zone).

The licence server a file belongs to is its sub-folder's name (``flexlm/LICSRV01/debug.log``),
else the server named by the log's lmgrd start line or the licence file's ``SERVER`` line, else
the file name up to its first ``.``, ``_`` or ``-``. Rotated logs of one server belong in one
sub-folder so that a checkout open at the end of one file meets its IN in the next.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from connectors.files.common import ROW_COLUMN, Chunk, QuarantineRows
from connectors.flexlm import (
    LogReject,
    file_name_date,
    looks_like_licence,
    parse_licence,
    parse_log,
    split_feature,
)

logger = logging.getLogger(__name__)

SESSIONS_TABLE = "flexlm_sessions"
EVENTS_TABLE = "flexlm_events"
LICENCES_TABLE = "flexlm_licences"
TABLES: tuple[str, ...] = (SESSIONS_TABLE, EVENTS_TABLE, LICENCES_TABLE)
SUFFIXES: tuple[str, ...] = (".log", ".txt", ".lic")
SOURCE_FOLDER = "flexlm"
_SNIFF_LINES = 50
_STEM_RE = re.compile(r"^[^._-]+")


def server_hint(path: Path) -> str | None:
    """The server named by the file's sub-folder of ``flexlm/`` (None directly in ``flexlm/``)."""
    parent = path.parent.name
    return None if not parent or parent.lower() == SOURCE_FOLDER else parent


def _stem_server(path: Path) -> str:
    match = _STEM_RE.match(path.name)
    return match.group(0) if match else path.stem


def read_file(path: Path) -> Iterator[Chunk]:
    """Chunks for the ``flexlm_*`` tables (and ``quarantine``) from one log or licence file."""
    with path.open("rb") as fh:
        head = list(itertools.islice(fh, _SNIFF_LINES))
    if looks_like_licence(head):
        yield from _read_licence(path)
    else:
        yield from _read_log(path)


def _quarantine(rejects: list[LogReject]) -> Iterator[Chunk]:
    rows = QuarantineRows()
    for reject in rejects:
        rows.add(reject.line, reject.reason, reject.value, reject.record)
    yield from rows.drain()


def _text(values: list[object]) -> pa.Array:
    return pa.array([None if v is None or v == "" else str(v) for v in values], pa.string())


def _read_log(path: Path) -> Iterator[Chunk]:
    with path.open("rb") as fh:
        parsed = parse_log(fh, server=server_hint(path), file_date=file_name_date(path.name))
    server = parsed.server or _stem_server(path)
    logger.info(
        "%s: server %s, %d lines, %d sessions, %d events, %d rejected (%s .. %s)",
        path,
        server,
        parsed.lines,
        len(parsed.sessions),
        len(parsed.events),
        len(parsed.rejects),
        parsed.first_at,
        parsed.last_at,
    )
    if parsed.sessions:
        sessions = parsed.sessions
        codes = [split_feature(s.feature) for s in sessions]
        yield Chunk(
            SESSIONS_TABLE,
            data=pa.table(
                {
                    "server": _text([server] * len(sessions)),
                    "feature": _text([s.feature for s in sessions]),
                    "feature_suffix": _text([c.suffix for c in codes]),
                    "feature_version": _text([c.version for c in codes]),
                    "user_name": _text([s.user for s in sessions]),
                    "host": _text([s.host for s in sessions]),
                    "licenses": _text([s.licenses for s in sessions]),
                    "out_at": _text([s.out_at for s in sessions]),
                    "in_at": _text([s.in_at for s in sessions]),
                    "opened_by": _text([s.opened_by for s in sessions]),
                    "closed_by": _text([s.closed_by for s in sessions]),
                    "out_row": _text([s.out_line for s in sessions]),
                    "in_row": _text([s.in_line for s in sessions]),
                    "in_reason": _text([s.in_reason for s in sessions]),
                    ROW_COLUMN: pa.array([s.line for s in sessions], pa.int64()),
                }
            ),
        )
    if parsed.events:
        events = parsed.events
        codes = [split_feature(e.feature) if e.feature else None for e in events]
        yield Chunk(
            EVENTS_TABLE,
            data=pa.table(
                {
                    "server": _text([server] * len(events)),
                    "event": _text([e.event for e in events]),
                    "event_at": _text([e.at for e in events]),
                    "feature": _text([e.feature for e in events]),
                    "feature_suffix": _text([c.suffix if c else None for c in codes]),
                    "feature_version": _text([c.version if c else None for c in codes]),
                    "user_name": _text([e.user for e in events]),
                    "host": _text([e.host for e in events]),
                    "licenses": _text([e.licenses for e in events]),
                    "detail": _text([e.detail for e in events]),
                    ROW_COLUMN: pa.array([e.line for e in events], pa.int64()),
                }
            ),
        )
    yield from _quarantine(parsed.rejects)


def _read_licence(path: Path) -> Iterator[Chunk]:
    with path.open("rb") as fh:
        parsed = parse_licence(fh, server=server_hint(path))
    server = parsed.server or _stem_server(path)
    features = parsed.features
    logger.info("%s: licence file of %s, %d counted features", path, server, len(features))
    if features:
        yield Chunk(
            LICENCES_TABLE,
            data=pa.table(
                {
                    "server": _text([server] * len(features)),
                    "keyword": _text([f.keyword for f in features]),
                    "feature": _text([f.feature for f in features]),
                    "feature_suffix": _text([split_feature(f.feature).suffix for f in features]),
                    "vendor": _text([f.vendor for f in features]),
                    "version": _text([f.version for f in features]),
                    "expires": _text([f.expires for f in features]),
                    "licenses": _text([f.licenses for f in features]),
                    ROW_COLUMN: pa.array([f.line for f in features], pa.int64()),
                }
            ),
        )
    yield from _quarantine(parsed.rejects)
