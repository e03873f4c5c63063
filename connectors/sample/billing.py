"""A small, independent implementation of Autodesk's Flex 24-hour windows (flex-rules.md F1-F8).

The generator uses it to play Autodesk: the Token Usage export it writes is what these rules bill
for the sessions it generated. Sessions are merged per key (Autodesk ID x product) into usage
intervals (overlapping or touching sessions on any host become one); then

* an interval that starts outside an open window and lasts under 5 minutes is a 0-token grace row
  and opens no window (F5, F5a); a still-running interval is never a grace row;
* otherwise a launch opens a 24-hour window at the interval's start (F2);
* an interval still in use when its window ends opens the next window at that instant (F4);
* re-opening inside an open window costs nothing (F3).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

import numpy as np

from .catalogue import token_rate

WINDOW_SECONDS = 86_400
GRACE_SECONDS = 300
LAUNCH, RENEWAL, GRACE = 0, 1, 2
KIND_NAMES: tuple[Literal["launch", "renewal", "grace"], ...] = ("launch", "renewal", "grace")
_NEVER = -(2**62)
_CHUNK = 50_000
_KEY_SHIFT = 2**33  # > any time span the sample covers, in seconds


class WindowTracker:
    """Streams sessions of many keys in time order and emits their Flex windows.

    Feed sessions with :meth:`add` in batches; within a batch the order does not matter, but
    every session of a key in a batch must start no earlier than the sessions of that key in
    earlier batches (month-by-month generation guarantees it). :meth:`finish` closes the
    intervals still open and returns every window (key, start, kind).
    """

    def __init__(self) -> None:
        # key -> [interval_start, interval_end, interval_running, window_end]
        self._state: dict[int, list[int]] = {}
        self._keys = array("q")
        self._starts = array("q")
        self._kinds = array("b")
        self._base: int | None = None

    def add(
        self, keys: np.ndarray, starts: np.ndarray, ends: np.ndarray, running: np.ndarray
    ) -> None:
        """Add sessions: key, start and end (epoch seconds; a running session ends at as-of)."""
        if len(keys) == 0:
            return
        keys = np.asarray(keys, dtype=np.int64)
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.maximum(np.asarray(ends, dtype=np.int64), starts)
        running = np.asarray(running, dtype=bool)
        if self._base is None:
            self._base = int(starts.min()) - 10 * WINDOW_SECONDS
        order = np.lexsort((starts, keys))
        keys, starts, ends, running = keys[order], starts[order], ends[order], running[order]
        # merge overlapping/touching sessions of a key inside the batch (vectorised)
        comb_start = keys * _KEY_SHIFT + (starts - self._base)
        comb_end = np.maximum.accumulate(keys * _KEY_SHIFT + (ends - self._base))
        new = np.ones(len(keys), dtype=bool)
        new[1:] = comb_start[1:] > comb_end[:-1]
        first = np.flatnonzero(new)
        i_keys = keys[first]
        i_starts = starts[first]
        i_ends = np.maximum.reduceat(ends, first)
        i_running = np.logical_or.reduceat(running, first)
        for lo in range(0, len(first), _CHUNK):
            hi = lo + _CHUNK
            self._feed(
                i_keys[lo:hi].tolist(),
                i_starts[lo:hi].tolist(),
                i_ends[lo:hi].tolist(),
                i_running[lo:hi].tolist(),
            )

    def _feed(
        self, keys: list[int], starts: list[int], ends: list[int], running: list[bool]
    ) -> None:
        state = self._state
        close = self._close
        for k, s, e, r in zip(keys, starts, ends, running, strict=True):
            st = state.get(k)
            if st is None:
                state[k] = [s, e, int(r), _NEVER]
                continue
            if s <= st[1]:  # overlaps or touches the open interval
                if e > st[1]:
                    st[1] = e
                if r:
                    st[2] = 1
                continue
            close(k, st)
            st[0], st[1], st[2] = s, e, int(r)

    def _close(self, key: int, st: list[int]) -> None:
        s, e, running, window_end = st
        if s >= window_end:  # a launch outside any open window
            if not running and e - s < GRACE_SECONDS:
                self._emit(key, s, GRACE)
                return
            self._emit(key, s, LAUNCH)
            window_end = s + WINDOW_SECONDS
        while e > window_end:  # still in use when the window ends: renewal at that instant
            self._emit(key, window_end, RENEWAL)
            window_end += WINDOW_SECONDS
        st[3] = window_end

    def _emit(self, key: int, start: int, kind: int) -> None:
        self._keys.append(key)
        self._starts.append(start)
        self._kinds.append(kind)

    def finish(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Close every open interval; return (keys, window starts, kinds) sorted by key, start."""
        for key in sorted(self._state):
            self._close(key, self._state[key])
        self._state.clear()
        keys = np.frombuffer(self._keys, dtype=np.int64).copy()
        starts = np.frombuffer(self._starts, dtype=np.int64).copy()
        kinds = np.frombuffer(self._kinds, dtype=np.int8).copy()
        order = np.lexsort((starts, keys))
        return keys[order], starts[order], kinds[order]


@dataclass(frozen=True)
class FlexWindow:
    """One Flex usage window (or 0-token grace row) of one Autodesk ID and product."""

    start: datetime
    kind: Literal["launch", "renewal", "grace"]

    @property
    def usage_date(self) -> date:
        """The UTC date the window is reported on (F8)."""
        return self.start.astimezone(UTC).date()


def _seconds(ts: datetime) -> int:
    if ts.tzinfo is None:
        raise ValueError(f"timestamps must be time-zone aware: {ts.isoformat()}")
    return int(ts.timestamp())


def flex_windows(
    sessions: Iterable[tuple[datetime, datetime | None]], *, as_of: datetime | None = None
) -> list[FlexWindow]:
    """Flex windows of the sessions of one Autodesk ID and one product.

    Each session is (start, end) with aware datetimes; end None = still running at `as_of`.
    """
    starts, ends, running = [], [], []
    for start, end in sessions:
        starts.append(_seconds(start))
        if end is None:
            if as_of is None:
                raise ValueError("a running session needs as_of")
            ends.append(_seconds(as_of))
            running.append(True)
        else:
            ends.append(_seconds(end))
            running.append(False)
    tracker = WindowTracker()
    tracker.add(
        np.zeros(len(starts), dtype=np.int64),
        np.array(starts),
        np.array(ends),
        np.array(running, dtype=bool),
    )
    _, w_starts, kinds = tracker.finish()
    return [
        FlexWindow(datetime.fromtimestamp(int(s), UTC), KIND_NAMES[int(k)])
        for s, k in zip(w_starts, kinds, strict=True)
    ]


def daily_token_usage(
    sessions: Iterable[tuple[datetime, datetime | None]],
    *,
    product: str,
    covered: Callable[[date], bool] | None = None,
    as_of: datetime | None = None,
) -> list[tuple[date, int]]:
    """What the Token Usage export reports for one Autodesk ID and product: (UTC date, tokens).

    Grace rows report 0 tokens; windows covered by a named-user, trial or collection assignment
    on their start date (`covered`) are not Flex usage and are left out; a product without a known
    rate is left out entirely.
    """
    per_day: dict[date, int] = {}
    for window in flex_windows(sessions, as_of=as_of):
        day = window.usage_date
        rate = token_rate(product, day)
        if rate is None or (covered is not None and covered(day)):
            continue
        per_day[day] = per_day.get(day, 0) + (0 if window.kind == "grace" else rate)
    return sorted(per_day.items())
