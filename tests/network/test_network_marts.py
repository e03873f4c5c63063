"""The network marts built for real from hand-written FlexNet logs, against answers worked by hand.

1. A tiny log (docs/network-licences.md): the concurrency and its curve computed by hand.
2. A year of logs for 75 people on a pool of 50 AutoCAD licences, 30 of them above break-even:
   the sizing worked by hand (the same figures as the dbt unit test on rpt_named_user_sizing).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

ACD = "87545ACD_2022_0F"
START = (
    " 8:00:00 (lmgrd) FlexNet Licensing (v11.16.2.0 build 242433 x64_n6) started on LICSRV01 "
    "(IBM PC) (3/2/2026)"
)
TINY_LOG = f"""\
{START}
 8:00:01 (adskflex) Server started on LICSRV01 for:\t{ACD}
 9:00:00 (adskflex) OUT: "{ACD}" u1@PC-1
10:00:00 (adskflex) OUT: "{ACD}" u2@PC-2
10:30:00 (adskflex) OUT: "{ACD}" u3@PC-3  (2 licenses)
10:45:00 (adskflex) DENIED: "{ACD}" u5@PC-5  (Licensed number of users already reached. (-4,342))
10:46:00 (adskflex) DENIED: "{ACD}" u5@PC-5  (Licensed number of users already reached. (-4,342))
11:00:00 (adskflex) IN: "{ACD}" u2@PC-2
12:00:00 (adskflex) IN: "{ACD}" u1@PC-1
14:00:00 (adskflex) IN: "{ACD}" u3@PC-3  (2 licenses)
20:00:00 (lmgrd) TIMESTAMP 3/2/2026
23:00:00 (adskflex) OUT: "{ACD}" u4@PC-4
 1:00:00 (adskflex) IN: "{ACD}" u4@PC-4
 2:00:00 (lmgrd) TIMESTAMP 3/3/2026
"""


def _licence(count: int) -> str:
    return (
        "SERVER LICSRV01 0050569A1B2C 27000\nVENDOR adskflex port=2080\n"
        f"INCREMENT {ACD} adskflex 1.000 permanent {count} SIGN=00\n"
    )


def _write(landing: Path, rel: str, text: str) -> None:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def test_tiny_log_concurrency_and_curve_by_hand(tmp_path: Path, network_build: Callable) -> None:
    landing = tmp_path / "landing"
    _write(landing, "flexlm/LICSRV01/debug.log", TINY_LOG)
    _write(landing, "flexlm/LICSRV01/license.lic", _licence(4))
    query = network_build(landing, as_of="2026-10-31T18:00:00+00:00", timezone="Europe/London")

    # In use on 2 March (GMT): 1 from 09:00, 2 from 10:00, 4 from 10:30 (u3 holds 2: the whole
    # pool, u5 is refused twice), 3 from 11:00, 2 from 12:00, 0 from 14:00, 1 from 23:00 (u4,
    # into 3 March until 01:00).
    assert query(
        "select usage_date, peak_in_use, distinct_users, denials, denied_users, hours_in_use, "
        "pool_size, pool_source, hours_at_pool, sessions, sessions_end_estimated "
        "from marts.rpt_network_concurrency order by usage_date"
    ) == [
        (date(2026, 3, 2), 4, 4, 2, 1, Decimal(6), 4, "licence_file", Decimal("0.5"), 4, 0),
        (date(2026, 3, 3), 1, 1, 0, 0, Decimal(1), 4, "licence_file", Decimal(0), 1, 0),
    ]  # fmt: skip
    # hours with at least n licences in use: n=1: 1 + 0.5 + 0.5 + 1 + 2 + 1 = 6 h; n=2: 0.5 +
    # 0.5 + 1 + 2 = 4 h; n=3: 0.5 + 1 = 1.5 h; n=4: 0.5 h. 3 March: 1 h at n=1.
    curve = query(
        "select usage_date, n, hours_at_or_above_n, share_of_day "
        "from marts.rpt_network_concurrency_curve order by usage_date, n"
    )
    assert [(d.day, n, float(h)) for d, n, h, _ in curve] == [
        (2, 1, 6.0),
        (2, 2, 4.0),
        (2, 3, 1.5),
        (2, 4, 0.5),
        (3, 1, 1.0),
        (3, 2, 0.0),
        (3, 3, 0.0),
        (3, 4, 0.0),
    ]
    shares = [float(s) for *_, s in curve[:4]]
    assert shares == pytest.approx([0.25, 1 / 6, 0.0625, 0.5 / 24], abs=1e-6)
    assert query("select product from marts.rpt_network_concurrency group by product") == [
        ("AutoCAD",)
    ]


def _year_of_logs() -> str:
    """2025: 30 people on 150 days, 44 on 40 days, 1 on 100 days; each day 09:00-10:00."""
    first = date(2025, 1, 1)
    use: dict[int, list[str]] = {}
    for k in range(30):  # heavy: every other day counting back from 31 December
        for j in range(150):
            use.setdefault(364 - (2 * j + k % 2), []).append(f"heavy{k:02d}")
    for k in range(44):  # light: every ninth day
        for j in range(40):
            use.setdefault(9 * j + k % 9, []).append(f"light{k:02d}")
    for j in range(100):  # exactly at break-even
        use.setdefault(3 * j, []).append("even")
    lines = []
    for offset in range(365):
        day = first + timedelta(days=offset)
        lines.append(f" 0:00:01 (lmgrd) TIMESTAMP {day.month}/{day.day}/{day.year}")
        users = use.get(offset, [])
        lines += [f'9:00:00 (adskflex) OUT: "{ACD}" {u}@PC-{u}' for u in users]
        lines += [f'10:00:00 (adskflex) IN: "{ACD}" {u}@PC-{u}' for u in users]
    return "\n".join(lines) + "\n"


def test_sizing_75_people_on_50_seats_worked_by_hand(
    tmp_path: Path, network_build: Callable
) -> None:
    landing = tmp_path / "landing"
    _write(landing, "flexlm/LICSRV01/debug.log", _year_of_logs())
    _write(landing, "flexlm/LICSRV01/license.lic", _licence(50))
    _write(
        landing,
        "reference/prices.csv",
        "product_or_collection,annual_price,currency,effective_from\nAutoCAD,2100,USD,2024-01-01\n",
    )
    query = network_build(
        landing, as_of="2026-10-31T18:00:00+00:00", timezone="UTC", token_price=3.0
    )
    # break-even = 2,100 / (7 tokens x 3) = 100 days; 30 people above it (150 days), 44 below
    # (40 days) and one at it exactly (100 days: not above, Flex).
    # Flex: (44 x 40 + 100) x 7 = 13,020 tokens = 39,060; mix: 30 x 2,100 + 39,060 = 102,060;
    # all named: 75 x 2,100 = 157,500; trade-in: 2 x 50 x 2,100 = 210,000.
    rows = query(
        "select product, distinct_users, named_seats_recommended, flex_users, network_seats, "
        "period_start, period_end, observed_days, annual_price, tokens_per_day, token_price, "
        "token_price_source, break_even_days, sizing_status, flex_tokens_expected, "
        "flex_cost_expected, cost_all_named, cost_trade_in, cost_recommended_mix, "
        "saving_vs_all_named, saving_vs_trade_in from marts.rpt_named_user_sizing"
    )
    assert rows == [
        (
            "AutoCAD", 75, 30, 45, 50, date(2025, 1, 1), date(2025, 12, 31), 365,
            Decimal("2100.00"), 7, Decimal("3.000000"), "setting", Decimal("100.0000"), "sized",
            Decimal("13020.00"), Decimal("39060.00"), Decimal("157500.00"), Decimal("210000.00"),
            Decimal("102060.00"), Decimal("55440.00"), Decimal("107940.00"),
        )
    ]  # fmt: skip
    days = dict(
        query(
            "select user_key, days_used from intermediate.int_network_user_days_counted "
            "where user_key in ('heavy00', 'light43', 'even')"
        )
    )
    assert days == {"heavy00": 150, "light43": 40, "even": 100}
