"""The SQL drawing of tokens (a recursive step per pack over whole days) gives, window by window,
what the rules say when applied one window at a time (allocation_model.py), on random packs and
windows: every expiry, size, purchase date and overlap hypothesis can think of."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tokens.allocation_model import OVERDRAFT, Pack, Window, draw
from tests.tokens.inputs import context_row, load_inputs
from tests.tokens.sql_runner import HISTORY_MODELS, TokenWarehouse

DAY0 = date(2026, 1, 1)
AS_OF = DAY0 + timedelta(days=40)


@st.composite
def packs_and_windows(draw_: st.DrawFn) -> tuple[list[Pack], list[Window]]:
    # purchase days, expiry days and sizes from small sets, so that ties (the same expiry, the
    # same size), expiries on busy days and packs bought mid-way happen often
    packs = []
    for i in range(draw_(st.integers(0, 6))):
        bought = draw_(st.sampled_from([-5, 0, 3, 10, 20]))
        expires = max(bought + 1, draw_(st.sampled_from([8, 15, 25, 40])))
        packs.append(
            Pack(
                order_id=f"P{i}",
                purchased_on=DAY0 + timedelta(days=bought),
                expires_on=DAY0 + timedelta(days=expires),
                tokens=draw_(st.sampled_from([5, 10, 25, 60])),
            )
        )
    windows = []
    for i in range(draw_(st.integers(0, 40))):
        minute = draw_(st.integers(0, 40 * 24 * 60))
        windows.append(
            Window(
                window_id=f"w{i:02d}",
                start_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minute),
                tokens=draw_(st.sampled_from([3, 6, 7, 10])),
            )
        )
    return packs, windows


def _sql_draws(warehouse: TokenWarehouse) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for row in warehouse.rows(
        'select window_id, order_id, tokens_drawn from "flexlens"."intermediate".'
        "int_token_window_draws"
    ):
        found.setdefault(str(row["window_id"]), {})[str(row["order_id"])] = int(row["tokens_drawn"])
    return found


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=packs_and_windows())
def test_sql_draws_match_the_window_by_window_rules(
    token_warehouse: TokenWarehouse, case: tuple[list[Pack], list[Window]]
) -> None:
    packs, windows = case
    token_warehouse.reset()
    load_inputs(token_warehouse, packs, windows, context_row(AS_OF))
    token_warehouse.run(HISTORY_MODELS)

    assert _sql_draws(token_warehouse) == draw(packs, windows)

    # the ledger accounts for every token charged, and no pack gives more than it held
    ledger = token_warehouse.rows(
        "select order_id, sum(tokens_added) as added, sum(tokens_consumed) as consumed, "
        'sum(tokens_expired) as expired from "flexlens"."marts".fct_token_ledger group by order_id'
    )
    assert sum(int(r["consumed"]) for r in ledger) == sum(w.tokens for w in windows)
    for row in ledger:
        if row["order_id"] != OVERDRAFT:
            assert int(row["consumed"]) + int(row["expired"]) <= int(row["added"])


def test_sql_draws_on_a_busy_day_spill_through_three_packs(token_warehouse: TokenWarehouse) -> None:
    """Hand-worked: on 2026-01-05 six windows of 10 tokens meet packs of 15 (expiring 02-01),
    20 and 40 (both expiring 03-01): 15 + 20 + 25 of the 40-pack; windows 2 and 4 span two packs.
    """
    packs = [
        Pack("L", date(2026, 1, 1), date(2026, 3, 1), 40),
        Pack("S", date(2026, 1, 1), date(2026, 3, 1), 20),
        Pack("E", date(2026, 1, 2), date(2026, 2, 1), 15),
    ]
    start = datetime(2026, 1, 5, 8, tzinfo=UTC)
    windows = [Window(f"w{i}", start + timedelta(hours=i), 10) for i in range(6)]
    load_inputs(token_warehouse, packs, windows, context_row(date(2026, 1, 31)))
    token_warehouse.run(HISTORY_MODELS)

    assert _sql_draws(token_warehouse) == {
        "w0": {"E": 10},
        "w1": {"E": 5, "S": 5},
        "w2": {"S": 10},
        "w3": {"S": 5, "L": 5},
        "w4": {"L": 10},
        "w5": {"L": 10},
    }
    balance = token_warehouse.rows(
        'select balance_date, balance, tokens_expired from "flexlens"."marts".'
        "rpt_token_balance_daily where balance_date in ('2026-01-05', '2026-01-31') "
        "order by balance_date"
    )
    assert [(r["balance"], r["tokens_expired"]) for r in balance] == [(15, 0), (15, 0)]
