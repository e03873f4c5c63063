"""A small, plainly written model of the Flex billing rules (shared/spec/flex-rules.md F1-F9).

It is the oracle of the property test: no vectorisation and no cleverness, one rule at a time,
with datetimes. Instants are whole seconds (the engine drops sub-second parts).

- F1: every person (user_key) and product is billed on its own.
- F5a: sessions of one person and product, on any host or version, that overlap or touch are
  merged into usage intervals.
- F2/F5/F5a: an interval that starts outside an open window and lasts under `grace_seconds` is a
  0-token grace row and opens nothing; otherwise it opens a 24-hour window at its start (launch).
- F3: use starting inside an open window costs nothing more.
- F4: use still running when a window ends opens the next window at that instant (renewal), however
  soon it stops afterwards.
- F6/F6a: a window is covered when an assignment is active on its UTC start date d:
  covered_from <= d < covered_until (empty = open-ended on that side).
- F7: the rate is the one in force on d (effective_from <= d <= effective_to); none -> rate_unknown
  with null tokens.
- F8: usage_date = d, the UTC date of the window's start.
- F9: is_mostly_idle = every session reported active time and the active time that falls in the
  window (spread evenly over each session) is under `idle_share` of the open time in the window.

Daily usage splits sessions and intervals at the organisation's local midnights.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Session:
    session_id: str
    user_key: str
    product: str
    host: str
    started_at: datetime
    ended_at: datetime
    active_seconds: int | None = None
    is_open_at_as_of: bool = False
    is_identity_resolved: bool = True

    @property
    def seconds(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds())


@dataclass(frozen=True)
class Rate:
    product: str
    tokens_per_day: int
    effective_from: date | None
    effective_to: date | None


@dataclass(frozen=True)
class Coverage:
    user_key: str
    product: str
    covered_by: str
    via_collection: str | None
    covered_from: date | None
    covered_until: date | None


@dataclass
class Window:
    user_key: str
    product: str
    window_start_at: datetime
    window_end_at: datetime
    opened_by: str
    is_grace: bool
    sessions: list[Session] = field(default_factory=list)
    open_seconds: int = 0
    usage_date: date | None = None
    charge_status: str = ""
    tokens_per_day: int | None = None
    tokens_charged: int | None = None
    active_seconds: float | None = None
    is_mostly_idle: bool = False
    is_avoidable: bool = False

    @property
    def hosts(self) -> int:
        return len({s.host for s in self.sessions})


@dataclass
class Day:
    user_key: str
    product: str
    usage_date_local: date
    sessions: int = 0
    open_seconds: int = 0
    active_seconds: float | None = None
    tokens_charged: int = 0
    windows_charged: int = 0


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> int:
    return max(0, int((min(a1, b1) - max(a0, b0)).total_seconds()))


def merge_intervals(sessions: list[Session]) -> list[tuple[datetime, datetime, list[Session]]]:
    """Sessions of one person and product -> intervals (start, end, sessions), in time order."""
    intervals: list[tuple[datetime, datetime, list[Session]]] = []
    for s in sorted(sessions, key=lambda s: (s.started_at, s.ended_at, s.session_id)):
        if intervals and s.started_at <= intervals[-1][1]:
            start, end, members = intervals[-1]
            intervals[-1] = (start, max(end, s.ended_at), [*members, s])
        else:
            intervals.append((s.started_at, s.ended_at, [s]))
    return intervals


def chain_windows(
    intervals: list[tuple[datetime, datetime, list[Session]]],
    user_key: str,
    product: str,
    grace_seconds: int,
) -> list[Window]:
    """Walk the intervals of one person and product and open windows as the rules say."""
    windows: list[Window] = []
    window_end: datetime | None = None  # end of the window open now, if any
    for start, end, _ in intervals:
        if window_end is None or start >= window_end:
            if (end - start).total_seconds() < grace_seconds:
                windows.append(Window(user_key, product, start, end, "launch", is_grace=True))
                window_end = None
                continue
            windows.append(Window(user_key, product, start, start + WINDOW, "launch", False))
            window_end = start + WINDOW
        while end > window_end:
            renewal = Window(user_key, product, window_end, window_end + WINDOW, "renewal", False)
            windows.append(renewal)
            window_end += WINDOW
    return windows


def _belongs(
    session: Session, window: Window, interval: tuple[datetime, datetime], interval_is_grace: bool
) -> bool:
    """Whether `session`, of usage interval `interval`, is one of `window`'s sessions."""
    w0, w1 = window.window_start_at, window.window_end_at
    if window.is_grace or interval_is_grace:
        # a grace row holds exactly the sessions of its interval
        return window.is_grace and interval_is_grace and w0 == interval[0]
    if session.seconds > 0:
        return _overlap(session.started_at, session.ended_at, w0, w1) > 0
    t = session.started_at
    # a zero-second session: the window holding its instant, or, at the very end of its
    # interval, the window ending then
    return w0 <= t < w1 or (t == w1 == interval[1])


def usage_windows(
    sessions: Iterable[Session],
    rates: Iterable[Rate],
    coverage: Iterable[Coverage],
    grace_seconds: int = 300,
    idle_share: float = 0.5,
) -> list[Window]:
    rates = list(rates)
    coverage = list(coverage)
    by_key: dict[tuple[str, str], list[Session]] = defaultdict(list)
    for s in sessions:
        by_key[(s.user_key, s.product)].append(s)
    result: list[Window] = []
    for (user_key, product), own in sorted(by_key.items()):
        intervals = merge_intervals(own)
        windows = chain_windows(intervals, user_key, product, grace_seconds)
        grace_starts = {w.window_start_at for w in windows if w.is_grace}
        membership = [
            (member, (start, end), start in grace_starts)
            for start, end, members in intervals
            for member in members
        ]
        for w in windows:
            w.sessions = [s for s, interval, grace in membership if _belongs(s, w, interval, grace)]
            if w.is_grace:
                w.open_seconds = int((w.window_end_at - w.window_start_at).total_seconds())
            else:
                w.open_seconds = sum(
                    _overlap(a, b, w.window_start_at, w.window_end_at) for a, b, _ in intervals
                )
            known = [s for s in w.sessions if s.active_seconds is not None]
            w.active_seconds = (
                sum(
                    s.active_seconds
                    if s.seconds == 0
                    else s.active_seconds
                    * _overlap(s.started_at, s.ended_at, w.window_start_at, w.window_end_at)
                    / s.seconds
                    for s in known
                    if s.active_seconds is not None
                )
                if known
                else None
            )
            w.is_mostly_idle = (
                len(known) == len(w.sessions)
                and w.active_seconds is not None
                and w.active_seconds < idle_share * w.open_seconds
            )
            _price(w, rates, coverage)
        result.extend(windows)
    return result


def _price(w: Window, rates: list[Rate], coverage: list[Coverage]) -> None:
    d = w.window_start_at.astimezone(UTC).date()
    w.usage_date = d
    in_force = [
        r
        for r in rates
        if r.product == w.product
        and (r.effective_from is None or r.effective_from <= d)
        and (r.effective_to is None or d <= r.effective_to)
    ]
    in_force.sort(key=lambda r: (r.effective_from or date.min, r.tokens_per_day), reverse=True)
    w.tokens_per_day = in_force[0].tokens_per_day if in_force else None
    covered = any(
        c.user_key == w.user_key
        and c.product == w.product
        and (c.covered_from is None or c.covered_from <= d)
        and (c.covered_until is None or d < c.covered_until)
        for c in coverage
    )
    if w.is_grace:
        w.charge_status, w.tokens_charged = "grace", 0
    elif covered:
        w.charge_status, w.tokens_charged = "covered_by_subscription", 0
    elif w.tokens_per_day is None:
        w.charge_status, w.tokens_charged = "rate_unknown", None
    else:
        w.charge_status, w.tokens_charged = "charged", w.tokens_per_day
    w.is_avoidable = w.charge_status in ("charged", "rate_unknown") and (
        w.opened_by == "renewal" or w.is_mostly_idle
    )


def _local_midnight(d: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(d, time(0), tzinfo=zone).astimezone(UTC)


def _local_pieces(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[date, int]]:
    """(local date, seconds) of [start, end] cut at local midnights; a zero-length span is one
    piece of 0 seconds on its date; a piece of 0 seconds at a midnight is dropped."""
    first = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    if start == end:
        return [(first, 0)]
    pieces = []
    d = first
    while d <= last:
        seconds = _overlap(
            start, end, _local_midnight(d, zone), _local_midnight(d + timedelta(days=1), zone)
        )
        if seconds > 0:
            pieces.append((d, seconds))
        d += timedelta(days=1)
    return pieces


def daily_usage(
    sessions: Iterable[Session], windows: Iterable[Window], timezone: str
) -> dict[tuple[str, str, date], Day]:
    zone = ZoneInfo(timezone)
    sessions = list(sessions)
    days: dict[tuple[str, str, date], Day] = {}

    def day(user_key: str, product: str, d: date) -> Day:
        return days.setdefault((user_key, product, d), Day(user_key, product, d))

    by_key: dict[tuple[str, str], list[Session]] = defaultdict(list)
    for s in sessions:
        by_key[(s.user_key, s.product)].append(s)
        for d, seconds in _local_pieces(s.started_at, s.ended_at, zone):
            row = day(s.user_key, s.product, d)
            row.sessions += 1
            if s.active_seconds is not None:
                share = s.active_seconds * seconds / s.seconds if s.seconds else s.active_seconds
                row.active_seconds = (row.active_seconds or 0.0) + share
    for (user_key, product), own in by_key.items():
        for start, end, _ in merge_intervals(own):
            for d, seconds in _local_pieces(start, end, zone):
                day(user_key, product, d).open_seconds += seconds
    for w in windows:
        row = day(w.user_key, w.product, w.window_start_at.astimezone(zone).date())
        row.tokens_charged += w.tokens_charged or 0
        row.windows_charged += w.charge_status == "charged"
    return days
