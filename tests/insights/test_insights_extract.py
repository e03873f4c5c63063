"""Insights pulls into the landing folder, read back by the file connectors (load_source)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from connectors.insights.client import Context, InsightsClient
from connectors.insights.extract import (
    Window,
    cell_date,
    extract_exports,
    extract_usage,
    fetch_window,
    usage_where,
)
from connectors.insights.http import ApiAuthError, ApiRequestError
from connectors.insights.state import (
    CURSOR_TABLE,
    all_cursors,
    read_cursors,
    write_cursors,
)
from connectors.load import load_source
from orchestration.defs.extract.pulls import pull_insights
from orchestration.settings import Settings
from tests.insights.fake_insights import FakeInsights, usage_row

CONTEXT = "4865648"
MakeClient = Callable[..., InsightsClient]


def _day(n: int) -> date:
    return date(2026, 10, n)


def _token_usage(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select _source_file, day_used, email, product, feature, team, tokens_used, "
        "hashed_autodesk_id from raw.autodesk_token_usage order by _source_file, _source_row"
    ).fetchall()


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.glob("*.csv"))}


# --------------------------------------------------------------------------------------------
# windows, cells, cursors


def test_fetch_window_starts_at_the_cursor_minus_the_lookback() -> None:
    today = _day(31)
    assert fetch_window("2026-10-29", today, lookback_days=3) == Window(_day(26), today)
    assert fetch_window(None, today, initial_days=10) == Window(_day(22), today)
    assert fetch_window(None, today, initial_days=900, max_days=365) == Window(
        today - timedelta(days=364), today
    )
    assert fetch_window("2026-11-05", today) == Window(today, today)  # never after today
    assert Window(_day(1), _day(31)).chunks(14) == [
        Window(_day(1), _day(14)),
        Window(_day(15), _day(28)),
        Window(_day(29), _day(31)),
    ]
    assert Window(_day(5), _day(5)).chunks(31) == [Window(_day(5), _day(5))]
    assert usage_where(Window(_day(26), today)) == (
        "usageDate >= '2026-10-26' and usageDate <= '2026-10-31' and source = 'flex'"
    )


def test_usage_dates_are_read_from_iso_text_or_epoch() -> None:
    assert cell_date("2026-10-05") == _day(5)
    assert cell_date("2026-10-05T00:00:00Z") == _day(5)
    assert cell_date(1791158400) == _day(5)  # epoch seconds
    assert cell_date(1791158400000) == _day(5)  # epoch milliseconds
    assert cell_date("1791158400") == _day(5)
    assert cell_date("n/a") is None
    assert cell_date(None) is None


def test_cursors_live_in_the_warehouse_per_source_and_scope() -> None:
    with duckdb.connect() as con:
        assert read_cursors(con, "insights_usage") == {}
        write_cursors(con, "insights_usage", {"1": "2026-10-01", "2": "2026-10-02"})
        write_cursors(con, "insights_usage", {"1": "2026-10-09"}, detail={"rows": 3})
        write_cursors(con, "graph_users", {"all": "2026-10-09"})
        assert read_cursors(con, "insights_usage") == {"1": "2026-10-09", "2": "2026-10-02"}
        assert [(c.source, c.scope, c.value, c.detail) for c in all_cursors(con)] == [
            ("graph_users", "all", "2026-10-09", {}),
            ("insights_usage", "1", "2026-10-09", {"rows": 3}),
            ("insights_usage", "2", "2026-10-02", {}),
        ]
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        assert ("raw", CURSOR_TABLE) in tables


# --------------------------------------------------------------------------------------------
# usage


def test_usage_lands_one_file_per_day_and_loads_as_token_usage(
    fake_aps: FakeInsights, insights_client: MakeClient, tmp_path: Path
) -> None:
    rows = [usage_row(_day(1 + i % 3), f"u{i}@example.com", "Revit", 40 + i) for i in range(120)]
    rows.append(usage_row(_day(2), "late@example.com", "AutoCAD", 12.5, feature="ACD"))
    fake_aps.add_usage(CONTEXT, rows)
    fake_aps.query_polls_before_done = 0
    landing = tmp_path / "landing"
    result = extract_usage(insights_client(), landing, cursors={}, today=_day(3), initial_days=5)
    assert result.rows == 121
    assert result.cursors == {CONTEXT: "2026-10-03"}
    assert result.windows == {CONTEXT: "2026-09-29..2026-10-03"}
    assert result.files.changed == [
        f"autodesk/insights/usage/{CONTEXT}/2026-10-01.csv",
        f"autodesk/insights/usage/{CONTEXT}/2026-10-02.csv",
        f"autodesk/insights/usage/{CONTEXT}/2026-10-03.csv",
    ]
    first_lines = (landing / result.files.changed[1]).read_text().splitlines()[:2]
    assert first_lines == [
        "usageDate,emailAddress,firstName,lastName,hashedUserId,productName,featureId,teamName,"
        "tokens",
        "2026-10-02,u1@example.com,U1,Tester,"
        + usage_row(_day(2), "u1@example.com", "Revit", 0)["hashedUserId"]
        + ",Revit,RVT,New York Office,41",
    ]
    with duckdb.connect() as con:
        loaded = load_source(con, landing, "autodesk")
        assert (loaded.files_loaded, loaded.rows_loaded, loaded.rows_quarantined) == (3, 121, 0)
        lines = _token_usage(con)
    day2 = f"autodesk/insights/usage/{CONTEXT}/2026-10-02.csv"
    assert lines[40] == (
        day2,
        "2026-10-02",
        "u1@example.com",
        "Revit",
        "RVT",
        "New York Office",
        "41",
        usage_row(_day(2), "u1@example.com", "Revit", 0)["hashedUserId"],
    )
    assert (day2, "2026-10-02", "late@example.com", "AutoCAD", "ACD") in [r[:5] for r in lines]
    assert [r[6] for r in lines if r[2] == "late@example.com"] == ["12.5"]


def test_dates_as_epoch_or_timestamps_are_filed_by_day_and_unreadable_ones_are_kept(
    fake_aps: FakeInsights, insights_client: MakeClient, tmp_path: Path
) -> None:
    fake_aps.add_usage(
        CONTEXT,
        [
            usage_row(1791158400000, "a@example.com", "Revit", 10),  # epoch ms: 2026-10-05
            usage_row("2026-10-05T00:00:00Z", "b@example.com", "Revit", 11),
            usage_row("2026-10-06", "c@example.com", "Revit", 12),
        ],
    )
    fake_aps.query_polls_before_done = 0
    fake_aps.fail(
        "GET",
        "/insights/v1/usage-queries/",
        200,
        body={
            "status": "COMPLETED",
            "pagination": {"totalResults": 1, "offset": 0, "limit": 100},
            "columns": ["usageDate", "emailAddress", "productName", "tokens"],
            "rows": [["n/a", "d@example.com", "Revit", 13]],
        },
    )
    landing = tmp_path / "landing"
    client = insights_client()
    undated = extract_usage(client, landing, cursors={}, today=_day(6), initial_days=3)
    assert undated.files.changed == [
        f"autodesk/insights/usage/{CONTEXT}/undated_2026-10-04_2026-10-06.csv"
    ]
    assert undated.cursors == {}  # nothing dated: the cursor does not move
    dated = extract_usage(client, landing, cursors={}, today=_day(6), initial_days=3)
    assert dated.files.changed == [
        f"autodesk/insights/usage/{CONTEXT}/2026-10-05.csv",
        f"autodesk/insights/usage/{CONTEXT}/2026-10-06.csv",
    ]
    with duckdb.connect() as con:
        load_source(con, landing, "autodesk")
        by_file = con.execute(
            "select regexp_extract(_source_file, '[^/]+$'), day_used, email "
            "from raw.autodesk_token_usage order by 1, 3"
        ).fetchall()
    assert by_file == [
        ("2026-10-05.csv", "2026-10-05", "a@example.com"),
        ("2026-10-05.csv", "2026-10-05", "b@example.com"),
        ("2026-10-06.csv", "2026-10-06", "c@example.com"),
        # loaded as read: staging gives it `unparseable_timestamp`, nothing is dropped
        ("undated_2026-10-04_2026-10-06.csv", "n/a", "d@example.com"),
    ]


def test_a_team_without_reporting_access_is_skipped_when_others_answer(
    fake_aps: FakeInsights, insights_client: MakeClient, tmp_path: Path
) -> None:
    fake_aps.add_usage(CONTEXT, [usage_row(_day(2), "a@example.com", "Revit", 5)])
    fake_aps.forbidden_contexts = {"999"}
    fake_aps.query_polls_before_done = 0
    teams = [Context(CONTEXT, "New York Office", ()), Context("999", "Team Omega", ())]
    result = extract_usage(
        insights_client(), tmp_path, cursors={}, today=_day(3), contexts=teams, initial_days=3
    )
    assert result.cursors == {CONTEXT: "2026-10-02"}
    assert list(result.skipped) == ["999"]
    assert "HTTP 403 (AUTH-010: No reporting access to this team)" in result.skipped["999"]
    fake_aps.forbidden_contexts.add("998")
    with pytest.raises(ApiAuthError, match="every team refused the usage query"):
        extract_usage(
            insights_client(),
            tmp_path,
            cursors={},
            today=_day(3),
            contexts=[Context("999", "", ()), Context("998", "", ())],
        )


# --------------------------------------------------------------------------------------------
# incremental


def test_second_run_fetches_only_from_the_cursor_minus_lookback_and_never_duplicates(
    fake_aps: FakeInsights, tmp_path: Path, aps_env: dict[str, str]
) -> None:
    from connectors.insights.client import InsightsConfig

    fake_aps.query_polls_before_done = 0
    settings = Settings(
        landing_dir=tmp_path / "landing",
        warehouse=tmp_path / "warehouse.duckdb",
        analysis_window_days=10,
    )
    config = InsightsConfig.from_env(aps_env)
    early = [
        usage_row(_day(d), f"user{d}{k}@example.com", "Revit", d + k)
        for d in range(20, 30)
        for k in range(3)
    ]
    fake_aps.add_usage(CONTEXT, early)

    first = pull_insights(
        settings, config, now=datetime(2026, 10, 29, 20, tzinfo=UTC), exports=False
    )
    assert first.metadata["usage_rows"] == 30
    assert first.metadata[f"cursor/insights_usage/{CONTEXT}"] == "2026-10-29"
    folder = settings.landing_dir / "autodesk" / "insights" / "usage" / CONTEXT
    before = _mtimes(folder)
    assert list(before) == [f"2026-10-{d}.csv" for d in range(20, 30)]
    with duckdb.connect(str(settings.warehouse)) as con:
        load_source(con, settings.landing_dir, "autodesk")

    # new days, and one late line for a day already fetched
    fake_aps.add_usage(
        CONTEXT,
        [usage_row(_day(d), f"new{d}@example.com", "Revit", 7) for d in (30, 31)]
        + [usage_row(_day(28), "late@example.com", "Revit", 9)],
    )
    second = pull_insights(
        settings, config, now=datetime(2026, 10, 31, 9, tzinfo=UTC), exports=False
    )
    where = [q.body["where"] for q in fake_aps.queries.values()]
    assert where == [
        "usageDate >= '2026-10-20' and usageDate <= '2026-10-29' and source = 'flex'",
        "usageDate >= '2026-10-26' and usageDate <= '2026-10-31' and source = 'flex'",
    ]
    assert second.metadata["usage_rows"] == 4 * 3 + 1 + 2  # 26..29 again, the late line, 30, 31
    assert second.metadata["usage_files_written"] == 3  # 28 (late line), 30, 31
    assert second.metadata["usage_files_unchanged"] == 3  # 26, 27, 29
    assert second.metadata[f"cursor/insights_usage/{CONTEXT}"] == "2026-10-31"
    after = _mtimes(folder)
    assert {name for name in after if after[name] != before.get(name)} == {
        "2026-10-28.csv",
        "2026-10-30.csv",
        "2026-10-31.csv",
    }

    with duckdb.connect(str(settings.warehouse)) as con:
        reload = load_source(con, settings.landing_dir, "autodesk")
        assert (reload.files_loaded, reload.files_unchanged) == (3, 9)
        total, distinct = con.execute(
            "select count(*), count(distinct (email, day_used, product, tokens_used)) "
            "from raw.autodesk_token_usage"
        ).fetchall()[0]
        cursors = read_cursors(con, "insights_usage")
    assert (total, distinct) == (33, 33)  # 30 + late + 2 new, not one line twice
    assert cursors == {CONTEXT: "2026-10-31"}


def test_a_long_backfill_goes_in_chunks_and_resumes_where_it_stopped(
    fake_aps: FakeInsights, tmp_path: Path, aps_env: dict[str, str]
) -> None:
    from connectors.insights.client import InsightsConfig

    fake_aps.query_polls_before_done = 0
    fake_aps.add_usage(
        CONTEXT,
        [
            usage_row(day, "a@example.com", "Revit", 5)
            for day in ("2026-08-25", "2026-09-10", "2026-10-20", "2026-10-30")
        ],
    )
    settings = Settings(
        landing_dir=tmp_path / "landing",
        warehouse=tmp_path / "warehouse.duckdb",
        analysis_window_days=70,
    )
    config = InsightsConfig.from_env(aps_env)
    now = datetime(2026, 10, 31, 6, tzinfo=UTC)
    # the third chunk's query is refused: the first two chunks are kept, and their cursor
    fake_aps.fail(
        "POST", "/insights/v1/usage-queries", 400, body={"developerMessage": "bad"}, after=2
    )
    with pytest.raises(ApiRequestError, match=r"HTTP 400 \(bad\)"):
        pull_insights(settings, config, now=now, exports=False)
    assert [q.body["where"][:57] for q in fake_aps.queries.values()] == [
        "usageDate >= '2026-08-23' and usageDate <= '2026-09-22' a",
        "usageDate >= '2026-09-23' and usageDate <= '2026-10-23' a",
    ]
    with duckdb.connect(str(settings.warehouse)) as con:
        assert read_cursors(con, "insights_usage") == {CONTEXT: "2026-10-20"}
    resumed = pull_insights(settings, config, now=now, exports=False)
    last_where = list(fake_aps.queries.values())[-1].body["where"]
    assert last_where.startswith("usageDate >= '2026-10-17' and usageDate <= '2026-10-31'")
    assert resumed.metadata[f"cursor/insights_usage/{CONTEXT}"] == "2026-10-30"
    assert sorted(
        p.name for p in (settings.landing_dir / "autodesk/insights/usage" / CONTEXT).iterdir()
    ) == [
        "2026-08-25.csv",
        "2026-09-10.csv",
        "2026-10-20.csv",
        "2026-10-30.csv",
    ]


# --------------------------------------------------------------------------------------------
# exports


def test_export_downloads_land_where_the_file_readers_read_them(
    fake_aps: FakeInsights, insights_client: MakeClient, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    result = extract_exports(
        insights_client(), landing, cursor=None, today=_day(31), initial_days=90
    )
    assert result.downloads == 3
    assert result.files.changed == ["autodesk/insights/exports/users/2026-10-31.csv"]
    assert result.unread.changed == [
        "_unread/insights/exports/usage/2026-10-31.csv",
        "_unread/insights/exports/usage_report/2026-10-31.csv",
    ]
    assert result.window == "2026-08-03..2026-10-31"
    (export,) = fake_aps.exports.values()
    assert export.body == {
        "outputFormat": "CSV",
        "reports": ["USERS", "USAGE", "USAGE_REPORT"],
        "startDate": "2026-08-03T00:00:00.000Z",
        "endDate": "2026-10-31T23:59:59.999Z",
        "usageReports": ["USAGE_REPORT_BY_PRODUCT"],
        "filters": {},
    }
    assert all(not d["authorization"] and not d["pat"] for d in fake_aps.downloads_seen)
    assert not [p for p in landing.rglob(".*")]  # no temporary file left behind

    with duckdb.connect() as con:
        loaded = load_source(con, landing, "autodesk")
        assert (loaded.files_seen, loaded.rows_loaded, loaded.rows_quarantined) == (1, 2, 0)
        seats = con.execute(
            "select email, product, access_option, assigned_on, team from "
            "raw.autodesk_assignments order by _source_row"
        ).fetchall()
    assert seats == [
        ("ana@example.com", "Revit", "Single user", "2026-01-05", "New York Office"),
        ("bo@example.com", "AutoCAD", "Flex", "2026-02-01", "New York Office"),
    ]

    again = extract_exports(
        insights_client(), landing, cursor=result.cursor, today=_day(31), lookback_days=3
    )
    assert again.window == "2026-10-28..2026-10-31"
    assert again.files.unchanged == ["autodesk/insights/exports/users/2026-10-31.csv"]


def test_an_expired_download_url_is_asked_for_again(
    fake_aps: FakeInsights, insights_client: MakeClient, tmp_path: Path
) -> None:
    fake_aps.fail("GET", "/files/", 403, raw=b"<Error>Request has expired</Error>")
    result = extract_exports(
        insights_client(), tmp_path, cursor=None, today=_day(31), reports=["USERS"]
    )
    assert result.files.changed == ["autodesk/insights/exports/users/2026-10-31.csv"]
    (export_id,) = fake_aps.exports
    assert len(fake_aps.calls("GET", f"/insights/v1/exports/{export_id}")) == 3  # 2 polls + 1
