"""The token history and forecast, end to end through the compiled models, on synthetic burns whose
answers are worked out by hand in each test's docstring; and the warnings the token checks and
the run summary print for them (orchestration/defs/tokens/facts.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from orchestration.defs.tokens.facts import (
    expiring_unused_warning,
    overdrawn_days_warning,
    run_out_warning,
    summary_lines,
)
from tests.tokens.allocation_model import Pack, Window
from tests.tokens.inputs import context_row, load_inputs
from tests.tokens.sql_runner import FORECAST_MODELS, TokenWarehouse


def _daily_windows(first: date, last: date, tokens_on: dict[int, int]) -> list[Window]:
    """One window a day at 09:00 UTC, `tokens_on[weekday]` tokens (0 = Monday), none when 0."""
    windows = []
    day = first
    while day <= last:
        tokens = tokens_on[day.weekday()]
        if tokens:
            start = datetime.combine(day, time(9), tzinfo=UTC)
            windows.append(Window(f"w{day.isoformat()}", start, tokens))
        day += timedelta(days=1)
    return windows


def _forecast(warehouse: TokenWarehouse) -> dict[str, object]:
    [row] = warehouse.rows('select * from "flexlens"."marts".rpt_token_forecast')
    return row


def test_steady_burn_runs_out_on_the_hand_worked_day(token_warehouse: TokenWarehouse) -> None:
    """1000 tokens bought 2026-03-31; 10 tokens a day from 04-01 to the as-of date 06-30 (91 days,
    910 tokens): 90 left. The burn window (04-01 .. 06-29, 90 days) says 10 a day on every
    weekday, so 07-01 .. 07-09 use the 90 and 2026-07-10 is the run-out date, 10 days out. With a
    14-day lead time the top-up was due on 06-26: already due. To the horizon (06-30 + 365 =
    2027-06-30) 356 days x 10 = 3,560 tokens are short: 4 x 1000 = 4,000 is the smallest total
    the packs (500, 1000, 5000) make with the fewest packs."""
    packs = [Pack("P1", date(2026, 3, 31), date(2027, 3, 31), 1000)]
    windows = _daily_windows(date(2026, 4, 1), date(2026, 6, 30), dict.fromkeys(range(7), 10))
    load_inputs(token_warehouse, packs, windows, context_row(date(2026, 6, 30)))
    token_warehouse.run(FORECAST_MODELS)

    forecast = _forecast(token_warehouse)
    assert forecast["balance"] == 90
    assert forecast["burn_rate_per_day"] == Decimal("10")
    assert forecast["burn_rate_saturday"] == Decimal("10")
    assert forecast["run_out_date"] == date(2026, 7, 10)
    assert forecast["days_to_run_out"] == 10
    assert forecast["is_run_out_within_warning"] is True
    assert forecast["top_up_needed_by"] == date(2026, 6, 26)
    assert forecast["is_top_up_due"] is True
    assert forecast["horizon_date"] == date(2027, 6, 30)
    assert forecast["tokens_needed_to_horizon"] == 3560
    assert forecast["tokens_to_buy"] == 4000
    assert forecast["pack_combination"] == "4 x 1000"
    assert forecast["top_up_cost"] == Decimal("12000.00")
    assert forecast["tokens_expiring_unused"] == 0

    days = token_warehouse.rows(
        'select forecast_date, projected_balance from "flexlens"."marts".rpt_token_forecast_daily '
        "where forecast_date in ('2026-07-01', '2026-07-09', '2026-07-10', '2027-06-30') "
        "order by forecast_date"
    )
    assert [(r["forecast_date"], r["projected_balance"]) for r in days] == [
        (date(2026, 7, 1), Decimal("80")),
        (date(2026, 7, 9), Decimal("0")),
        (date(2026, 7, 10), Decimal("-10")),
        (date(2027, 6, 30), Decimal("-3560")),
    ]

    warning = run_out_warning(token_warehouse.con)
    assert warning is not None and not warning.passed
    assert warning.summary == (
        "Flex tokens run out on 2026-07-10, in 10 days (balance 90, burning 10.0 a day): order a "
        "top-up now (it was due by 2026-06-26, 14 days' lead time); 4,000 tokens (4 x 1000) last "
        "until 2027-06-30."
    )
    assert summary_lines(token_warehouse.con) == [
        "balance:    90 tokens left; run out 2026-07-10, top up now"
    ]


def test_weekday_burn_unused_expiry_and_top_up(token_warehouse: TokenWarehouse) -> None:
    """Weekdays burn 20 tokens, weekends nothing. A (2000, bought 03-31) serves the 63 weekdays
    04-01 .. 06-28 (1,260): 740 left. X (300, bought Monday 06-29, expires 07-10) expires first, so
    it serves 06-29 and 06-30 (40): 260 left; balance 1,000 at the as-of date 06-30. Forecast:
    X serves the 7 weekdays 07-01 .. 07-09 (140) and its last 120 expire unused on 07-10; A's 740
    last 37 weekdays from Friday 07-10 to Monday 08-31, so the run-out date is Tuesday 2026-09-01
    (63 days: beyond the 30-day warning); top up by 08-18. Burn rate: 64 weekdays x 20 = 1,280
    tokens in the 90-day window = 14.2222 a day. To 2027-06-30: 217 weekdays x 20 = 4,340 short,
    bought as 4 x 1000 + 1 x 500 = 4,500."""
    packs = [
        Pack("A", date(2026, 3, 31), date(2027, 3, 31), 2000),
        Pack("X", date(2026, 6, 29), date(2026, 7, 10), 300),
    ]
    weekdays_only = {0: 20, 1: 20, 2: 20, 3: 20, 4: 20, 5: 0, 6: 0}
    windows = _daily_windows(date(2026, 4, 1), date(2026, 6, 30), weekdays_only)
    load_inputs(token_warehouse, packs, windows, context_row(date(2026, 6, 30)))
    token_warehouse.run(FORECAST_MODELS)

    forecast = _forecast(token_warehouse)
    assert (forecast["balance"], forecast["tokens_in_packs"]) == (1000, 1000)
    assert forecast["burn_rate_monday"] == Decimal("20")
    assert forecast["burn_rate_sunday"] == Decimal("0")
    assert forecast["burn_rate_per_day"] == Decimal("14.2222")
    assert forecast["run_out_date"] == date(2026, 9, 1)
    assert forecast["days_to_run_out"] == 63
    assert forecast["is_run_out_within_warning"] is False
    assert forecast["top_up_needed_by"] == date(2026, 8, 18)
    assert forecast["is_top_up_due"] is False
    assert forecast["tokens_expiring_unused"] == Decimal("120")
    assert forecast["next_unused_expiry_date"] == date(2026, 7, 10)
    assert forecast["tokens_needed_to_horizon"] == 4340
    assert (forecast["tokens_to_buy"], forecast["pack_combination"]) == (
        4500,
        "4 x 1000 + 1 x 500",
    )

    packs_out = token_warehouse.rows(
        "select order_id, tokens_at_as_of, projected_tokens_drawn, tokens_expiring_unused "
        'from "flexlens"."marts".rpt_token_pack_forecast order by order_id'
    )
    assert [tuple(r.values()) for r in packs_out] == [
        ("A", 740, Decimal("740"), Decimal("0")),
        ("X", 260, Decimal("140"), Decimal("120")),
    ]

    run_out = run_out_warning(token_warehouse.con)
    assert run_out is not None and run_out.passed
    assert run_out.summary == (
        "Flex tokens run out on 2026-09-01, in 63 days (balance 1,000; warning at 30 days)."
    )
    expiring = expiring_unused_warning(token_warehouse.con)
    assert expiring is not None and not expiring.passed
    assert expiring.summary == (
        "120 Flex tokens will expire unused (worth 360.00 USD) at the current burn: "
        "X: 120 on 2026-07-10."
    )
    assert summary_lines(token_warehouse.con) == [
        "balance:    1,000 tokens left; run out 2026-09-01, top up by 2026-08-18; "
        "120 will expire unused"
    ]


def test_overdrawn_days_are_kept_never_clipped(token_warehouse: TokenWarehouse) -> None:
    """P (100, bought 05-01) serves 10 a day for 10 days; 05-11 .. 05-15 find no usable tokens:
    5 overdrawn days, 50 tokens kept on the overdraft account. Q (200, bought 05-20) serves
    05-20 .. 05-29 (100). As of 05-31: 100 tokens in packs, 50 overdrawn: balance 50. The
    forecast takes the 50 overdrawn from Q's tokens on its first day (overdraft_carried), Monday
    06-01, with that day's burn: Mondays 05-04, 05-11, 05-25 burned 10 and 05-18 nothing (7.5), so
    57.5 are drawn."""
    packs = [
        Pack("P", date(2026, 5, 1), date(2027, 5, 1), 100),
        Pack("Q", date(2026, 5, 20), date(2027, 5, 20), 200),
    ]
    every_day = dict.fromkeys(range(7), 10)
    windows = _daily_windows(date(2026, 5, 1), date(2026, 5, 15), every_day)
    windows += _daily_windows(date(2026, 5, 20), date(2026, 5, 29), every_day)
    load_inputs(token_warehouse, packs, windows, context_row(date(2026, 5, 31)))
    token_warehouse.run(FORECAST_MODELS)

    balance = token_warehouse.rows(
        "select balance_date, tokens_consumed, tokens_overdrawn, balance, is_overdrawn "
        'from "flexlens"."marts".rpt_token_balance_daily '
        "where balance_date in ('2026-05-10', '2026-05-11', '2026-05-15', '2026-05-19', "
        "'2026-05-20', '2026-05-31') order by balance_date"
    )
    assert [tuple(r.values())[1:] for r in balance] == [
        (10, 0, 0, False),
        (10, 10, -10, True),
        (10, 10, -50, True),
        (0, 0, -50, False),
        (10, 0, 140, False),
        (0, 0, 50, False),
    ]
    ledger = token_warehouse.rows(
        'select sum(tokens_consumed) as consumed from "flexlens"."marts".fct_token_ledger '
        "where is_overdraft"
    )
    assert ledger == [{"consumed": Decimal("50")}]
    first_day = token_warehouse.rows(
        'select overdraft_carried, projected_drawn from "flexlens"."marts".'
        "rpt_token_forecast_daily where days_after_as_of = 1"
    )
    assert [tuple(r.values()) for r in first_day] == [(Decimal("50"), Decimal("57.5"))]

    warning = overdrawn_days_warning(token_warehouse.con)
    assert warning is not None and not warning.passed
    assert warning.summary == (
        "5 overdrawn days (2026-05-11, 2026-05-12, 2026-05-13, 2026-05-14, 2026-05-15): 50 "
        "tokens charged when no pack held usable tokens. Load the missing token pack (tokens/) "
        "or check the usage data; these tokens are costed at the token price."
    )
