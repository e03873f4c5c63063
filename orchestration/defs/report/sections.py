"""The report's sections, one function each: what it shows and from which marts.

Each takes the run's marts (``MartReader``) and returns a ``Section``: headline figures, charts
and tables, and a notice for every mart it needed and could not read. Numbers are sums and
counts of mart columns; no rule a mart already applies is computed again here.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd

from orchestration.defs.report import charts
from orchestration.defs.report.exported import ExportedRun
from orchestration.defs.report.model import (
    ACTIONS,
    MARTS,
    MAX_TABLE_ROWS,
    RECIPIENT_REASONS,
    TOP_CONSUMERS,
    Cell,
    Figure,
    MartReader,
    Section,
    Table,
    as_date,
    as_text,
    column_or,
    count_of,
    day,
    draw,
    finite,
    first_row,
    money,
    number,
    percent,
    person_name,
    tokens,
    truthy,
)


def _saving_total(recommendations: pd.DataFrame) -> float:
    return round(math.fsum(float(v) for v in recommendations["annual_saving"] if finite(v)), 2)


def summary_section(marts: MartReader, currency: str) -> Section:
    section = Section(
        key="summary",
        title="At a glance",
        intro="The year's recommended saving, what Flex has cost so far, the token outlook, and "
        "how far the data can be trusted.",
    )
    figures = section.figures
    recommendations = marts.get("rpt_licence_recommendations")
    if recommendations is None:
        figures.append(
            _missing_figure(
                "headline-saving", "Recommended annual saving", marts, "rpt_licence_recommendations"
            )
        )
    else:
        total = _saving_total(recommendations)
        with_saving = int((recommendations["annual_saving"].fillna(0) > 0).sum())
        figures.append(
            Figure(
                key="headline-saving",
                label="Recommended annual saving",
                value=money(total, currency),
                detail=f"from {count_of(with_saving, 'action')} with a saving "
                f"({count_of(len(recommendations), 'recommendation')} in all)",
                raw=f"{total:.2f}",
                tone="good" if total > 0 else "",
            )
        )
    balance = marts.get("rpt_token_balance_daily")
    if balance is None:
        figures.append(
            _missing_figure(
                "headline-spend", "Flex spend to date", marts, "rpt_token_balance_daily"
            )
        )
    else:
        used = balance[balance["tokens_consumed"].fillna(0) > 0]
        token_total = float(balance["tokens_consumed"].fillna(0).sum())
        since = f" since {day(used['balance_date'].min())}" if not used.empty else ""
        if "consumed_cost" in balance:
            cost = round(math.fsum(float(v) for v in balance["consumed_cost"] if finite(v)), 2)
            figures.append(
                Figure(
                    key="headline-spend",
                    label="Flex spend to date",
                    value=money(cost, currency),
                    detail=f"{tokens(token_total)} tokens used{since}, at each pack's price",
                    raw=f"{cost:.2f}",
                )
            )
        else:
            figures.append(
                Figure(
                    key="headline-spend",
                    label="Flex tokens used to date",
                    value=tokens(token_total),
                    detail=f"tokens{since} (rpt_token_balance_daily has no consumed_cost)",
                    raw=f"{token_total:.0f}",
                )
            )
    forecast = first_row(marts.get("rpt_token_forecast"))
    if forecast is None:
        for key, label in (
            ("headline-balance", "Flex tokens left"),
            ("headline-run-out", "Tokens run out"),
            ("headline-expiring", "Tokens expiring unused"),
        ):
            figures.append(_missing_figure(key, label, marts, "rpt_token_forecast"))
    else:
        figures.extend(_token_figures(forecast, currency))
    figures.append(_reconciliation_figure(marts))
    figures.append(_quality_figure(marts))
    if recommendations is not None:
        section.tables.append(_saving_by_kind(recommendations, currency))
    return section


def _missing_figure(key: str, label: str, marts: MartReader, mart: str) -> Figure:
    """A headline figure whose mart could not be read: says which and why."""
    reason = "; ".join(marts.missing(mart)) or f"{mart}: not available"
    return Figure(
        key=key, label=label, value="–", detail=f"Not available: {reason}", tone="missing"
    )


def _token_figures(forecast: dict[str, Any], currency: str) -> list[Figure]:
    balance = forecast["balance"]
    burn = forecast.get("burn_rate_per_day")
    window = forecast.get("burn_window_days")
    burn_text = (
        f"using {number(burn)} a day"
        + (f" (average of the last {int(window)} days)" if finite(window) else "")
        if finite(burn)
        else ""
    )
    figures = [
        Figure(
            key="headline-balance",
            label="Flex tokens left",
            value=tokens(balance),
            detail=burn_text or "on the as-of date",
            raw=f"{float(balance):.0f}" if finite(balance) else "",
            tone="bad" if finite(balance) and float(balance) < 0 else "",
        )
    ]
    run_out = as_date(forecast.get("run_out_date"))
    if run_out is None:
        until = forecast.get("projection_end_date")
        figures.append(
            Figure(
                key="headline-run-out",
                label="Tokens run out",
                value="Not in view",
                detail=f"enough until {day(until)} at the current use" if until else "",
                tone="good",
            )
        )
    else:
        days = forecast.get("days_to_run_out")
        due = truthy(forecast.get("is_top_up_due"))
        by = forecast.get("top_up_needed_by")
        order = "Order a top-up now" if due else f"Order a top-up by {day(by)}" if by else ""
        buy = ""
        if finite(forecast.get("tokens_to_buy")) and float(forecast["tokens_to_buy"]) > 0:
            combination = as_text(forecast.get("pack_combination")).replace(" x ", " × ")
            cost = forecast.get("top_up_cost")
            horizon = as_date(forecast.get("horizon_date"))
            buy = (
                f": {tokens(forecast['tokens_to_buy'])} tokens"
                + (f" ({combination})" if combination else "")
                + (f", about {money(cost, currency)}" if finite(cost) else "")
                + (f", last until {day(horizon)}" if horizon else "")
            )
        in_days = f"In {count_of(int(days), 'day')}. " if finite(days) else ""
        if in_days and order:
            order = order[0].lower() + order[1:]
            in_days = in_days.replace(". ", "; ")
        figures.append(
            Figure(
                key="headline-run-out",
                label="Tokens run out",
                value=day(run_out),
                detail=f"{in_days}{order}{buy}".strip() + ("." if order or buy else ""),
                raw=run_out.isoformat(),
                tone="bad"
                if due
                else "warn"
                if truthy(forecast.get("is_run_out_within_warning"))
                else "",
            )
        )
    expiring = forecast.get("tokens_expiring_unused")
    amount = float(expiring) if finite(expiring) else 0.0
    if amount > 0:
        value = forecast.get("expiring_value")
        next_on = forecast.get("next_unused_expiry_date")
        detail = (
            (f"worth {money(value, currency)}" if finite(value) else "")
            + (f"; the first on {day(next_on)}" if as_date(next_on) else "")
            + " at the current use"
        ).lstrip("; ")
    else:
        detail = "no pack is projected to expire with tokens left"
    figures.append(
        Figure(
            key="headline-expiring",
            label="Tokens expiring unused",
            value=tokens(amount),
            detail=detail,
            raw=f"{amount:.0f}",
            tone="warn" if amount > 0 else "good",
        )
    )
    return figures


def _reconciliation_figure(marts: MartReader) -> Figure:
    frame = marts.get("rpt_billing_reconciliation")
    if frame is None:
        return _missing_figure(
            "headline-reconciliation",
            "Match with Autodesk's usage",
            marts,
            "rpt_billing_reconciliation",
        )
    if "is_in_common_period" in frame:
        frame = frame[frame["is_in_common_period"].fillna(False).astype(bool)]
    counts = frame["status"].value_counts()
    total = int(counts.sum())
    if total == 0:
        return Figure(
            key="headline-reconciliation",
            label="Match with Autodesk's usage",
            value="–",
            detail="no days that both the agent logs and Autodesk's Token Usage export cover",
        )
    rate = counts.get("match", 0) / total
    parts = [
        f"{int(counts.get(status, 0)):,} {text}"
        for status, text in (
            ("differs", "differ"),
            ("missing_in_agent_logs", "missing in the agent logs"),
            ("not_reported", "not reported by Autodesk"),
        )
        if counts.get(status, 0)
    ]
    return Figure(
        key="headline-reconciliation",
        label="Match with Autodesk's usage",
        value=percent(rate),
        detail=f"{int(counts.get('match', 0)):,} of {total:,} person × product × days match"
        + (f"; {', '.join(parts)}" if parts else ""),
        raw=f"{rate:.6f}",
        tone="good" if rate >= 0.95 else "warn",
    )


def _quality_counts(frame: pd.DataFrame) -> tuple[int, dict[str, int]]:
    quarantine = frame[frame["kind"] == "quarantine"]
    rows = int(quarantine["rows"].fillna(0).sum())
    checks = frame[frame["kind"] == "check"]["outcome"].value_counts()
    return rows, {str(k): int(v) for k, v in checks.items()}


def _quality_figure(marts: MartReader) -> Figure:
    frame = marts.get("rpt_data_quality")
    if frame is None:
        return _missing_figure(
            "headline-quality", "Rows set aside (quarantined)", marts, "rpt_data_quality"
        )
    rows, checks = _quality_counts(frame)
    warned, failed = checks.get("warned", 0), checks.get("failed", 0)
    check_text = f"{count_of(sum(checks.values()), 'check')}: " + ", ".join(
        f"{count:,} {outcome}" for outcome, count in sorted(checks.items())
    )
    return Figure(
        key="headline-quality",
        label="Rows set aside (quarantined)",
        value=f"{rows:,}",
        detail=(check_text if checks else "no check outcomes recorded")
        + " (see Data quality below)",
        raw=str(rows),
        tone="bad" if failed else "warn" if warned or rows else "good",
    )


def _saving_by_kind(recommendations: pd.DataFrame, currency: str) -> Table:
    grouped = (
        recommendations.assign(saving=recommendations["annual_saving"].fillna(0))
        .groupby("recommendation", as_index=False)
        .agg(actions=("saving", "size"), saving=("saving", "sum"))
        .sort_values(["saving", "actions"], ascending=[False, False])
    )
    rows = [
        [
            Cell(ACTIONS.get(str(r.recommendation), str(r.recommendation).replace("_", " "))),
            Cell(f"{int(r.actions):,}", css="num"),
            Cell(money(r.saving, currency), css="num"),
        ]
        for r in grouped.itertuples()
    ]
    return Table(
        key="saving-by-kind",
        title="Recommended saving by kind of action",
        columns=[("Action", "left"), ("Recommendations", "num"), ("Annual saving", "num")],
        rows=rows,
        total=[
            Cell("Total"),
            Cell(f"{len(recommendations):,}", css="num"),
            Cell(money(_saving_total(recommendations), currency), css="num"),
        ],
        empty="No recommendations: every seat and every Flex user looks right-sized.",
    )


def tokens_section(marts: MartReader, currency: str) -> Section:
    section = Section(
        key="tokens",
        title="Flex tokens: balance and forecast",
        intro="Tokens left at the end of each day, then the projection at the recent daily use "
        "(by weekday). Dashed orange lines are the days packs expire (tokens do not roll over); "
        "the red line is the first day the projected use finds no usable tokens.",
    )
    history = marts.get("rpt_token_balance_daily")
    forecast = marts.get("rpt_token_forecast_daily")
    summary = first_row(marts.get("rpt_token_forecast"))
    section.notices += marts.missing(
        "rpt_token_balance_daily", "rpt_token_forecast_daily", "rpt_token_forecast"
    )
    if history is None or history.empty:
        if history is not None:
            section.notes.append("No token packs or charged windows: there is no balance yet.")
        return section
    history = history.sort_values("balance_date")
    lines = pd.DataFrame({"date": history["balance_date"], "balance": history["balance"]})
    projection = pd.DataFrame(columns=["date", "balance"])
    if forecast is not None and not forecast.empty:
        forecast = forecast.sort_values("forecast_date")
        projection = pd.concat(
            [
                lines.tail(1),
                pd.DataFrame(
                    {"date": forecast["forecast_date"], "balance": forecast["projected_balance"]}
                ),
            ],
            ignore_index=True,
        )
    start = as_date(lines["date"].min())
    end = as_date((projection if not projection.empty else lines)["date"].max())
    expiries = _pack_expiries(marts, start, end)
    as_of_date = as_date(lines["date"].max())
    run_out = as_date(summary.get("run_out_date")) if summary else None
    section.charts.append(
        draw(
            "chart-token-balance",
            "Flex tokens left, and the forecast",
            lambda: charts.token_balance(
                lines, projection, expiries, as_of_date=as_of_date, run_out_date=run_out
            ),
            caption=_token_caption(summary, expiries),
        )
    )
    packs = marts.get("rpt_token_pack_forecast")
    if packs is not None:
        section.tables.append(_packs_table(packs, currency))
    return section


def _pack_expiries(marts: MartReader, start: date | None, end: date | None) -> pd.DataFrame:
    found: list[pd.DataFrame] = []
    ledger = marts.get("fct_token_ledger")
    if ledger is not None:
        if "is_overdraft" in ledger:
            ledger = ledger[~ledger["is_overdraft"].fillna(False).astype(bool)]
        found.append(ledger[["order_id", "expires_on"]])
    packs = marts.get("rpt_token_pack_forecast")
    if packs is not None:
        found.append(packs[["order_id", "expires_on"]])
    if not found:
        return pd.DataFrame(columns=["date", "label"])
    expiries = pd.concat(found, ignore_index=True).dropna().drop_duplicates()
    expiries["date"] = expiries["expires_on"].map(as_date)
    expiries = expiries.dropna(subset=["date"])
    if start is not None:
        expiries = expiries[expiries["date"] >= start]
    if end is not None:
        expiries = expiries[expiries["date"] <= end]
    grouped = (
        expiries.groupby("date", as_index=False)["order_id"]
        .agg(lambda ids: ", ".join(sorted(str(i) for i in ids)))
        .sort_values("date")
    )
    grouped["label"] = grouped["order_id"]
    return grouped[["date", "label"]]


def _token_caption(summary: dict[str, Any] | None, expiries: pd.DataFrame) -> str:
    parts = []
    if summary is not None:
        price = summary.get("token_price")
        if finite(summary.get("burn_rate_per_day")):
            parts.append(f"Projected use: {number(summary['burn_rate_per_day'])} tokens a day")
        if finite(price):
            source = as_text(summary.get("token_price_source")).replace("_", " ")
            parts.append(
                f"token price for costs {number(price, 2)}" + (f" ({source})" if source else "")
            )
    parts.append(
        f"{count_of(len(expiries), 'pack expiry', 'pack expiries')} in view"
        if len(expiries)
        else "no pack expires in view"
    )
    return (
        "; ".join(parts)
        + ". Sources: rpt_token_balance_daily, rpt_token_forecast_daily, "
        + ("fct_token_ledger and rpt_token_pack_forecast (expiries).")
    )


def _packs_table(packs: pd.DataFrame, currency: str) -> Table:
    packs = packs.sort_values(["expires_on", "order_id"])
    rows = []
    for row in packs.to_dict("records"):
        unused = row.get("tokens_expiring_unused")
        rows.append(
            [
                Cell(as_text(row["order_id"]), css="nowrap"),
                Cell(day(row.get("purchased_on")), css="nowrap"),
                Cell(day(row["expires_on"]), css="nowrap"),
                Cell(tokens(row["tokens_at_as_of"]), css="num"),
                Cell(day(row.get("projected_last_draw_date")), css="nowrap"),
                Cell(
                    tokens(unused),
                    sub=money(row.get("expiring_value"), currency)
                    if finite(unused) and float(unused) > 0
                    else "",
                    css="num warn" if finite(unused) and float(unused) > 0 else "num",
                ),
            ]
        )
    return Table(
        key="token-packs",
        title="Packs holding tokens",
        columns=[
            ("Order", "left"),
            ("Bought", "left"),
            ("Expires", "left"),
            ("Tokens left", "num"),
            ("Last day drawn (projected)", "left"),
            ("Expiring unused", "num"),
        ],
        rows=rows,
        empty="No pack holds tokens on the as-of date.",
        caption="Source: rpt_token_pack_forecast.",
    )


def _month_label(value: Any) -> tuple[str, str]:
    found = as_date(value)
    return (f"{found:%b %Y}", found.isoformat()) if found else ("?", "")


def spend_section(marts: MartReader, currency: str, products: Sequence[str]) -> Section:
    section = Section(
        key="spend",
        title="Flex spend by month",
        intro="What Flex tokens cost each month, by product and by department.",
    )
    costs = marts.get("fct_token_window_costs")
    windows = marts.get("fct_usage_windows")
    section.notices += marts.missing("fct_token_window_costs", "fct_usage_windows")
    if costs is not None and windows is not None:
        joined = costs.merge(windows, on="window_id", how="left")
        joined["product"] = joined["product"].fillna("(unknown product)")
        joined["month"] = joined["usage_date"].map(
            lambda v: as_date(v).replace(day=1) if as_date(v) else None
        )
        undated = joined[joined["month"].isna()]
        if not undated.empty:
            section.notes.append(
                f"{count_of(len(undated), 'charged window')} of fct_token_window_costs "
                f"({money(math.fsum(undated['token_cost'].fillna(0)), currency)}) have no row in "
                "fct_usage_windows and are left out of the chart by product."
            )
        monthly = (
            joined.dropna(subset=["month"])
            .groupby(["month", "product"], as_index=False)["token_cost"]
            .sum()
            .rename(columns={"token_cost": "value"})
        )
        if monthly.empty:
            section.notes.append("No charged Flex windows yet: nothing to chart by product.")
        else:
            monthly[["month_label", "month_order"]] = monthly["month"].map(_month_label).tolist()
            total = math.fsum(monthly["value"])
            section.charts.append(
                draw(
                    "chart-spend-product",
                    "Flex spend by product",
                    lambda: charts.monthly_stacked(
                        monthly,
                        category="product",
                        value_title="Flex spend",
                        currency=currency,
                        domain=products,
                    ),
                    caption=f"{money(total, currency)} in all: each charged window's tokens at "
                    "the prices of the packs they were drawn from, in the month of its UTC start "
                    "date. Sources: fct_token_window_costs, fct_usage_windows.",
                )
            )
    departments = marts.get("rpt_department_costs")
    section.notices += marts.missing("rpt_department_costs")
    if departments is not None:
        if departments.empty:
            section.notes.append("rpt_department_costs has no rows: nothing to show by department.")
        else:
            departments[["month_label", "month_order"]] = (
                departments["month"].map(_month_label).tolist()
            )
            flex = departments.rename(columns={"flex_cost": "value"})
            total = math.fsum(flex["value"].fillna(0))
            section.charts.append(
                draw(
                    "chart-spend-department",
                    "Flex spend by department",
                    lambda: charts.monthly_stacked(
                        flex.fillna({"value": 0}),
                        category="department",
                        value_title="Flex spend",
                        currency=currency,
                    ),
                    caption=f"{money(total, currency)} in all: tokens by the local date their "
                    "window started, at the effective token price, as in the department "
                    "showback (so it can differ a little from the product chart, which uses each "
                    "pack's price). Source: rpt_department_costs.",
                )
            )
            section.tables.append(_department_table(departments, currency))
    return section


def _department_table(departments: pd.DataFrame, currency: str) -> Table:
    frame = departments.assign(
        flex=departments["flex_cost"].fillna(0),
        seats=column_or(departments, "subscription_cost", 0.0).fillna(0).astype(float),
    )
    grouped = (
        frame.groupby("department", as_index=False)[["flex", "seats"]]
        .sum()
        .assign(total=lambda f: f["flex"] + f["seats"])
        .sort_values("total", ascending=False)
    )
    rows = [
        [
            Cell(as_text(r.department)),
            Cell(money(r.flex, currency), css="num"),
            Cell(money(r.seats, currency), css="num"),
            Cell(money(r.total, currency), css="num"),
        ]
        for r in grouped.itertuples()
    ]
    months = departments["month"].map(as_date).dropna()
    span = (
        f"{_month_label(months.min())[0]} to {_month_label(months.max())[0]}" if len(months) else ""
    )
    partial = ""
    if "days_counted" in departments:
        short = departments[
            departments["days_counted"].fillna(0)
            < departments["month"].map(lambda v: pd.Timestamp(as_date(v)).days_in_month)
        ]
        if not short.empty:
            partial = (
                " Partial months: "
                + ", ".join(
                    f"{_month_label(m)[0]} ({int(d)} days)"
                    for m, d in short.groupby("month")["days_counted"].max().items()
                )
                + "."
            )
    return Table(
        key="department-costs",
        title="Licence cost by department" + (f", {span}" if span else ""),
        columns=[
            ("Department", "left"),
            ("Flex", "num"),
            ("Named seats and collections", "num"),
            ("Total", "num"),
        ],
        rows=rows,
        total=[
            Cell("Total"),
            Cell(money(grouped["flex"].sum(), currency), css="num"),
            Cell(money(grouped["seats"].sum(), currency), css="num"),
            Cell(money(grouped["total"].sum(), currency), css="num"),
        ],
        caption="Named seats are costed at their annual price for the days held. Source: "
        "rpt_department_costs." + partial,
    )


def _jitter(key: str) -> float:
    return (zlib.crc32(key.encode("utf-8")) % 1000) / 1000


def utilisation_section(marts: MartReader, currency: str, products: Sequence[str]) -> Section:
    section = Section(
        key="utilisation",
        title="Who uses what, against break-even",
        intro="Each dot is one person's use of one product, in days a year. Right of the red "
        "break-even line a named seat is cheaper than Flex; left of it, Flex is. Recommendations "
        "(below) only act where the difference is beyond the break-even margin.",
    )
    usage = marts.get("rpt_user_product_utilisation")
    section.notices += marts.missing("rpt_user_product_utilisation")
    if usage is None:
        return section
    window = usage["observed_days"].max() if "observed_days" in usage else None
    window_days = int(window) if finite(window) else 365
    rated = usage.dropna(subset=["break_even_days", "annualised_days"])
    unrated = sorted(set(usage["product"]) - set(rated["product"]))
    if rated.empty:
        section.notes.append(
            "No product has a break-even yet (a token rate and a seat price are both needed)."
        )
    else:
        dots = rated.assign(
            jitter=[
                _jitter(f"{u}|{p}")
                for u, p in zip(rated["user_key"], rated["product"], strict=True)
            ],
            access=rated["access"].fillna("none"),
        )
        above = int((dots["annualised_days"] > dots["break_even_days"]).sum())
        section.charts.append(
            draw(
                "chart-break-even",
                "Days used a year against each product's break-even",
                lambda: charts.break_even(
                    dots[["product", "annualised_days", "break_even_days", "access", "jitter"]],
                    window_days=window_days,
                ),
                caption=f"{above:,} of {len(dots):,} person × product uses are above break-even. "
                "A history shorter than a year is scaled up to a year."
                + (
                    f" Not shown (no break-even: token rate or price unknown): "
                    f"{', '.join(unrated)}."
                    if unrated
                    else ""
                )
                + " Source: rpt_user_product_utilisation.",
            )
        )
    people = marts.people()
    spenders = usage[usage["flex_cost"].fillna(0) > 0]
    if spenders.empty:
        section.notes.append("Nobody consumed Flex tokens in the analysis window.")
        return section
    per_person = spenders.groupby("user_key")["flex_cost"].sum().sort_values(ascending=False)
    top = per_person.head(TOP_CONSUMERS)
    labels = {key: person_name(people, key) for key in top.index}
    repeated = {name for name in labels.values() if list(labels.values()).count(name) > 1}
    labels = {key: f"{name} ({key})" if name in repeated else name for key, name in labels.items()}
    bars = spenders[spenders["user_key"].isin(top.index)].assign(
        person=lambda f: f["user_key"].map(labels),
        total=lambda f: f["user_key"].map(top),
        value=lambda f: f["flex_cost"],
    )[["person", "product", "value", "total"]]
    share = top.sum() / per_person.sum() if per_person.sum() else 0
    section.charts.append(
        draw(
            "chart-top-consumers",
            f"Top {len(top)} Flex consumers",
            lambda: charts.top_consumers(bars, currency=currency, products=products),
            caption=f"{money(top.sum(), currency)}, {percent(share)} of the Flex cost of "
            f"{count_of(len(per_person), 'person', 'people')} in the analysis window, at the "
            "effective token price. Source: rpt_user_product_utilisation.",
        )
    )
    return section


def _person_cell(
    people: dict[str, dict[str, Any]], key: str, name: str = "", dept: str = ""
) -> Cell:
    person = people.get(key) or {}
    shown = as_text(person.get("display_name")) or name or key
    department = as_text(person.get("department")) or dept
    if shown == key:  # no name known: the key is the name; the department, if any, below
        return Cell(shown, sub=department)
    return Cell(shown, sub=f"{department} · {key}" if department else key)


def recommendations_section(marts: MartReader, currency: str) -> Section:
    section = Section(
        key="recommendations",
        title="Recommendations",
        intro="One action per person and product, the most valuable first. Each reason says what "
        "was seen and what to do.",
    )
    frame = marts.get("rpt_licence_recommendations")
    section.notices += marts.missing("rpt_licence_recommendations")
    if frame is None:
        return section
    people = marts.people()
    priority = column_or(frame, "priority", 99).fillna(99)
    frame = frame.assign(_priority=priority, _saving=frame["annual_saving"].fillna(0)).sort_values(
        ["_saving", "_priority", "product", "user_key"], ascending=[False, True, True, True]
    )
    rows = []
    for row in frame.head(MAX_TABLE_ROWS).to_dict("records"):
        kind = str(row["recommendation"])
        rows.append(
            [
                Cell(
                    money(row["annual_saving"], currency) if row["_saving"] else "–",
                    css="num",
                ),
                Cell(ACTIONS.get(kind, kind.replace("_", " ")), css=f"action action-{kind}"),
                _person_cell(
                    people,
                    str(row["user_key"]),
                    as_text(row.get("display_name")),
                    as_text(row.get("department")),
                ),
                Cell(_holding(row)),
                Cell(as_text(row["reason"]), css="reason"),
            ]
        )
    section.tables.append(
        Table(
            key="recommendations",
            title=f"{count_of(len(frame), 'recommendation')}",
            columns=[
                ("Annual saving", "num"),
                ("Action", "left"),
                ("Person", "left"),
                ("Product", "left"),
                ("Why, and what to do", "left"),
            ],
            rows=rows,
            total=[
                Cell(money(_saving_total(frame), currency), css="num"),
                Cell("Total"),
                Cell(""),
                Cell(""),
                Cell(""),
            ],
            empty="No recommendations: every seat and every Flex user looks right-sized.",
            more=_more(len(frame), "rpt_licence_recommendations"),
            caption="Source: rpt_licence_recommendations (annual_saving, reason).",
        )
    )
    return section


def _holding(row: dict[str, Any]) -> str:
    """What a recommendation is about: the product or collection, or `Flex access`."""
    if as_text(row.get("product_kind")) == "flex_access":
        return "Flex access"
    return as_text(row["product"])


def _more(count: int, mart: str) -> str:
    if count <= MAX_TABLE_ROWS:
        return ""
    return f"The first {MAX_TABLE_ROWS:,} of {count:,} rows; all of them are in {mart}.csv."


def reassignments_section(marts: MartReader, currency: str) -> Section:
    section = Section(
        key="reassignments",
        title="Seat reassignments",
        intro="Seats freed by the recommendations, given to someone who needs one instead of "
        "being cancelled or bought anew. A transfer is how two recommendations are carried out "
        "together, so its saving overlaps theirs and is not added to the headline.",
    )
    frame = marts.get("rpt_seat_reassignments")
    section.notices += marts.missing("rpt_seat_reassignments")
    if frame is None:
        return section
    people = marts.people()
    frame = frame.sort_values(["annual_saving", "product"], ascending=[False, True])
    rows = []
    for row in frame.head(MAX_TABLE_ROWS).to_dict("records"):
        donor = _person_cell(people, str(row["from_user_key"]))
        donor_why = as_text(row.get("from_recommendation"))
        if donor_why:
            donor.sub = " · ".join(
                filter(None, [ACTIONS.get(donor_why, donor_why).lower(), donor.sub])
            )
        recipient = _person_cell(people, str(row["to_user_key"]))
        recipient_why = as_text(row.get("to_reason"))
        if recipient_why:
            recipient.sub = " · ".join(
                filter(None, [RECIPIENT_REASONS.get(recipient_why, recipient_why), recipient.sub])
            )
        rows.append(
            [
                Cell(as_text(row["product"])),
                donor,
                recipient,
                Cell(money(row["annual_saving"], currency), css="num"),
                Cell(as_text(row.get("reason")), css="reason"),
            ]
        )
    section.tables.append(
        Table(
            key="reassignments",
            title=count_of(len(frame), "transfer"),
            columns=[
                ("Seat", "left"),
                ("From", "left"),
                ("To", "left"),
                ("Annual saving", "num"),
                ("Note", "left"),
            ],
            rows=rows,
            empty="No seat transfers proposed.",
            more=_more(len(frame), "rpt_seat_reassignments"),
            caption="Source: rpt_seat_reassignments.",
        )
    )
    return section


def leavers_section(marts: MartReader, currency: str) -> Section:
    section = Section(
        key="leavers",
        title="Leavers holding seats",
        intro="People who have left but still hold a named seat, a collection or Flex access.",
    )
    frame = marts.get("rpt_licence_recommendations")
    section.notices += marts.missing("rpt_licence_recommendations")
    if frame is None:
        return section
    people = marts.people()
    leavers = frame[frame["recommendation"] == "reclaim_leaver"].copy()
    leavers["left_on"] = leavers["user_key"].map(
        lambda key: as_date((people.get(str(key)) or {}).get("left_on"))
    )
    leavers = leavers.sort_values(["annual_saving", "user_key"], ascending=[False, True])
    rows = []
    for row in leavers.to_dict("records"):
        person = _person_cell(
            people,
            str(row["user_key"]),
            as_text(row.get("display_name")),
            as_text(row.get("department")),
        )
        rows.append(
            [
                person,
                Cell(day(row["left_on"]) if row["left_on"] else "–", css="nowrap"),
                Cell(_holding(row)),
                Cell(
                    money(row["annual_saving"], currency) if finite(row["annual_saving"]) else "–",
                    css="num",
                ),
                Cell(as_text(row["reason"]), css="reason"),
            ]
        )
    section.tables.append(
        Table(
            key="leavers",
            title=count_of(len(leavers), "seat") + " held by leavers",
            columns=[
                ("Person", "left"),
                ("Left on", "left"),
                ("Holds", "left"),
                ("Annual saving", "num"),
                ("What to do", "left"),
            ],
            rows=rows,
            empty="No leaver holds a seat or Flex access.",
            caption="Source: rpt_licence_recommendations (reclaim_leaver), dim_users (left_on).",
        )
    )
    return section


def network_section(marts: MartReader, currency: str, products: Sequence[str]) -> Section:
    section = Section(
        key="network",
        title="Network licences",
        intro="Concurrent use of network (multi-user) licences, from the FlexNet licence server "
        "logs, and how many named seats the people on them would need.",
    )
    daily = marts.get("rpt_network_concurrency")
    if daily is None:
        section.notices += marts.missing("rpt_network_concurrency")
        return section
    if daily.empty:
        section.notes.append(
            "No FlexNet licence server logs in this run (they are read from flexlm/ in the "
            "landing folder): nothing to show."
        )
        return section
    frame = pd.DataFrame(
        {
            "product": daily["product"],
            "date": daily["usage_date"],
            "peak_in_use": daily["peak_in_use"],
            "pool_size": column_or(daily, "pool_size"),
            "denials": column_or(daily, "denials", 0).fillna(0),
        }
    )
    denied_days = int((frame["denials"] > 0).sum())
    section.charts.append(
        draw(
            "chart-network-concurrency",
            "Licences in use at the daily peak",
            lambda: charts.network_concurrency(frame),
            caption="Dashed line: licences in the pool. Red dots: days with denials "
            f"({count_of(denied_days, 'product-day')} in all). Source: "
            "rpt_network_concurrency (server-local dates).",
        )
    )
    curve = marts.get("rpt_network_concurrency_curve")
    section.notices += marts.missing("rpt_network_concurrency_curve")
    if curve is not None and not curve.empty:
        days = curve.groupby("product")["usage_date"].nunique()
        hours = curve.groupby(["product", "n"], as_index=False)["hours_at_or_above_n"].sum()
        hours["hours"] = hours["hours_at_or_above_n"] / hours["product"].map(days)
        section.charts.append(
            draw(
                "chart-network-curve",
                "How long at least n licences are in use",
                lambda: charts.concurrency_curve(
                    hours[["product", "n", "hours"]], products=products
                ),
                caption="Average hours a day with at least n licences in use, over the days "
                "with use: the n-th licence of a pool is busy only that long. Source: "
                "rpt_network_concurrency_curve.",
            )
        )
    sizing = marts.get("rpt_named_user_sizing")
    section.notices += marts.missing("rpt_named_user_sizing")
    if sizing is not None:
        section.tables.append(_sizing_table(sizing, currency))
    return section


def _sizing_table(sizing: pd.DataFrame, currency: str) -> Table:
    rows = []
    for row in sizing.sort_values("product").to_dict("records"):
        rows.append(
            [
                Cell(
                    as_text(row["product"]),
                    sub=""
                    if as_text(row.get("sizing_status")) in ("", "sized")
                    else as_text(row.get("sizing_status")).replace("_", " "),
                ),
                Cell(number(row["distinct_users"]), css="num"),
                Cell(number(row.get("network_seats")), css="num"),
                Cell(number(row["named_seats_recommended"]), css="num"),
                Cell(number(row.get("flex_users")), css="num"),
                Cell(money(row.get("cost_all_named"), currency), css="num"),
                Cell(money(row.get("cost_trade_in"), currency), css="num"),
                Cell(money(row.get("cost_recommended_mix"), currency), css="num"),
                Cell(money(row.get("saving_vs_trade_in"), currency), css="num"),
            ]
        )
    return Table(
        key="named-user-sizing",
        title="Named-user sizing of the network products",
        columns=[
            ("Product", "left"),
            ("People", "num"),
            ("Network seats", "num"),
            ("Named seats needed", "num"),
            ("On Flex instead", "num"),
            ("All named, a year", "num"),
            ("2-for-1 trade-in", "num"),
            ("Recommended mix", "num"),
            ("Saving vs trade-in", "num"),
        ],
        rows=rows,
        empty="No network product to size.",
        caption="Source: rpt_named_user_sizing (docs/network-licences.md).",
    )


def quality_section(marts: MartReader) -> Section:
    section = Section(
        key="quality",
        title="Data quality",
        intro="Rows the pipeline could not use are set aside with a reason, never dropped "
        "silently; checks that did not pass are listed with what they found.",
    )
    frame = marts.get("rpt_data_quality")
    section.notices += marts.missing("rpt_data_quality")
    if frame is None:
        return section
    quarantine = frame[frame["kind"] == "quarantine"].sort_values(
        ["rows", "source", "reason_or_check"], ascending=[False, True, True]
    )
    rows = [
        [
            Cell(as_text(r["source"])),
            Cell(as_text(r["reason_or_check"])),
            Cell(number(r["rows"]), css="num"),
            Cell(as_text(r.get("example")), css="reason"),
        ]
        for r in quarantine.to_dict("records")
    ]
    section.tables.append(
        Table(
            key="quarantine",
            title="Rows set aside (quarantined)",
            columns=[("Source", "left"), ("Reason", "left"), ("Rows", "num"), ("Example", "left")],
            rows=rows,
            total=[
                Cell("Total"),
                Cell(""),
                Cell(number(quarantine["rows"].fillna(0).sum()), css="num"),
                Cell(""),
            ]
            if rows
            else None,
            empty="No row was set aside.",
            caption="Source: rpt_data_quality (kind quarantine).",
        )
    )
    checks = frame[frame["kind"] == "check"]
    failing = checks[checks["outcome"] != "passed"].sort_values(["outcome", "source"])
    outcome_counts = checks["outcome"].value_counts()
    section.tables.append(
        Table(
            key="checks",
            title="Checks that did not pass",
            columns=[("Outcome", "left"), ("Mart", "left"), ("Check", "left"), ("Found", "left")],
            rows=[
                [
                    Cell(as_text(r["outcome"]), css=f"outcome-{as_text(r['outcome'])}"),
                    Cell(as_text(r["source"])),
                    Cell(as_text(r["reason_or_check"])),
                    Cell(
                        as_text(r.get("example"))
                        or (f"{number(r['rows'])} rows" if finite(r["rows"]) else ""),
                        css="reason",
                    ),
                ]
                for r in failing.to_dict("records")
            ],
            empty=f"Every one of the {len(checks):,} checks passed.",
            caption=", ".join(f"{int(v):,} {k}" for k, v in sorted(outcome_counts.items()))
            + (" (dbt tests and data checks). " if len(checks) else "")
            + "Source: rpt_data_quality (kind check).",
        )
    )
    return section


def sources_table(run: ExportedRun, missing: dict[str, str]) -> Table:
    counts = run.manifest.get("row_counts") or {}
    rows = []
    for mart in MARTS:
        if mart in missing:
            state = Cell("missing", sub=missing[mart], css="missing")
        else:
            state = Cell("read")
        rows.append([Cell(mart), Cell(number(counts.get(mart)), css="num"), state])
    return Table(
        key="sources",
        title="Marts this page reads",
        columns=[("Mart", "left"), ("Rows exported", "num"), ("", "left")],
        rows=rows,
        caption=f"Every figure above comes from these files in {run.folder.name}/ "
        "(Parquet), the same files BI tools read.",
    )
