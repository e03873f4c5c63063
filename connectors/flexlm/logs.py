"""FlexNet debug logs (lmgrd + the ``adskflex`` vendor daemon) -> licence sessions and events.

A debug log line is ``hh:mm:ss (daemon) message`` in the server's wall-clock time; with lmgrd's
date stamping each line starts with a date as well (``2026-03-02T08:12:34`` or
``3/2/2026 8:12:34``). The lines that matter here:

========================================  =======================================================
``OUT: "87393ACD_2021_0F" jsmith@PC-042``  a licence checked out (``(2 licenses)`` = several)
``IN: "87393ACD_2021_0F" jsmith@PC-042``   checked in (``(INACTIVE)``: reclaimed by TIMEOUT)
``DENIED: "feature" user@host  (reason)``  a request refused (e.g. all licences in use)
``UNSUPPORTED: "feature" user@host (...)`` a feature the server does not serve (kept as an event)
``TIMESTAMP 3/2/2026``                     the date, written every few hours
``(lmgrd) ... started on SRV (...) (3/2/2026)``  lmgrd start: the date, the server, a restart
``(adskflex) Server started on SRV for: ...``    vendor daemon (re)start
``(lmgrd) REStarted adskflex (pid 4242)``        vendor daemon restart
``EXITING DUE TO SIGNAL`` / ``Shutting down adskflex``  the daemon stopping
========================================  =======================================================

Verbose lines (``^^^ ver user ip pid ... ^^^``) are understood; lines of other daemons served by
the same lmgrd are ignored, as are the vendor daemon's other informational lines.

**Dates.** A line without its own date takes the date of the line before it; when the time goes
back by more than an hour the date moves on one day (the midnight roll-over; a step back of an
hour or less is a daylight-saving clock change). ``TIMESTAMP`` lines, lmgrd start lines and
date-stamped lines set the date outright. Lines before the first such anchor are dated backwards
from it; a log without any anchor is dated from a ``YYYY-MM-DD`` in its file name, else its
checkout lines are rejected as ``unparseable_timestamp``.

**Sessions.** Each OUT is paired with the next IN of the same feature, user and host (user and
host compared case-insensitively; first out, first in). An OUT still open at a server restart
is closed at the restart (at the daemon's stop line when one was logged) and flagged
``closed_by = 'restart'``; one still open at the end of the log is closed at the last line and
flagged ``closed_by = 'end_of_log'``. An IN without an OUT (the log started while the licence
was out) opens at the start of the log, or at the last restart before it (``opened_by``).
Non-blank lines that are not ``hh:mm:ss (daemon) ...`` and checkout lines whose body cannot be
read are rejected as ``unparseable_line`` with their line number.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

VENDOR = "adskflex"

UNPARSEABLE_LINE = "unparseable_line"
UNPARSEABLE_TIMESTAMP = "unparseable_timestamp"

# A step back in time of at most this many seconds is a clock change, not the midnight roll-over.
CLOCK_CHANGE_SECONDS = 3600

_LINE_RE = re.compile(
    r"^\s*(?:(?P<iso>\d{4}-\d{2}-\d{2})[T ]|(?P<us>\d{1,2}/\d{1,2}/\d{4})\s+)?"
    r"(?P<clock>(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2}))(?:[.,]\d{1,9})?"
    r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?"
    r"\s+\((?P<daemon>[^()\s]+)\)(?:\s(?P<msg>.*))?$"
)
_CHECKOUT_WORD_RE = re.compile(r"^(OUT|IN|DENIED|UNSUPPORTED|QUEUED|DEQUEUED)\s*:", re.IGNORECASE)
_CHECKOUT_RE = re.compile(
    r"^(?P<kind>OUT|IN|DENIED|UNSUPPORTED|QUEUED|DEQUEUED)\s*:\s*"
    r'(?:"(?P<qfeature>[^"\s]+)"|(?P<feature>[^\s"]+))\s+'
    r'(?P<user>[^@"]*?)@(?P<host>[^\s()\[\]^"]+)'
    r"(?P<rest>.*)$",
    re.IGNORECASE,
)
# the old FLEXlm shape: "DENIED: 2 feature to user"
_DENIED_TO_RE = re.compile(r"^DENIED\s*:\s*(?P<n>\d+)\s+(?P<feature>\S+)\s+to\s+(?P<user>\S+)\s*$")
_LICENSES_RE = re.compile(r"\((?P<n>\d+)\s+licen[cs]es?\)", re.IGNORECASE)
_VERBOSE_RE = re.compile(r"\^\^\^(?P<body>.*?)\^\^\^")
_CDSTRING_RE = re.compile(r"\[[^\]]*\]")
_TIMESTAMP_RE = re.compile(r"^TIMESTAMP\s+(?P<date>\d{1,2}/\d{1,2}/\d{4})\b", re.IGNORECASE)
_LMGRD_START_RE = re.compile(
    r"\bstarted on (?P<server>[^\s(]+).*\((?P<date>\d{1,2}/\d{1,2}/\d{4})\)\s*$", re.IGNORECASE
)
_SLOG_START_RE = re.compile(
    r"Start-Date:\s+[A-Za-z]{3}\s+(?P<mon>[A-Za-z]{3})\s+(?P<day>\d{1,2})\s+(?P<year>\d{4})"
)
_VENDOR_START_RE = re.compile(r"^Server started on (?P<server>[^\s(]+)", re.IGNORECASE)
_DAEMON_STARTED_RE = re.compile(r"^(?:RE)?Started (?P<daemon>[^\s(]+)", re.IGNORECASE)
_SHUTTING_DOWN_RE = re.compile(r"Shutting down (?P<daemon>[^\s(]+)", re.IGNORECASE)
_EXIT_RE = re.compile(
    r"EXITING DUE TO SIGNAL|SHUTDOWN request|Shutdown requested|lmgrd exiting", re.IGNORECASE
)
_FILE_DATE_RE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})-?(?P<m>[01]\d)-?(?P<d>[0-3]\d)(?!\d)")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}


@dataclass(frozen=True, slots=True)
class LogSession:
    """One licence checkout, from its OUT line (or the log start) to its IN line (or a closure)."""

    feature: str
    user: str
    host: str
    licenses: int
    out_at: str  # ISO 8601 wall clock, with the line's offset when it had one
    in_at: str
    opened_by: str  # out | start_of_log | restart
    closed_by: str  # in | restart | end_of_log
    out_line: int | None
    in_line: int | None
    in_reason: str | None  # e.g. INACTIVE (reclaimed by the TIMEOUT option)

    @property
    def line(self) -> int:
        """The line that identifies the session: its OUT line, else its IN line."""
        return self.out_line if self.out_line is not None else int(self.in_line or 0)


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A line that is not part of a session: denied, unsupported, server_start."""

    line: int
    event: str
    at: str
    feature: str | None = None
    user: str | None = None
    host: str | None = None
    licenses: int | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class LogReject:
    """A line that cannot be used, with a stable reason code."""

    line: int
    reason: str
    value: str
    record: str


@dataclass
class ParsedLog:
    """Everything read from one debug log."""

    server: str | None  # the caller's hint, else the first lmgrd/adskflex start line's server
    sessions: list[LogSession] = field(default_factory=list)
    events: list[LogEvent] = field(default_factory=list)
    rejects: list[LogReject] = field(default_factory=list)
    lines: int = 0
    first_at: str | None = None
    last_at: str | None = None


@dataclass(slots=True)
class _Line:
    number: int
    text: str
    clock: int  # seconds since midnight
    clock_text: str
    tz: str
    daemon: str
    msg: str
    anchor: date | None  # the date this line states (its own stamp, TIMESTAMP, lmgrd start)
    day: date | None = None


@dataclass(slots=True)
class _Open:
    at: datetime
    tz: str
    line: int
    licenses: int
    user: str  # as the OUT line wrote them (IN lines are matched case-insensitively)
    host: str


def decode_line(raw: bytes | str) -> str:
    """A log line as text: UTF-8, else Windows-1252 (what Windows servers write), no line break."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", "replace")
    else:
        text = raw
    return text.rstrip("\r\n")


def file_name_date(name: str) -> date | None:
    """A ``YYYY-MM-DD`` (or ``YYYYMMDD``) date in a file name, if there is a valid one."""
    for match in _FILE_DATE_RE.finditer(name):
        try:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            continue
    return None


def _us_date(text: str) -> date | None:
    month, day, year = (int(p) for p in text.split("/"))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _anchor_of(daemon: str, msg: str) -> date | None:
    """The date a line's message states (TIMESTAMP, lmgrd start, SLOG start), if any."""
    if match := _TIMESTAMP_RE.match(msg):
        return _us_date(match["date"])
    if daemon.lower() == "lmgrd":
        if match := _LMGRD_START_RE.search(msg):
            return _us_date(match["date"])
        if match := _SLOG_START_RE.search(msg):
            month = _MONTHS.get(match["mon"].lower())
            if month is not None:
                try:
                    return date(int(match["year"]), month, int(match["day"]))
                except ValueError:
                    return None
    return None


def _read_lines(lines: Iterable[bytes | str], rejects: list[LogReject]) -> Iterator[_Line]:
    """Lines with a ``hh:mm:ss (daemon)`` prefix; the others become rejects."""
    for number, raw in enumerate(lines, start=1):
        text = decode_line(raw)
        if number == 1:
            text = text.lstrip("\ufeff")
        if not text.strip():
            continue
        match = _LINE_RE.match(text)
        if match is None:
            rejects.append(LogReject(number, UNPARSEABLE_LINE, text, text))
            continue
        hours, minutes, seconds = int(match["h"]), int(match["m"]), int(match["s"])
        stamp = match["iso"] or match["us"]
        own_date: date | None = None
        if match["iso"]:
            try:
                own_date = date.fromisoformat(match["iso"])
            except ValueError:
                own_date = None
        elif match["us"]:
            own_date = _us_date(match["us"])
        if hours > 23 or minutes > 59 or seconds > 59 or (stamp and own_date is None):
            value = f"{stamp} {match['clock']}" if stamp else match["clock"]
            rejects.append(LogReject(number, UNPARSEABLE_TIMESTAMP, value, text))
            continue
        daemon = match["daemon"]
        msg = (match["msg"] or "").strip()
        yield _Line(
            number=number,
            text=text,
            clock=hours * 3600 + minutes * 60 + seconds,
            clock_text=match["clock"],
            tz=match["tz"] or "",
            daemon=daemon,
            msg=msg,
            anchor=own_date or _anchor_of(daemon, msg),
        )


def _date_backwards(pending: list[_Line], day: date, clock: int) -> None:
    """Date the lines before an anchor, walking back from it (the roll-over rule reversed)."""
    for line in reversed(pending):
        if line.clock > clock + CLOCK_CHANGE_SECONDS:
            day -= timedelta(days=1)
        line.day = day
        clock = line.clock


def _dated_lines(
    lines: Iterable[bytes | str], rejects: list[LogReject], file_date: date | None
) -> Iterator[_Line]:
    """Every prefixed line, in order, with its date (None: the log states no date at all)."""
    day: date | None = None
    last_clock: int | None = None
    pending: list[_Line] = []
    for line in _read_lines(lines, rejects):
        if line.anchor is not None:
            if pending:
                _date_backwards(pending, line.anchor, line.clock)
                yield from pending
                pending.clear()
            day = line.anchor
        elif (
            day is not None
            and last_clock is not None
            and line.clock < last_clock - CLOCK_CHANGE_SECONDS
        ):
            day += timedelta(days=1)
        last_clock = line.clock
        if day is None:
            pending.append(line)
            continue
        line.day = day
        yield line
    if pending and file_date is not None:
        day, last_clock = file_date, None
        for line in pending:
            if last_clock is not None and line.clock < last_clock - CLOCK_CHANGE_SECONDS:
                day += timedelta(days=1)
            line.day = day
            last_clock = line.clock
    yield from pending


def _iso(at: datetime, tz: str) -> str:
    return at.isoformat(timespec="seconds") + tz


def _checkout_parts(rest: str) -> tuple[int, str | None, str | None]:
    """(licences, reason or note, user from a verbose block) from what follows ``user@host``."""
    verbose_user: str | None = None
    if verbose := _VERBOSE_RE.search(rest):
        fields = verbose["body"].split()
        if len(fields) >= 2:
            verbose_user = fields[1]
        rest = rest[: verbose.start()] + rest[verbose.end() :]
    licenses = 1
    if count := _LICENSES_RE.search(rest):
        licenses = int(count["n"])
        rest = rest[: count.start()] + rest[count.end() :]
    note = _CDSTRING_RE.sub("", rest).strip()
    if note.startswith("(") and note.endswith(")"):
        note = note[1:-1].strip()
    return licenses, note or None, verbose_user


class _Builder:
    """Pairs OUT and IN lines of one log into sessions and collects the other events."""

    def __init__(self, vendor: str, result: ParsedLog) -> None:
        self.vendor = vendor.lower()
        self.result = result
        self.open: dict[tuple[str, str, str], deque[_Open]] = {}
        self.first: datetime | None = None
        self.first_tz = ""
        self.last: datetime | None = None
        self.last_tz = ""
        self.started_at: datetime | None = None  # the last restart
        self.started_tz = ""
        self.stopped_at: datetime | None = None  # the last stop line since that restart
        self.stopped_tz = ""
        self.activity_since_start = True
        self._vendor_names: dict[str, bool] = {}
        self._day: date | None = None
        self._midnight = datetime.min

    def _is_vendor(self, daemon: str) -> bool:
        known = self._vendor_names.get(daemon)
        if known is None:
            name = daemon.lower()
            known = name == self.vendor or (
                name.startswith(self.vendor + "_") and name[len(self.vendor) + 1 :].isdigit()
            )
            self._vendor_names[daemon] = known
        return known

    def feed(self, line: _Line) -> None:
        if line.day is None:
            if self._is_vendor(line.daemon) and _CHECKOUT_WORD_RE.match(line.msg):
                self.result.rejects.append(
                    LogReject(
                        line.number,
                        UNPARSEABLE_TIMESTAMP,
                        f"{line.clock_text}: the log states no date (no TIMESTAMP, lmgrd start "
                        "or date-stamped line, no date in the file name)",
                        line.text,
                    )
                )
            return
        if line.day != self._day:
            self._day, self._midnight = line.day, datetime.combine(line.day, time())
        at = self._midnight + timedelta(seconds=line.clock)
        if self.first is None:
            self.first, self.first_tz = at, line.tz
            self.result.first_at = _iso(at, line.tz)
        self.last, self.last_tz = at, line.tz
        if self._is_vendor(line.daemon):
            self._vendor_line(line, at)
        elif line.daemon.lower() == "lmgrd":
            self._lmgrd_line(line, at)

    def _lmgrd_line(self, line: _Line, at: datetime) -> None:
        if match := _LMGRD_START_RE.search(line.msg):
            self._name_server(match["server"])
            self._restart(line, at)
        elif (match := _DAEMON_STARTED_RE.match(line.msg)) and self._is_vendor(match["daemon"]):
            self._restart(line, at)
        elif self._is_stop(line.msg):
            self._stop(at, line.tz)

    def _is_stop(self, msg: str) -> bool:
        """An lmgrd line saying the vendor daemon (or lmgrd itself) stops."""
        if match := _SHUTTING_DOWN_RE.search(msg):
            return self._is_vendor(match["daemon"])
        return _EXIT_RE.search(msg) is not None

    def _vendor_line(self, line: _Line, at: datetime) -> None:
        msg = line.msg
        if not _CHECKOUT_WORD_RE.match(msg):
            if match := _VENDOR_START_RE.match(msg):
                self._name_server(match["server"])
                self._restart(line, at)
            elif _EXIT_RE.search(msg):
                self._stop(at, line.tz)
            return
        match = _CHECKOUT_RE.match(msg)
        if match is None:
            if old := _DENIED_TO_RE.match(msg):
                self._event(line, at, "denied", old["feature"], old["user"], None, int(old["n"]))
                return
            self.result.rejects.append(LogReject(line.number, UNPARSEABLE_LINE, msg, line.text))
            return
        kind = match["kind"].upper()
        feature = match["qfeature"] or match["feature"]
        licenses, note, verbose_user = _checkout_parts(match["rest"])
        user = match["user"].strip() or verbose_user or ""
        host = match["host"]
        if not user:
            self.result.rejects.append(LogReject(line.number, UNPARSEABLE_LINE, msg, line.text))
            return
        self.activity_since_start = True
        if kind == "OUT":
            key = (feature, user.lower(), host.lower())
            self.open.setdefault(key, deque()).append(
                _Open(at, line.tz, line.number, licenses, user, host)
            )
        elif kind == "IN":
            self._check_in(line, at, feature, user, host, note)
        elif kind in ("DENIED", "UNSUPPORTED"):
            self._event(line, at, kind.lower(), feature, user, host, licenses, note)

    def _check_in(
        self, line: _Line, at: datetime, feature: str, user: str, host: str, note: str | None
    ) -> None:
        key = (feature, user.lower(), host.lower())
        queue = self.open.get(key)
        if queue:
            out = queue.popleft()
            if not queue:
                del self.open[key]
            self._session(feature, out, _iso(at, line.tz), "in", line.number, note)
            return
        # no OUT in this log: the licence was out when the log (or the server) started
        if self.started_at is not None:
            opened, opened_tz, opened_by = self.started_at, self.started_tz, "restart"
        else:
            opened, opened_tz, opened_by = self.first or at, self.first_tz, "start_of_log"
        self.result.sessions.append(
            LogSession(
                feature,
                user,
                host,
                1,
                _iso(opened, opened_tz),
                _iso(at, line.tz),
                opened_by,
                "in",
                None,
                line.number,
                note,
            )
        )

    def _session(
        self,
        feature: str,
        out: _Open,
        in_at: str,
        closed_by: str,
        in_line: int | None,
        note: str | None,
    ) -> None:
        self.result.sessions.append(
            LogSession(
                feature,
                out.user,
                out.host,
                out.licenses,
                _iso(out.at, out.tz),
                in_at,
                "out",
                closed_by,
                out.line,
                in_line,
                note,
            )
        )

    def _close_all(self, at: datetime, tz: str, closed_by: str) -> None:
        for (feature, _, _), queue in self.open.items():
            for out in queue:
                if self.stopped_at is not None and self.stopped_at >= out.at:
                    end, end_tz, how = self.stopped_at, self.stopped_tz, "restart"
                else:
                    end, end_tz, how = at, tz, closed_by
                self._session(feature, out, _iso(end, end_tz), how, None, None)
        self.open.clear()

    def _restart(self, line: _Line, at: datetime) -> None:
        self._close_all(at, line.tz, "restart")
        if self.activity_since_start or self.started_at is None:
            self._event(line, at, "server_start", None, None, None, None, line.msg)
            self.activity_since_start = False
        self.started_at, self.started_tz = at, line.tz
        self.stopped_at = None

    def _stop(self, at: datetime, tz: str) -> None:
        self.stopped_at, self.stopped_tz = at, tz

    def _name_server(self, name: str) -> None:
        if self.result.server is None:
            self.result.server = name

    def _event(
        self,
        line: _Line,
        at: datetime,
        event: str,
        feature: str | None,
        user: str | None,
        host: str | None,
        licenses: int | None,
        detail: str | None = None,
    ) -> None:
        self.result.events.append(
            LogEvent(line.number, event, _iso(at, line.tz), feature, user, host, licenses, detail)
        )

    def finish(self) -> None:
        if self.last is not None:
            self.result.last_at = _iso(self.last, self.last_tz)
            self._close_all(self.last, self.last_tz, "end_of_log")


def parse_log(
    lines: Iterable[bytes | str],
    *,
    server: str | None = None,
    file_date: date | None = None,
    vendor: str = VENDOR,
) -> ParsedLog:
    """Read one debug log (its lines, bytes or text, in file order) into sessions and events.

    ``server`` names the licence server (else the first start line's server name is used);
    ``file_date`` dates a log that states no date itself (see the module notes).
    """
    result = ParsedLog(server=server)
    builder = _Builder(vendor, result)
    for line in _dated_lines(_counting(lines, result), result.rejects, file_date):
        builder.feed(line)
    builder.finish()
    result.rejects.sort(key=lambda r: r.line)
    return result


def _counting(lines: Iterable[bytes | str], result: ParsedLog) -> Iterator[bytes | str]:
    for raw in lines:
        result.lines += 1
        yield raw
