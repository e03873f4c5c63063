"""What the token marts say, in sentences: the warnings of the token checks and the summary lines.

Pure reads of the warehouse (no Dagster here), so the checks (checks.py), the run summary
(orchestration/summary.py) and the tests share one wording. Every function copes with a warehouse
whose token marts do not exist yet (a partial run): it then has nothing to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import duckdb

RUN_OUT = "tokens_run_out_soon"
EXPIRING_UNUSED = "tokens_expiring_unused"
OVERDRAWN_DAYS = "tokens_overdrawn_days"

MART_OF_CHECK: dict[str, str] = {
    RUN_OUT: "rpt_token_forecast",
    EXPIRING_UNUSED: "rpt_token_pack_forecast",
    OVERDRAWN_DAYS: "rpt_token_balance_daily",
}

DESCRIPTIONS: dict[str, str] = {
    RUN_OUT: "Warns when the forecast runs out of Flex tokens within token_run_out_warning_days "
    "of the as-of date; says when to order a top-up and how many tokens. Never blocks.",
    EXPIRING_UNUSED: "Warns when packs are projected to expire with tokens unused (per pack). "
    "Never blocks.",
    OVERDRAWN_DAYS: "Warns when a charged window found no usable tokens (an overdrawn day: a pack "
    "not loaded, or late usage data). Never blocks.",
}

_LISTED_PACKS = 5
_LISTED_DAYS = 5


@dataclass(frozen=True)
class TokenWarning:
    """The outcome of one token check: passed, or a warning with what to do."""

    check: str
    passed: bool
    summary: str
    metadata: dict[str, object] = field(default_factory=dict)

    @property
    def mart(self) -> str:
        return MART_OF_CHECK[self.check]


def _exists(con: duckdb.DuckDBPyConnection, table: str, schema: str = "marts") -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def _tokens(value: object) -> str:
    """Whole tokens with thousands separators (projected figures are rounded up)."""
    number = Decimal(str(value or 0))
    whole = int(number) if number == int(number) else int(number) + (1 if number > 0 else 0)
    return f"{whole:,}"


def _money(value: object) -> str:
    return f"{Decimal(str(value or 0)):,.2f}"


def run_out_warning(con: duckdb.DuckDBPyConnection) -> TokenWarning | None:
    """Warn when the projected run-out date falls within the warning days (rpt_token_forecast)."""
    if not _exists(con, "rpt_token_forecast"):
        return None
    row = con.execute(
        "select as_of_date, balance, run_out_date, days_to_run_out, run_out_warning_days, "
        "is_run_out_within_warning, top_up_needed_by, top_up_lead_days, is_top_up_due, "
        "tokens_to_buy, pack_combination, horizon_date, projection_end_date, burn_rate_per_day "
        "from marts.rpt_token_forecast"
    ).fetchone()
    if row is None:
        return None
    (
        as_of_date,
        balance,
        run_out,
        days,
        warning_days,
        within,
        top_up_by,
        lead_days,
        due,
        to_buy,
        combination,
        horizon,
        projection_end,
        burn,
    ) = row
    metadata: dict[str, object] = {
        "balance": int(balance or 0),
        "burn_rate_per_day": float(burn or 0),
        "run_out_date": str(run_out) if run_out else None,
        "top_up_needed_by": str(top_up_by) if top_up_by else None,
        "tokens_to_buy": int(to_buy or 0),
    }
    if not within:
        if run_out is None:
            text = f"Flex tokens last beyond {projection_end or as_of_date} at the current burn"
        else:
            text = f"Flex tokens run out on {run_out}, in {days} days"
        return TokenWarning(
            RUN_OUT,
            True,
            f"{text} (balance {_tokens(balance)}; warning at {warning_days} days).",
            metadata,
        )
    order = (
        f"order a top-up now (it was due by {top_up_by}, {lead_days} days' lead time)"
        if due
        else f"order a top-up by {top_up_by} ({lead_days} days' lead time)"
    )
    buy = f"; {_tokens(to_buy)} tokens ({combination}) last until {horizon}" if to_buy else ""
    when = "tomorrow" if days == 1 else f"in {days} days"
    summary = (
        f"Flex tokens run out on {run_out}, {when} (balance {_tokens(balance)}, "
        f"burning {Decimal(str(burn or 0)):,.1f} a day): {order}{buy}."
    )
    return TokenWarning(RUN_OUT, False, summary, metadata)


def expiring_unused_warning(con: duckdb.DuckDBPyConnection) -> TokenWarning | None:
    """Warn when packs will expire with tokens unused at the projected burn (per pack)."""
    if not _exists(con, "rpt_token_pack_forecast"):
        return None
    rows = con.execute(
        "select order_id, expires_on, tokens_expiring_unused, expiring_value, currency "
        "from marts.rpt_token_pack_forecast where tokens_expiring_unused > 0 "
        "order by expires_on, order_id"
    ).fetchall()
    if not rows:
        return TokenWarning(
            EXPIRING_UNUSED, True, "No Flex tokens are projected to expire unused.", {}
        )
    total = sum(Decimal(str(r[2])) for r in rows)
    value = sum(Decimal(str(r[3] or 0)) for r in rows)
    currency = rows[0][4] or ""
    listed = "; ".join(
        f"{order_id}: {_tokens(tokens)} on {expires}"
        for order_id, expires, tokens, _, _ in rows[:_LISTED_PACKS]
    )
    more = f"; and {len(rows) - _LISTED_PACKS} more packs" if len(rows) > _LISTED_PACKS else ""
    summary = (
        f"{_tokens(total)} Flex tokens will expire unused (worth {_money(value)} {currency}) "
        f"at the current burn: {listed}{more}."
    )
    metadata: dict[str, object] = {
        "tokens_expiring_unused": float(total),
        "expiring_value": float(value),
        "packs": [{"order_id": r[0], "expires_on": str(r[1]), "tokens": float(r[2])} for r in rows],
    }
    return TokenWarning(EXPIRING_UNUSED, False, summary, metadata)


def overdrawn_days_warning(con: duckdb.DuckDBPyConnection) -> TokenWarning | None:
    """Warn when charged windows found no usable tokens on some days (rpt_token_balance_daily)."""
    if not _exists(con, "rpt_token_balance_daily"):
        return None
    rows: list[tuple[date, int]] = con.execute(
        "select balance_date, tokens_overdrawn from marts.rpt_token_balance_daily "
        "where is_overdrawn order by balance_date"
    ).fetchall()
    if not rows:
        return TokenWarning(OVERDRAWN_DAYS, True, "No overdrawn days.", {})
    tokens = sum(int(r[1]) for r in rows)
    days = ", ".join(str(r[0]) for r in rows[:_LISTED_DAYS])
    more = f" and {len(rows) - _LISTED_DAYS} more" if len(rows) > _LISTED_DAYS else ""
    summary = (
        f"{len(rows)} overdrawn day{'s' if len(rows) != 1 else ''} ({days}{more}): "
        f"{tokens:,} tokens charged when no pack held usable tokens. Load the missing token "
        "pack (tokens/) or check the usage data; these tokens are costed at the token price."
    )
    metadata: dict[str, object] = {
        "overdrawn_days": len(rows),
        "tokens_overdrawn": tokens,
        "first_day": str(rows[0][0]),
        "last_day": str(rows[-1][0]),
    }
    return TokenWarning(OVERDRAWN_DAYS, False, summary, metadata)


def token_warnings(con: duckdb.DuckDBPyConnection) -> list[TokenWarning]:
    """Every token check that has something to say, in a fixed order."""
    found = (run_out_warning(con), expiring_unused_warning(con), overdrawn_days_warning(con))
    return [warning for warning in found if warning is not None]


def summary_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Lines for the run summary: tokens left and run-out date, and the reconciliation."""
    lines: list[str] = []
    if _exists(con, "rpt_token_forecast"):
        row = con.execute(
            "select balance, as_of_date, run_out_date, top_up_needed_by, is_top_up_due, "
            "projection_end_date, tokens_expiring_unused from marts.rpt_token_forecast"
        ).fetchone()
        if row is not None:
            balance, as_of_date, run_out, top_up_by, due, projection_end, expiring = row
            if run_out is None:
                outlook = f"enough until {projection_end or as_of_date} at the current burn"
            else:
                order = "now" if due else f"by {top_up_by}"
                outlook = f"run out {run_out}, top up {order}"
            expiry = f"; {_tokens(expiring)} will expire unused" if expiring else ""
            lines.append(f"balance:    {_tokens(balance)} tokens left; {outlook}{expiry}")
    if _exists(con, "rpt_billing_reconciliation"):
        counts = dict(
            con.execute(
                "select status, count(*) from marts.rpt_billing_reconciliation "
                "where is_in_common_period group by status"
            ).fetchall()
        )
        total = sum(counts.values())
        if total:
            rate = counts.get("match", 0) / total
            lines.append(
                f"reconcile:  {rate:.1%} of {total:,} person x product x days match Autodesk "
                f"({counts.get('differs', 0):,} differ, "
                f"{counts.get('missing_in_agent_logs', 0):,} missing in agent logs, "
                f"{counts.get('not_reported', 0):,} not reported)"
            )
    return lines
