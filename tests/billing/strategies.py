"""Hypothesis strategies: random people with sessions, rates and assignments around DST changes.

Sessions are drawn as a walk in time so that they overlap, touch (one starts when another ends),
run on several hosts, cross midnights and DST changes, last from 0 seconds to several days, and
may still be running at the as-of time (then they end there, as fct_sessions cuts them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from tests.billing.rules_model import Coverage, Rate, Session

# DST changes of 2026 near these instants: US 8 Mar, Europe 29 Mar, Lord Howe and Santiago 5 Apr,
# Europe 25 Oct, US 1 Nov
ANCHORS = (
    datetime(2026, 3, 6, tzinfo=UTC),
    datetime(2026, 3, 27, tzinfo=UTC),
    datetime(2026, 4, 3, tzinfo=UTC),
    datetime(2026, 10, 23, tzinfo=UTC),
    datetime(2026, 10, 30, tzinfo=UTC),
)
ZONES = (
    "UTC",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kathmandu",
)
PRODUCTS = ("AutoCAD", "Revit", "Maya", "Civil 3D")  # Civil 3D has no rate; Maya only later
HOSTS = ("WS1", "WS2", "WS3")
HORIZON = timedelta(days=9)  # the as-of time is this long after the anchor

gaps = st.one_of(
    st.just(0),
    st.integers(0, 600),
    st.integers(0, 6 * 3600),
    st.integers(20 * 3600, 28 * 3600),
    st.integers(0, 3 * 86400),
)
durations = st.one_of(
    st.just(0),
    st.integers(1, 299),
    st.just(300),
    st.integers(300, 3 * 3600),
    st.integers(3 * 3600, 12 * 3600),
    st.integers(23 * 3600, 25 * 3600),
    st.integers(86400, 3 * 86400),
)


@st.composite
def person_sessions(
    draw: st.DrawFn, user_key: str, anchor: datetime, as_of: datetime
) -> list[Session]:
    """Sessions of one person, as fct_sessions would hold them (cut at `as_of`)."""
    resolved = draw(st.booleans())
    sessions: list[Session] = []
    t = anchor + timedelta(seconds=draw(st.integers(-86400, 86400)))
    previous_end = t
    for n in range(draw(st.integers(1, 10))):
        if sessions and draw(st.integers(0, 5)) == 0:
            start = previous_end  # touching the previous session
        else:
            start = t + timedelta(seconds=draw(gaps))
        if start >= as_of:
            break
        still_open = draw(st.integers(0, 9)) == 0
        end = as_of if still_open else start + timedelta(seconds=draw(durations))
        if end >= as_of:
            end, still_open = as_of, True
        seconds = int((end - start).total_seconds())
        active = draw(st.one_of(st.none(), st.integers(0, seconds)))
        sessions.append(
            Session(
                session_id=f"{user_key}-{n}",
                user_key=user_key,
                product=draw(st.sampled_from(PRODUCTS)),
                host=draw(st.sampled_from(HOSTS)),
                started_at=start,
                ended_at=end,
                active_seconds=active,
                is_open_at_as_of=still_open,
                is_identity_resolved=resolved,
            )
        )
        t, previous_end = start, end
    return sessions


@st.composite
def coverage_rows(draw: st.DrawFn, user_key: str, anchor: datetime) -> list[Coverage]:
    rows = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.one_of(st.none(), st.integers(-3, 8)))
        length = draw(st.one_of(st.none(), st.integers(1, 5)))
        covered_from = None if start is None else anchor.date() + timedelta(days=start)
        covered_until = (
            None
            if length is None
            else (covered_from or anchor.date() + timedelta(days=2)) + timedelta(days=length)
        )
        rows.append(
            Coverage(
                user_key=user_key,
                product=draw(st.sampled_from(PRODUCTS)),
                covered_by=draw(st.sampled_from(("named", "trial"))),
                via_collection=draw(st.sampled_from((None, "AEC Collection"))),
                covered_from=covered_from,
                covered_until=covered_until,
            )
        )
    return rows


def rate_table(anchor: datetime, change_in_days: int) -> list[Rate]:
    change = anchor.date() + timedelta(days=change_in_days)
    return [
        Rate("AutoCAD", 6, date(2021, 9, 7), change - timedelta(days=1)),
        Rate("AutoCAD", 7, change, None),
        Rate("Revit", 10, date(2021, 9, 7), None),
        Rate("Maya", 6, anchor.date() + timedelta(days=2), None),
    ]


@st.composite
def billing_batches(draw: st.DrawFn, people: tuple[int, int] = (15, 30)) -> dict[str, object]:
    """Many people (one per case) sharing one run: anchor, time zone, rates and as-of time."""
    anchor = draw(st.sampled_from(ANCHORS))
    as_of = anchor + HORIZON
    sessions: list[Session] = []
    coverage: list[Coverage] = []
    count = draw(st.integers(*people))
    for i in range(count):
        user_key = f"case{i:03d}@example.com"
        sessions += draw(person_sessions(user_key, anchor, as_of))
        coverage += draw(coverage_rows(user_key, anchor))
    return {
        "sessions": sessions,
        "coverage": coverage,
        "rates": rate_table(anchor, draw(st.integers(-2, 5))),
        "as_of": as_of,
        "timezone": draw(st.sampled_from(ZONES)),
    }
