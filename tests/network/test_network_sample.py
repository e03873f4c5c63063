"""The network marts on the sample organisation's FlexNet logs, checked two independent ways.

* Against what the generator wrote (``_sample.json``): checkouts, denials, checkouts left open
  by the restart, people per product, and the pools of the licence files.
* Against a small pure-Python model of the concurrency curve: the sessions the parser reads,
  stitched across the rotated log, timed with ``zoneinfo``, swept day by day.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.flexlm import LogSession, parse_log, split_feature
from tests.network.builder import Query, build_network_warehouse

AS_OF = "2026-10-31T18:00:00+00:00"
TZ = ZoneInfo("Europe/London")
PRODUCTS = {"ACD": "AutoCAD", "NAVMAN": "Navisworks Manage", "RVT": "Revit"}


@pytest.fixture(scope="module")
def sample_marts(small_org: Path, tmp_path_factory: pytest.TempPathFactory) -> Query:
    """The network marts of the session's sample organisation (built once for this module)."""
    return build_network_warehouse(
        tmp_path_factory.mktemp("sample_network"), small_org, as_of=AS_OF, timezone=TZ.key
    )


def _epoch(wall_clock: str) -> int:
    """UTC epoch of a London wall-clock time; a time that is ambiguous or skipped at a clock
    change is read in standard time (GMT), as DuckDB's time-zone conversion does."""
    naive = datetime.fromisoformat(wall_clock)
    return max(int(naive.replace(tzinfo=TZ, fold=fold).timestamp()) for fold in (0, 1))


def _sessions(landing: Path) -> list[tuple[str, str, int, int, int]]:
    """(product, user, start, end, licences) of every checkout, UTC epoch seconds."""
    by_file: list[tuple[str, str, LogSession]] = []
    for path in sorted((landing / "flexlm").rglob("*.log")):
        for session in parse_log(path.open("rb"), server=path.parent.name).sessions:
            by_file.append((path.parent.name, path.name, session))
    ends = [e for e in by_file if e[2].closed_by == "end_of_log"]
    starts = [s for s in by_file if s[2].opened_by == "start_of_log"]
    merged: dict[int, str] = {}  # id of an end_of_log session -> the in_at of its continuation
    used_starts: set[int] = set()
    for server, name, end in ends:
        for other_server, other_name, start in starts:
            if (
                other_server == server
                and other_name != name
                and (start.feature, start.user, start.host) == (end.feature, end.user, end.host)
                and start.out_at >= end.in_at
                and id(start) not in used_starts
            ):
                merged[id(end)] = start.in_at
                used_starts.add(id(start))
                break
    as_of = int(datetime.fromisoformat(AS_OF).timestamp())
    out = []
    for _, _, s in by_file:
        if id(s) in used_starts:
            continue
        start, end = _epoch(s.out_at), _epoch(merged.get(id(s), s.in_at))
        if start >= as_of:
            continue
        out.append(
            (
                PRODUCTS[split_feature(s.feature).suffix or ""],
                s.user,
                start,
                min(end, as_of),
                s.licenses,
            )
        )
    return out


def _curve(sessions: list[tuple[str, str, int, int, int]]) -> dict[tuple[str, date, int], float]:
    """Hours with at least n licences in use, per product, local day and n (n >= 1)."""
    out: dict[tuple[str, date, int], float] = {}
    for product in sorted({s[0] for s in sessions}):
        mine = [s for s in sessions if s[0] == product and s[3] > s[2]]
        first = min(datetime.fromtimestamp(s[2], TZ).date() for s in mine)
        last = max(datetime.fromtimestamp(s[3], TZ).date() for s in mine)
        day = first
        while day <= last:
            day_start = int(datetime.combine(day, time(), TZ).timestamp())
            day_end = int(datetime.combine(day + timedelta(days=1), time(), TZ).timestamp())
            changes: dict[int, int] = defaultdict(int)
            for _, _, start, end, licences in mine:
                if start < day_end and end > day_start:
                    changes[max(start, day_start)] += licences
                    changes[min(end, day_end)] -= licences
            seconds_at: dict[int, int] = defaultdict(int)
            level, previous = 0, day_start
            for at in sorted(changes):
                seconds_at[level] += at - previous
                level, previous = level + changes[at], at
            for n in range(1, max(seconds_at, default=0) + 1):
                hours = sum(s for lvl, s in seconds_at.items() if lvl >= n) / 3600
                if hours:
                    out[(product, day, n)] = round(hours, 4)
            day += timedelta(days=1)
    return out


def test_the_marts_find_what_the_generator_wrote(sample_marts, small_org: Path) -> None:
    truth = json.loads((small_org / "_sample.json").read_text())["summary"]["network"]
    assert truth["checkouts"] > 500 and truth["denials"] > 0 and truth["open_at_restart"] > 0
    sessions = dict(
        sample_marts(
            "select status, count(*) from intermediate.int_network_sessions_resolved group by 1"
        )
    )
    assert sessions == {"used": truth["checkouts"], "merged": 1}
    assert sample_marts(
        "select closed_by, count(*) from intermediate.int_network_sessions_resolved "
        "where status = 'used' and closed_by <> 'in' group by 1"
    ) == [("restart", truth["open_at_restart"])]
    assert sample_marts(
        "select count(*) from intermediate.int_network_sessions_resolved where is_stitched"
    ) == [(1,)]
    assert sample_marts("select sum(denials) from marts.rpt_network_concurrency") == [
        (truth["denials"],)
    ]
    sizing = sample_marts(
        "select product, distinct_users, network_seats, pool_source, sizing_status "
        "from marts.rpt_named_user_sizing order by product"
    )
    assert sizing == [
        ("AutoCAD", truth["users"]["AutoCAD"], 7, "licence_file", "sized"),
        ("Navisworks Manage", truth["users"]["Navisworks Manage"], 2, "licence_file", "sized"),
        ("Revit", truth["users"]["Revit"], 4, "licence_file", "sized"),
    ]
    # the only unusable line is the one the server truncated as it went down
    assert sample_marts(
        "select entity, reason, value, source_file from intermediate.int_rows_quarantined "
        "where source = 'flexlm'"
    ) == [("file", "unparseable_line", "13:40:0", "flexlm/LICSRV01/adskflex.log")]


def test_the_curve_matches_a_python_model_of_the_logs(sample_marts, small_org: Path) -> None:
    expected = _curve(_sessions(small_org))
    rows = sample_marts(
        "select product, usage_date, n, hours_at_or_above_n "
        "from marts.rpt_network_concurrency_curve where hours_at_or_above_n > 0"
    )
    got = {(p, d, n): float(h) for p, d, n, h in rows}
    assert len(got) > 200
    assert got == expected
    # the curve at n = 1 is the day's hours in use
    mismatched = sample_marts(
        "select c.product, c.usage_date from marts.rpt_network_concurrency_curve as c "
        "inner join marts.rpt_network_concurrency as d "
        "on c.product = d.product and c.usage_date = d.usage_date "
        "where c.n = 1 and c.hours_at_or_above_n <> d.hours_in_use"
    )
    assert mismatched == []
    # the clock change of 25 October 2026 makes a 25-hour day
    assert sample_marts(
        "select distinct day_seconds from intermediate.int_network_days_spanned "
        "where usage_date = '2026-10-25'"
    ) == [(90000,)]
