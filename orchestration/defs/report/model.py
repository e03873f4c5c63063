"""The report's page model, its number and date formats, and the marts it reads.

``MARTS`` lists, per mart, the columns the report needs and those it uses when present;
``MartReader`` reads each mart of a run once. The dataclasses are what the template renders.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from orchestration.defs.report import charts
from orchestration.defs.report.exported import ExportedRun

MAX_TABLE_ROWS = 300
TOP_CONSUMERS = 15

# mart -> (columns the report needs, columns it uses when present)
MARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rpt_licence_recommendations": (
        ("user_key", "product", "recommendation", "annual_saving", "reason"),
        ("display_name", "department", "priority", "product_kind", "currency"),
    ),
    "rpt_seat_reassignments": (
        ("product", "from_user_key", "to_user_key", "annual_saving"),
        ("reason", "from_recommendation", "to_reason", "currency"),
    ),
    "rpt_token_forecast": (
        ("balance", "run_out_date", "tokens_expiring_unused"),
        (
            "as_of_date",
            "burn_rate_per_day",
            "burn_window_days",
            "days_to_run_out",
            "top_up_needed_by",
            "is_top_up_due",
            "is_run_out_within_warning",
            "tokens_to_buy",
            "pack_combination",
            "top_up_cost",
            "expiring_value",
            "next_unused_expiry_date",
            "projection_end_date",
            "horizon_date",
            "token_price",
            "token_price_source",
            "currency",
        ),
    ),
    "rpt_token_balance_daily": (
        ("balance_date", "balance", "tokens_consumed"),
        ("consumed_cost", "currency"),
    ),
    "rpt_token_forecast_daily": (("forecast_date", "projected_balance"), ()),
    "rpt_token_pack_forecast": (
        ("order_id", "expires_on", "tokens_at_as_of", "tokens_expiring_unused"),
        ("purchased_on", "pack_tokens", "projected_last_draw_date", "expiring_value"),
    ),
    "fct_token_ledger": (("order_id", "expires_on"), ("is_overdraft", "pack_tokens")),
    "fct_token_window_costs": (("window_id", "token_cost"), ()),
    "fct_usage_windows": (("window_id", "product", "usage_date"), ()),
    "rpt_department_costs": (
        ("department", "month", "flex_cost"),
        ("subscription_cost", "total_cost", "flex_tokens", "days_counted", "currency"),
    ),
    "rpt_user_product_utilisation": (
        ("user_key", "product", "access", "annualised_days", "break_even_days", "flex_cost"),
        ("tokens", "observed_days", "window_start_on", "as_of_date", "currency"),
    ),
    "dim_users": (("user_key",), ("display_name", "department", "status", "left_on")),
    "rpt_billing_reconciliation": (("status",), ("is_in_common_period",)),
    "rpt_data_quality": (
        ("kind", "source", "reason_or_check", "rows", "outcome"),
        ("example", "entities"),
    ),
    "rpt_network_concurrency": (
        ("product", "usage_date", "peak_in_use"),
        ("pool_size", "denials"),
    ),
    "rpt_network_concurrency_curve": (("product", "usage_date", "n", "hours_at_or_above_n"), ()),
    "rpt_named_user_sizing": (
        ("product", "distinct_users", "named_seats_recommended"),
        (
            "network_seats",
            "flex_users",
            "sizing_status",
            "cost_all_named",
            "cost_trade_in",
            "cost_recommended_mix",
            "saving_vs_trade_in",
            "currency",
        ),
    ),
}

ACTIONS: dict[str, str] = {
    "reclaim_leaver": "Reclaim from a leaver",
    "remove_duplicate": "Remove a duplicate",
    "remove_unused": "Remove an unused seat",
    "move_to_flex": "Move to Flex",
    "move_to_named": "Move to a named seat",
    "move_to_collection": "Move to a collection",
    "watch_trend": "Watch the trend",
}
RECIPIENT_REASONS = {
    "move_to_named": "recommended a named seat",
    "move_to_collection": "recommended a collection",
    "starter_on_flex": "starter using it on Flex",
}
CURRENCY_SOURCES = (
    "rpt_licence_recommendations",
    "rpt_token_forecast",
    "rpt_department_costs",
    "rpt_user_product_utilisation",
    "rpt_token_balance_daily",
)


# ---------------------------------------------------------------------------------------------
# the page model


@dataclass
class Cell:
    text: str
    sub: str = ""
    css: str = ""


@dataclass
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (heading, "left" | "num")
    rows: list[list[Cell]]
    total: list[Cell] | None = None
    caption: str = ""
    empty: str = "Nothing to list."
    more: str = ""


@dataclass
class Figure:
    key: str
    label: str
    value: str
    detail: str = ""
    raw: str = ""
    tone: str = ""  # "", "good", "warn", "bad", "missing"


@dataclass
class Chart:
    key: str
    title: str
    svg: str
    caption: str = ""


@dataclass
class Section:
    key: str
    title: str
    intro: str = ""
    figures: list[Figure] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Page:
    title: str
    as_of: str
    facts: list[tuple[str, str]]
    sections: list[Section]
    sources: Table
    missing: dict[str, str]
    generated_at: str


# ---------------------------------------------------------------------------------------------
# formatting


def finite(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    try:
        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def money(value: Any, currency: str, decimals: int = 0) -> str:
    if not finite(value):
        return "–"
    return f"{float(value):,.{decimals}f} {currency}".strip()


def number(value: Any, decimals: int = 0) -> str:
    if not finite(value):
        return "–"
    return f"{float(value):,.{decimals}f}"


def tokens(value: Any) -> str:
    """Whole tokens; a fraction (projected figures) is rounded up, as the token marts do."""
    if not finite(value):
        return "–"
    amount = float(value)
    return f"{math.ceil(amount) if amount > 0 else math.floor(amount):,}"


def percent(value: float) -> str:
    return f"{value:.1%}"


def as_date(value: Any) -> date | None:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    try:
        text = str(value)
        return date.fromisoformat(text[:10]) if text and text != "nan" else None
    except ValueError:
        return None


def day(value: Any) -> str:
    found = as_date(value)
    return f"{found.day} {found:%b %Y}" if found else "–"


def count_of(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def as_text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def truthy(value: Any) -> bool:
    return bool(value) if finite(value) or isinstance(value, bool) else False


# ---------------------------------------------------------------------------------------------
# reading the marts


class MartReader:
    """The run's marts, each read once with the columns MARTS names."""

    def __init__(self, run: ExportedRun) -> None:
        self.run = run
        self._frames: dict[str, pd.DataFrame | None] = {}

    def get(self, mart: str) -> pd.DataFrame | None:
        if mart not in self._frames:
            needed, optional = MARTS[mart]
            self._frames[mart] = self.run.frame(mart, needed, optional)
        frame = self._frames[mart]
        return None if frame is None else frame.copy()

    def missing(self, *marts: str) -> list[str]:
        """A notice for each of these marts that could not be read."""
        notes = []
        for mart in marts:
            if self.get(mart) is None:
                notes.append(f"{mart}: {self.run.missing.get(mart, 'not available')}")
        return notes

    def currency(self) -> str:
        for mart in CURRENCY_SOURCES:
            frame = self.get(mart)
            if frame is not None and "currency" in frame and frame["currency"].notna().any():
                return str(frame["currency"].dropna().iloc[0])
        return ""

    def people(self) -> dict[str, dict[str, Any]]:
        users = self.get("dim_users")
        if users is None:
            return {}
        return {str(row["user_key"]): row for row in users.to_dict("records")}


def person_name(people: dict[str, dict[str, Any]], user_key: str, fallback: str = "") -> str:
    person = people.get(user_key) or {}
    return as_text(person.get("display_name")) or fallback or user_key


def column_or(frame: pd.DataFrame, column: str, default: Any = None) -> pd.Series:
    if column in frame:
        return frame[column]
    return pd.Series([default] * len(frame), index=frame.index, dtype=object)


def first_row(frame: pd.DataFrame | None) -> dict[str, Any] | None:
    if frame is None or frame.empty:
        return None
    return frame.iloc[0].to_dict()


def draw(
    key: str, title: str, build: Callable[[], Any], caption: str = "", label: str | None = None
) -> Chart:
    return Chart(
        key=key, title=title, svg=charts.svg(build(), key, label or title), caption=caption
    )
