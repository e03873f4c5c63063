"""Input rows for the token models: packs, windows and the run context, in the shapes they read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from tests.tokens.allocation_model import Pack, Window
from tests.tokens.sql_runner import TokenWarehouse


def pack_rows(packs: Iterable[Pack], price: float | None = 3.0) -> list[dict[str, object]]:
    return [
        {
            "order_id": p.order_id,
            "purchased_on": p.purchased_on,
            "tokens": p.tokens,
            "price_per_token": price,
            "currency": "USD",
            "expires_on": p.expires_on,
            "is_expiry_defaulted": False,
            "source_file": "tokens/packs.csv",
            "source_row": row,
            "reject_reason": None,
            "reject_value": None,
        }
        for row, p in enumerate(packs, start=1)
    ]


def window_rows(windows: Iterable[Window], product: str = "AutoCAD") -> list[dict[str, object]]:
    return [
        {
            "window_id": w.window_id,
            "user_key": f"user{w.window_id}@acme.example",
            "product": product,
            "window_start_at": w.start_at,
            "usage_date": w.usage_date,
            "charge_status": "charged",
            "tokens_charged": w.tokens,
        }
        for w in windows
    ]


def context_row(
    as_of_date: date,
    *,
    burn_window_days: int = 90,
    lead_days: int = 14,
    horizon_days: int = 365,
    horizon_date: date | None = None,
    pack_sizes: str = "500,1000,5000",
    warning_days: int = 30,
) -> dict[str, object]:
    return {
        "run_id": "test-run",
        "as_of": datetime.combine(as_of_date, time(18), tzinfo=UTC),
        "as_of_date": as_of_date,
        "currency": "USD",
        "token_burn_window_days": burn_window_days,
        "token_top_up_lead_days": lead_days,
        "token_horizon_days": horizon_days,
        "token_horizon_date": horizon_date,
        "token_pack_sizes": pack_sizes,
        "token_run_out_warning_days": warning_days,
    }


def load_inputs(
    warehouse: TokenWarehouse,
    packs: Iterable[Pack],
    windows: Iterable[Window],
    context: dict[str, object],
    *,
    token_price: float = 3.0,
) -> None:
    warehouse.load("staging", "stg_tokens__packs", pack_rows(packs))
    warehouse.load("marts", "fct_usage_windows", window_rows(windows))
    warehouse.load("staging", "stg_run__context", [context])
    warehouse.load(
        "intermediate",
        "int_token_price_effective",
        [{"token_price": token_price, "token_price_source": "setting"}],
    )
