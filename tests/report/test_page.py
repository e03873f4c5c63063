"""The report page rendered from small hand-made marts, written through the real export."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.defs.report.exported import ExportedRun, ExportNotFound, resolve_run_folder
from orchestration.defs.report.page import build_page, render, render_run, write_report
from tests.report.conftest import RUN_ID, ExportMarts, export_marts_to
from tests.report.html_text import element, text

NOW = datetime(2026, 11, 1, 7, 30, tzinfo=UTC)

RECOMMENDATIONS = """
select * from (values
  ('ann@x.example', 'Ann Archer', 'Architecture', 'Revit', 'product', 'move_to_named', 5,
   cast(1000.10 as decimal(18, 2)), 'USD', 'Used Revit on Flex on 120 days: assign a Revit seat.'),
  ('lee@x.example', 'Lee Leaver', 'Civil', 'AutoCAD', 'product', 'reclaim_leaver', 1,
   cast(2030.00 as decimal(18, 2)), 'USD', 'Left on 2026-05-31; AutoCAD seat: reclaim it.'),
  ('lee@x.example', 'Lee Leaver', 'Civil', 'Flex', 'flex_access', 'reclaim_leaver', 1,
   cast(0 as decimal(18, 2)), 'USD', 'Left on 2026-05-31; remove Flex access.'),
  ('bob@x.example', 'Bob <script>alert(1)</script>', 'MEP', 'Maya', 'product', 'watch_trend', 7,
   cast(0 as decimal(18, 2)), 'USD', 'Watch it <img src="https://example.com/x.png">.')
) as t(user_key, display_name, department, product, product_kind, recommendation, priority,
       annual_saving, currency, reason)
"""

DIM_USERS = """
select * from (values
  ('ann@x.example', 'Ann Archer', 'Architecture', 'active', cast(null as date)),
  ('lee@x.example', 'Lee Leaver', 'Civil', 'left', date '2026-05-31'),
  ('bob@x.example', 'Bob <script>alert(1)</script>', 'MEP', 'active', cast(null as date)),
  ('cy@x.example', 'Cy Starter', 'MEP', 'active', cast(null as date))
) as t(user_key, display_name, department, status, left_on)
"""

REASSIGNMENTS = """
select 'AutoCAD' as product, 'lee@x.example' as from_user_key, 'cy@x.example' as to_user_key,
  cast(1500.00 as decimal(18, 2)) as annual_saving, 'USD' as currency,
  'reclaim_leaver' as from_recommendation, 'starter_on_flex' as to_reason,
  'Give the AutoCAD seat reclaimed from a leaver to the recipient.' as reason
"""

BALANCE = """
select cast(date '2026-10-01' + cast(i as integer) as date) as balance_date,
  1000 - 10 * i as balance, 10 as tokens_consumed,
  cast(30 as decimal(18, 4)) as consumed_cost, 'USD' as currency
from range(31) as t(i)
"""

FORECAST_DAILY = """
select cast(date '2026-11-01' + cast(i as integer) as date) as forecast_date,
  cast(690 - 10 * i as decimal(18, 4)) as projected_balance
from range(120) as t(i)
"""

FORECAST = """
select 'r1' as run_id, 700 as balance, date '2027-01-09' as run_out_date, 70 as days_to_run_out,
  true as is_run_out_within_warning, date '2026-12-26' as top_up_needed_by,
  false as is_top_up_due, cast(150 as decimal(18, 4)) as tokens_expiring_unused,
  cast(450 as decimal(18, 2)) as expiring_value, date '2027-02-01' as next_unused_expiry_date,
  5000 as tokens_to_buy, '1 x 5000' as pack_combination,
  cast(14000 as decimal(18, 2)) as top_up_cost, date '2027-10-31' as horizon_date,
  cast(10 as decimal(18, 4)) as burn_rate_per_day, 90 as burn_window_days, 'USD' as currency
"""

PACKS = """
select 'ORD-1' as order_id, date '2026-02-01' as purchased_on, date '2027-02-01' as expires_on,
  700 as tokens_at_as_of, cast(150 as decimal(18, 4)) as tokens_expiring_unused,
  cast(450 as decimal(18, 2)) as expiring_value, date '2027-01-08' as projected_last_draw_date
"""

LEDGER = """
select * from (values
  ('ORD-0', date '2026-10-15', false), ('ORD-1', date '2027-02-01', false),
  ('(overdrawn)', cast(null as date), true)
) as t(order_id, expires_on, is_overdraft)
"""

WINDOWS = """
select * from (values
  ('w1', 'Revit', date '2026-09-03'), ('w2', 'AutoCAD', date '2026-10-04'),
  ('w3', 'Revit', date '2026-10-05')
) as t(window_id, product, usage_date)
"""

WINDOW_COSTS = """
select * from (values
  ('w1', cast(30.00 as decimal(18, 4))), ('w2', cast(21.00 as decimal(18, 4))),
  ('w3', cast(27.00 as decimal(18, 4)))
) as t(window_id, token_cost)
"""

DEPARTMENTS = """
select * from (values
  ('Architecture', date '2026-09-01', cast(30 as decimal(18, 2)), cast(100 as decimal(18, 2)), 30),
  ('Architecture', date '2026-10-01', cast(27 as decimal(18, 2)), cast(100 as decimal(18, 2)), 31),
  ('Civil', date '2026-10-01', cast(21 as decimal(18, 2)), cast(0 as decimal(18, 2)), 31)
) as t(department, month, flex_cost, subscription_cost, days_counted)
"""

UTILISATION = """
select * from (values
  ('ann@x.example', 'Revit', 'flex', 240.0, 104.0, cast(3000 as decimal(18, 2))),
  ('lee@x.example', 'AutoCAD', 'subscription', 10.0, 104.0, cast(0 as decimal(18, 2))),
  ('bob@x.example', 'Maya', 'flex', 40.0, 112.0, cast(300 as decimal(18, 2))),
  ('cy@x.example', 'Civil 3D', 'flex', 20.0, cast(null as double), cast(0 as decimal(18, 2)))
) as t(user_key, product, access, annualised_days, break_even_days, flex_cost)
"""

RECONCILIATION = """
select * from (values
  ('match', true), ('match', true), ('match', true), ('differs', true),
  ('not_reported', false), ('not_reported', false)
) as t(status, is_in_common_period)
"""

DATA_QUALITY = """
select * from (values
  ('quarantine', 'usage', 'unparseable_timestamp', 12, 'quarantined', '''yesterday'' at row 3'),
  ('quarantine', 'flexlm', 'unparseable_line', 3, 'quarantined', '''13:40:0'' at row 9'),
  ('check', 'rpt_token_forecast', 'tokens_run_out_soon', null, 'warned', 'Tokens run out soon.'),
  ('check', 'dim_users', 'unique_user_key', 0, 'passed', null),
  ('check', 'fct_sessions', 'not_null_session_id', 0, 'passed', null)
) as t(kind, source, reason_or_check, rows, outcome, example)
"""

NO_NETWORK = """
select 'AutoCAD' as product, date '2026-10-01' as usage_date, 3 as peak_in_use, 4 as pool_size,
  0 as denials
where false
"""

FULL = {
    "rpt_licence_recommendations": RECOMMENDATIONS,
    "dim_users": DIM_USERS,
    "rpt_seat_reassignments": REASSIGNMENTS,
    "rpt_token_balance_daily": BALANCE,
    "rpt_token_forecast_daily": FORECAST_DAILY,
    "rpt_token_forecast": FORECAST,
    "rpt_token_pack_forecast": PACKS,
    "fct_token_ledger": LEDGER,
    "fct_usage_windows": WINDOWS,
    "fct_token_window_costs": WINDOW_COSTS,
    "rpt_department_costs": DEPARTMENTS,
    "rpt_user_product_utilisation": UTILISATION,
    "rpt_billing_reconciliation": RECONCILIATION,
    "rpt_data_quality": DATA_QUALITY,
    "rpt_network_concurrency": NO_NETWORK,
    "rpt_network_concurrency_curve": "select 'AutoCAD' as product, date '2026-10-01' as "
    "usage_date, 1 as n, 2.0 as hours_at_or_above_n where false",
    "rpt_named_user_sizing": "select 'AutoCAD' as product, 1 as distinct_users, "
    "1 as named_seats_recommended where false",
}

# the values an xmlns attribute may hold; any other URL on the page would be a request
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


@pytest.fixture(scope="module")
def full_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The page of every mart above, rendered once for the module (charts take seconds)."""
    html, _ = render_run(
        export_marts_to(tmp_path_factory.mktemp("full") / "exports", FULL), now=NOW
    )
    return html


def test_headline_saving_is_the_sum_of_the_recommendations(full_page: str) -> None:
    shown, attributes = element(full_page, "headline-saving")
    assert attributes["data-value"] == "3030.10"
    assert shown.startswith("Recommended annual saving 3,030 USD")
    assert "from 2 actions with a saving (4 recommendations in all)" in shown
    by_kind = text(full_page, "table-saving-by-kind")
    assert "Reclaim from a leaver 2 2,030 USD" in by_kind
    assert "Move to a named seat 1 1,000 USD" in by_kind
    assert "Watch the trend 1 0 USD" in by_kind
    assert by_kind.endswith("Total 4 3,030 USD")


def test_headline_tokens_spend_reconciliation_and_quality(full_page: str) -> None:
    spend, attributes = element(full_page, "headline-spend")
    assert attributes["data-value"] == "930.00"  # 31 days x 30
    assert "930 USD" in spend and "310 tokens used since 1 Oct 2026" in spend
    assert text(full_page, "headline-balance").startswith("Flex tokens left 700 using 10 a day")
    run_out = text(full_page, "headline-run-out")
    assert run_out == (
        "Tokens run out 9 Jan 2027 In 70 days; order a top-up by 26 Dec 2026: 5,000 tokens "
        "(1 × 5000), about 14,000 USD, last until 31 Oct 2027."
    )
    assert text(full_page, "headline-expiring") == (
        "Tokens expiring unused 150 worth 450 USD; the first on 1 Feb 2027 at the current use"
    )
    # out-of-period days do not count: 3 of the 4 days both sides cover match
    reconciliation, attributes = element(full_page, "headline-reconciliation")
    assert "75.0%" in reconciliation and "3 of 4 person × product × days match; 1 differ" in (
        reconciliation
    )
    assert attributes["data-value"] == "0.750000"
    quality = text(full_page, "headline-quality")
    assert quality.startswith("Rows set aside (quarantined) 15 3 checks: 2 passed, 1 warned")


def test_tables_a_licence_manager_acts_on(full_page: str) -> None:
    recommendations = text(full_page, "table-recommendations")
    # by saving, the largest first, with the person's name, department and the reason
    assert recommendations.index("2,030 USD") < recommendations.index("1,000 USD")
    assert "Ann Archer Architecture · ann@x.example Revit Used Revit on Flex" in recommendations
    assert "Total" in recommendations and "3,030 USD" in recommendations
    leavers = text(full_page, "table-leavers")
    assert leavers.startswith("2 seats held by leavers")
    assert "Lee Leaver Civil · lee@x.example 31 May 2026 AutoCAD 2,030 USD" in leavers
    assert "31 May 2026 Flex access 0 USD" in leavers
    transfers = text(full_page, "table-reassignments")
    assert "AutoCAD Lee Leaver reclaim from a leaver · Civil · lee@x.example" in transfers
    assert "Cy Starter starter using it on Flex · MEP · cy@x.example 1,500 USD" in transfers
    packs = text(full_page, "table-token-packs")
    assert "ORD-1 1 Feb 2026 1 Feb 2027 700 8 Jan 2027 150 450 USD" in packs
    departments = text(full_page, "table-department-costs")
    assert departments.startswith("Licence cost by department, Sep 2026 to Oct 2026")
    assert "Architecture 57 USD 200 USD 257 USD" in departments
    assert "Total 78 USD 200 USD 278 USD" in departments
    quarantine = text(full_page, "table-quarantine")
    assert "usage unparseable_timestamp 12 'yesterday' at row 3" in quarantine
    assert "Total 15" in quarantine
    assert "warned rpt_token_forecast tokens_run_out_soon Tokens run out soon." in text(
        full_page, "table-checks"
    )


def test_charts_are_inline_svg_with_unique_ids_and_nothing_to_load(full_page: str) -> None:
    charts = re.findall(r'<figure class="chart" id="([^"]+)"', full_page)
    assert charts == [
        "chart-token-balance",
        "chart-spend-product",
        "chart-spend-department",
        "chart-break-even",
        "chart-top-consumers",
    ]
    assert full_page.count("<svg ") == len(charts)
    for chart in charts:
        svg = full_page.split(f'id="{chart}"', 1)[1].split("</svg>", 1)[0]
        assert svg.count("<path") + svg.count("<text") > 10, chart
    ids = re.findall(r'\sid="([^"]+)"', full_page)
    assert len(ids) == len(set(ids)), "element ids repeat (SVG clip paths must be prefixed)"
    # no attribute or style points anywhere (text that merely mentions a URL is escaped)
    urls = set(re.findall(r'\s[\w:-]+="((?:[a-z]+:)?//[^"]*)"', full_page))
    assert urls == NAMESPACES, urls
    assert "url(http" not in full_page and "@import" not in full_page
    assert "<script" not in full_page.lower()
    assert "default-src 'none'" in full_page  # the page's CSP forbids every request
    # the break-even chart leaves out the product without a break-even and says so
    assert "Not shown (no break-even: token rate or price unknown): Civil 3D." in full_page
    assert "1 of 3 person × product uses are above break-even." in full_page


def test_text_from_the_marts_is_escaped(full_page: str) -> None:
    assert "Bob &lt;script&gt;alert(1)&lt;/script&gt;" in full_page
    assert "<img" not in full_page
    assert "&lt;img src=&#34;https://example.com/x.png&#34;&gt;" in full_page


def test_empty_network_marts_say_there_is_nothing_to_show(full_page: str) -> None:
    assert (
        "No FlexNet licence server logs in this run (they are read from flexlm/ in the landing "
        "folder): nothing to show."
    ) in text(full_page, "network")
    assert 'id="missing-marts"' not in full_page


def test_missing_marts_are_named_and_the_rest_still_renders(export_marts: ExportMarts) -> None:
    folder = export_marts({"rpt_licence_recommendations": RECOMMENDATIONS, "dim_users": DIM_USERS})
    run = ExportedRun.open(folder)
    page = build_page(run, now=NOW)
    html = render(page)
    assert page.missing["rpt_token_forecast"] == "not in this export (the mart was not built)"
    assert "rpt_licence_recommendations" not in page.missing
    header = text(html, "missing-marts")
    assert header.startswith("Part of this report is missing.")
    assert "rpt_token_balance_daily : not in this export (the mart was not built)" in header
    # the headline still adds the savings; what cannot be known says why
    assert element(html, "headline-saving")[1]["data-value"] == "3030.10"
    assert text(html, "headline-balance") == (
        "Flex tokens left – Not available: rpt_token_forecast: not in this export "
        "(the mart was not built)"
    )
    tokens = text(html, "tokens")
    assert (
        "Not available: rpt_token_balance_daily: not in this export (the mart was not built)"
        in tokens
    )
    assert "chart-" not in html.split('id="tokens"', 1)[1].split("</section>", 1)[0]
    assert "Not available: rpt_network_concurrency" in text(html, "network")
    assert text(html, "table-leavers").startswith("2 seats held by leavers")
    sources = text(html, "table-sources")
    assert "rpt_licence_recommendations 4 read" in sources
    assert "rpt_department_costs – missing not in this export (the mart was not built)" in sources


def test_a_mart_lacking_a_needed_column_is_reported(export_marts: ExportMarts) -> None:
    folder = export_marts(
        {"rpt_licence_recommendations": "select 'a' as user_key, 'Revit' as product"}
    )
    html, page = render_run(folder, now=NOW)
    assert page.missing["rpt_licence_recommendations"] == (
        "lacks columns annual_saving, reason, recommendation"
    )
    assert "Not available: rpt_licence_recommendations: lacks columns" in text(
        html, "recommendations"
    )


def test_a_csv_only_export_is_reported(export_marts: ExportMarts) -> None:
    folder = export_marts({"rpt_licence_recommendations": RECOMMENDATIONS}, formats=("csv",))
    _, page = render_run(folder, now=NOW)
    assert page.missing["rpt_licence_recommendations"] == (
        "exported only as CSV (the report reads Parquet: add it to export_formats)"
    )


def test_decimals_are_read_as_numbers(export_marts: ExportMarts) -> None:
    run = ExportedRun.open(export_marts({"rpt_licence_recommendations": RECOMMENDATIONS}))
    frame = run.frame("rpt_licence_recommendations", ["annual_saving"])
    assert frame is not None and frame["annual_saving"].dtype == "float64"
    assert frame["annual_saving"].sum() == pytest.approx(float(Decimal("3030.10")))
    assert run.rows_read == {"rpt_licence_recommendations": 4}
    assert run.frame("rpt_seat_reassignments", ["product"]) is None
    assert run.missing == {"rpt_seat_reassignments": "not in this export (the mart was not built)"}


def test_the_run_folder_is_found_by_latest_or_by_run_id(
    export_marts: ExportMarts, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    with pytest.raises(ExportNotFound, match=r"no export in .*latest/ is missing.*flexlens run"):
        resolve_run_folder(exports)
    first = export_marts({"dim_users": DIM_USERS}, run_id=RUN_ID, exports=exports)
    second_id = "0ther000-0000-4000-8000-000000000002"
    second = export_marts({"dim_users": DIM_USERS}, run_id=second_id, exports=exports)
    assert resolve_run_folder(exports) == second.resolve()
    # a run's own folder, though latest already points at a later run
    assert resolve_run_folder(exports, RUN_ID) == first.resolve()
    with pytest.raises(ExportNotFound, match="no export of run nope"):
        resolve_run_folder(exports, "nope")


def test_write_report_puts_the_page_into_the_run_folder_whole(export_marts: ExportMarts) -> None:
    folder = export_marts({"rpt_licence_recommendations": RECOMMENDATIONS})
    path, page = write_report(folder, now=NOW)
    assert path == folder.resolve() / "report.html"
    assert (folder.parent / "latest" / "report.html").read_text(encoding="utf-8") == (
        path.read_text(encoding="utf-8")
    )
    write_report(folder, now=NOW)
    assert sorted(p.name for p in folder.iterdir() if "report" in p.name) == ["report.html"]
    html = path.read_text(encoding="utf-8")
    assert "<title>Licence optimisation report · 31 Oct 2026</title>" in html
    assert text(html, "summary").startswith("At a glance")
    assert "Written by flexlens report on 1 Nov 2026 07:30 UTC" in " ".join(html.split()).replace(
        "<code>", ""
    ).replace("</code>", "")
    assert page.facts[0] == ("As of", "31 Oct 2026 18:00 UTC")
    assert ("Run", RUN_ID[:8]) in page.facts


def test_a_section_that_fails_is_named_and_the_others_render(
    export_marts: ExportMarts, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from orchestration.defs.report import charts

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("balance has a text column")

    monkeypatch.setattr(charts, "token_balance", broken)
    folder = export_marts(
        {"rpt_token_balance_daily": BALANCE, "rpt_licence_recommendations": RECOMMENDATIONS}
    )
    html, _ = render_run(folder, now=NOW)
    assert text(html, "tokens") == (
        "Flex tokens: balance and forecast Not available: this section could not be drawn "
        "(ValueError: balance has a text column)"
    )
    assert element(html, "headline-saving")[1]["data-value"] == "3030.10"
    assert "report section tokens could not be drawn" in caplog.text
