"""The short summary printed after a run: what was read, what it cost, what to do."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.defs.tokens.facts import summary_lines as token_summary_lines


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


RECOMMENDATION_ORDER = (
    "reclaim_leaver",
    "remove_duplicate",
    "remove_unused",
    "move_to_flex",
    "move_to_named",
    "move_to_collection",
    "watch_trend",
)


def _savings_by_kind(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The recommended annual saving by kind, in the contract's order, and the seat transfers."""
    rows = con.execute(
        "select recommendation, max(currency), coalesce(sum(annual_saving), 0), count(*) "
        "from marts.rpt_licence_recommendations group by recommendation"
    ).fetchall()
    by_kind = {kind: (currency, saving, count) for kind, currency, saving, count in rows}
    kinds = sorted(by_kind, key=lambda k: (RECOMMENDATION_ORDER + (k,)).index(k))
    lines: list[str] = []
    if kinds:
        currency = by_kind[kinds[0]][0] or ""
        items = [f"by kind ({currency} a year, recommendations):"] + [
            f"{kind} {float(by_kind[kind][1]):,.0f} ({by_kind[kind][2]:,})," for kind in kinds
        ]
        items[-1] = items[-1].rstrip(",")
        line = ""
        for item in items:  # wrap at 100 columns without splitting an item
            if line and len(line) + 1 + len(item) > 100 - 12:
                lines.append(" " * 12 + line)
                line = item
            else:
                line = f"{line} {item}" if line else item
        lines.append(" " * 12 + line)
    if _exists(con, "marts", "rpt_seat_reassignments"):
        transfers = _scalar(con, "select count(*) from marts.rpt_seat_reassignments")
        lines.append(f"seats:      {transfers:,} freed seats to hand on (rpt_seat_reassignments)")
    return lines


def summary_lines(warehouse: Path, exports_dir: Path) -> list[str]:
    """Plain-text lines describing the warehouse after a run (reads only)."""
    lines: list[str] = []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        as_of, tz = con.execute("select as_of, org_timezone from raw.run_context").fetchone()
        lines.append(f"as of {as_of} ({tz})")
        if _exists(con, "marts", "dim_users"):
            active, left, unresolved = con.execute(
                "select count(*) filter (where is_in_directory and status = 'active'), "
                "count(*) filter (where is_in_directory and status = 'left'), "
                "count(*) filter (where not is_identity_resolved) from marts.dim_users"
            ).fetchone()
            lines.append(
                f"people:     {active:,} active, {left:,} left, {unresolved:,} unresolved logins"
            )
        if _exists(con, "marts", "fct_sessions"):
            sessions, users, products = con.execute(
                "select count(*), count(distinct user_key), count(distinct product) "
                "from marts.fct_sessions"
            ).fetchone()
            lines.append(f"sessions:   {sessions:,} by {users:,} people on {products} products")
        if _exists(con, "marts", "fct_usage_windows"):
            tokens, windows = con.execute(
                "select coalesce(sum(tokens_charged), 0), "
                "count(*) filter (where charge_status = 'charged') "
                "from marts.fct_usage_windows"
            ).fetchone()
            lines.append(
                f"tokens:     {float(tokens):,.0f} used in {windows:,} charged 24-hour windows"
            )
        # token balance and run-out, and the reconciliation with Autodesk (defs/tokens/facts.py)
        lines.extend(token_summary_lines(con))
        if _exists(con, "marts", "rpt_licence_recommendations"):
            saving, count = con.execute(
                "select coalesce(sum(annual_saving), 0), count(*) "
                "from marts.rpt_licence_recommendations"
            ).fetchone()
            lines.append(f"savings:    {float(saving):,.0f} a year from {count:,} recommendations")
            lines.extend(_savings_by_kind(con))
        if _exists(con, "intermediate", "int_rows_quarantined"):
            rows = con.execute(
                "select reason, count(*) from intermediate.int_rows_quarantined "
                "group by reason order by count(*) desc, reason"
            ).fetchall()
            total = sum(count for _, count in rows)
            detail = ", ".join(f"{reason} {count:,}" for reason, count in rows)
            lines.append(f"quarantine: {total:,} rows" + (f" ({detail})" if detail else ""))
    finally:
        con.close()
    latest = exports_dir / "latest"
    if latest.exists():
        lines.append(f"exports:    {latest}/ -> {latest.resolve().name}")
        if (latest / "report.html").exists():
            lines.append(f"report:     {latest / 'report.html'}  (flexlens report --open)")
    lines.append("UI:         make dev  (then open http://127.0.0.1:3000)")
    return lines
