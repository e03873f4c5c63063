"""The report's charts: Vega-Lite specs built with Altair, rendered to inline SVG by vl-convert.

No JavaScript reaches the page: vl-convert runs Vega in-process and returns SVG text, which the
page embeds as it is (it prints well and works offline). Rendering is told that no data URL is
allowed, so a chart can only ever show the values handed to it. Each SVG's ids (Vega's clip
paths) get a prefix, because several SVGs share one HTML document.

Every function takes small, already aggregated frames (page.py prepares them from the marts)
and returns an Altair chart; ``svg`` turns one into markup.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from html import escape

import altair as alt
import pandas as pd
import vl_convert as vlc

WIDTH = 760
# vl-convert measures text with Liberation Sans; Arial and Helvetica share its metrics, so
# labels laid out here fit wherever the page is opened
FONT = "'Liberation Sans', Arial, Helvetica, sans-serif"
PALETTE = [
    "#4269d0",
    "#efb118",
    "#3ca951",
    "#ff725c",
    "#6cc5b0",
    "#a463f2",
    "#ff8ab7",
    "#9c6b4e",
    "#97bbf5",
    "#9498a0",
    "#1b7837",
    "#b2182b",
]
INK = "#1f2933"
MUTED = "#6b7280"
ALERT = "#c0392b"
EXPIRY = "#d97706"
ACCESS_LABELS = {
    "flex": "Flex",
    "subscription": "Named seat",
    "both": "Named seat and Flex",
    "none": "Neither (no access now)",
}
ACCESS_COLOURS = {
    "flex": "#4269d0",
    "subscription": "#3ca951",
    "both": "#a463f2",
    "none": "#9498a0",
}

_ID = re.compile(r'\bid="([^"]+)"')
_URL_REF = re.compile(r"url\(#([^)]+)\)")
_HREF = re.compile(r'((?:xlink:)?href)="#([^"]+)"')


def category_scale(values: Sequence[str]) -> alt.Scale:
    """A fixed colour per category (sorted), so a product has one colour on every chart."""
    domain = sorted(dict.fromkeys(str(v) for v in values))
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(domain))]
    return alt.Scale(domain=domain, range=colours)


def _configured(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT, background="white")
        .configure_view(stroke=None)
        .configure_axis(
            labelColor=INK,
            titleColor=INK,
            labelFontSize=11,
            titleFontSize=12,
            titleFontWeight="normal",
            gridColor="#e5e7eb",
            domainColor="#9ca3af",
            tickColor="#9ca3af",
        )
        .configure_legend(
            orient="top",
            direction="horizontal",
            labelFontSize=11,
            titleFontSize=11,
            titleFontWeight="normal",
            labelLimit=260,
            symbolLimit=40,
        )
        .configure_header(labelFontSize=12, labelColor=INK, labelFontWeight="bold")
    )


def svg(chart: alt.TopLevelMixin, prefix: str, label: str) -> str:
    """The chart as inline SVG markup, its ids prefixed and labelled for screen readers."""
    with alt.data_transformers.enable("default", max_rows=None):
        spec = _configured(chart).to_dict()
    # room for labels whose width a reader's font rounds differently
    spec["padding"] = {"left": 12, "right": 16, "top": 6, "bottom": 6}
    markup = vlc.vegalite_to_svg(spec, allowed_base_urls=[])
    markup = re.sub(r"^<\?xml[^>]*>\s*", "", markup.strip())
    markup = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', markup)
    markup = _URL_REF.sub(lambda m: f"url(#{prefix}-{m.group(1)})", markup)
    markup = _HREF.sub(lambda m: f'{m.group(1)}="#{prefix}-{m.group(2)}"', markup)
    return markup.replace("<svg ", f'<svg role="img" aria-label="{escape(label, quote=True)}" ', 1)


def _data(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as Vega-Lite can take it: dates as ISO text, pandas strings as objects."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            out[name] = column.dt.strftime("%Y-%m-%d")
        elif column.dtype == object and column.map(lambda v: isinstance(v, date)).any():
            out[name] = column.map(lambda v: v.isoformat() if isinstance(v, date) else v)
    return out


def _iso(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d")


def _date_axis(field: str, first: date | None, last: date | None, **axis: object) -> alt.X:
    """A UTC date axis labelled by month, every few months so labels never crowd."""
    months = 1
    if first is not None and last is not None:
        months = max(1, (last.year - first.year) * 12 + last.month - first.month + 1)
    step = max(1, math.ceil(months / 9))
    return alt.X(
        f"{field}:T",
        title=None,
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(
            format="%b %Y",
            labelAngle=0,
            tickCount={"interval": "month", "step": step},
            labelOverlap=True,
            **axis,
        ),
    )


def _day_text(value: object) -> str:
    found = pd.Timestamp(value)
    return f"{found.day} {found:%b %Y}"


def _span(*columns: pd.Series) -> tuple[date | None, date | None]:
    values = pd.concat([pd.to_datetime(c) for c in columns if len(c)], ignore_index=True)
    if values.empty:
        return None, None
    return values.min().date(), values.max().date()


def token_balance(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    expiries: pd.DataFrame,
    *,
    as_of_date: date | None,
    run_out_date: date | None,
) -> alt.LayerChart:
    """Tokens left per day (history), the projection after the as-of date (dashed), each pack's
    expiry and the run-out date as vertical rules; below zero is shaded (tokens short).

    history: date, balance; forecast: date, balance (its first row continues the history);
    expiries: date, label.
    """
    series = ["Tokens left", "Forecast", "Pack expires", "Runs out"]
    colours = [INK, "#3056b8", EXPIRY, ALERT]
    dashes = [[1, 0], [6, 4], [2, 3], [1, 0]]
    lines = pd.concat(
        [history.assign(series="Tokens left"), forecast.assign(series="Forecast")],
        ignore_index=True,
    )
    lines["date"] = _iso(lines["date"])
    lines["balance"] = lines["balance"].astype(float)
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=series, range=colours),
        legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=2),
    )
    dash = alt.StrokeDash("series:N", scale=alt.Scale(domain=series, range=dashes), legend=None)
    first, last = _span(lines["date"])
    x = _date_axis("date", first, last)
    # a long projection below zero would squeeze the history: the axis stops at half the
    # highest balance below zero and says how far the forecast goes on
    highest = max(float(lines["balance"].max()) if len(lines) else 0.0, 0.0)
    lowest = float(lines["balance"].min()) if len(lines) else 0.0
    floor = min(lowest, 0.0)
    note = "below 0: tokens short"
    if lowest < 0 < highest and lowest < -0.5 * highest:
        floor = -0.5 * highest
        end = lines.loc[lines["balance"].idxmin(), "date"]
        note += f"; the forecast reaches {lowest:,.0f} on {_day_text(end)}"
    scale = alt.Scale(domain=[floor, highest * 1.08 if highest > 0 else 1.0], nice=False)
    y = alt.Y("balance:Q", title="Flex tokens", axis=alt.Axis(format=",d"), scale=scale)
    layers: list[alt.Chart] = []
    if lowest < 0:
        short = pd.DataFrame({"top": [0.0], "bottom": [floor], "text": [note]})
        layers.append(
            alt.Chart(short)
            .mark_rect(color="#fdecea")
            .encode(y=alt.Y("top:Q", scale=scale), y2="bottom:Q")
        )
        layers.append(
            alt.Chart(short)
            .mark_text(align="left", baseline="bottom", dx=6, dy=-6, color=ALERT, fontSize=10)
            .encode(x=alt.value(0), y=alt.Y("bottom:Q", scale=scale), text="text:N")
        )
    layers.append(
        alt.Chart(pd.DataFrame({"zero": [0]}))
        .mark_rule(color="#9ca3af")
        .encode(y=alt.Y("zero:Q", scale=scale))
    )
    layers.append(
        alt.Chart(_data(lines))
        .mark_line(strokeWidth=2, interpolate="step-after", clip=True)
        .encode(x=x, y=y, color=colour, strokeDash=dash, detail="series:N")
    )
    if as_of_date is not None:
        as_of = pd.DataFrame({"date": [as_of_date.isoformat()], "text": ["as of"]})
        layers.append(alt.Chart(as_of).mark_rule(color=MUTED).encode(x="date:T"))
        layers.append(
            alt.Chart(as_of)
            .mark_text(align="right", baseline="top", dx=-3, dy=2, color=MUTED, fontSize=10)
            .encode(x="date:T", y=alt.value(0), text="text:N")
        )
    if not expiries.empty:
        marks = expiries.sort_values("date").reset_index(drop=True)
        marks = marks.assign(
            series="Pack expires",
            date=_iso(marks["date"]),
            row=[16 + 13 * (i % 3) for i in range(len(marks))],
        )
        layers.append(
            alt.Chart(marks)
            .mark_rule(strokeWidth=1.5)
            .encode(x="date:T", color=colour, strokeDash=dash)
        )
        # labels in the last quarter of the chart sit left of their line, so they stay inside
        late = pd.to_datetime(marks["date"]) > pd.Timestamp(first) + 0.75 * (
            pd.Timestamp(last) - pd.Timestamp(first)
        )
        for subset, align, dx in ((marks[~late], "left", 3), (marks[late], "right", -3)):
            if subset.empty:
                continue
            layers.append(
                alt.Chart(subset)
                .mark_text(align=align, baseline="top", dx=dx, fontSize=10, color=EXPIRY)
                .encode(x="date:T", y=alt.Y("row:Q", scale=None), text="label:N")
            )
    if run_out_date is not None:
        run_out = pd.DataFrame(
            {
                "date": [run_out_date.isoformat()],
                "series": ["Runs out"],
                "text": [f"runs out {run_out_date.day} {run_out_date:%b %Y}"],
            }
        )
        layers.append(
            alt.Chart(run_out)
            .mark_rule(strokeWidth=2)
            .encode(x="date:T", color=colour, strokeDash=dash)
        )
        layers.append(
            alt.Chart(run_out)
            .mark_text(align="left", baseline="top", dx=4, dy=2, color=ALERT, fontSize=11)
            .encode(x="date:T", y=alt.value(0), text="text:N")
        )
    return alt.layer(*layers).properties(width=WIDTH, height=280)


def _category_colour(field: str, domain: Sequence[str], present: Sequence[str]) -> alt.Color:
    """Colour by a category over a fixed domain; the legend lists only those present."""
    shown = [
        value
        for value in sorted(dict.fromkeys(str(v) for v in domain))
        if value in set(str(p) for p in present)
    ]
    return alt.Color(
        f"{field}:N",
        title=None,
        scale=category_scale(domain),
        legend=alt.Legend(values=shown),
    )


def monthly_stacked(
    frame: pd.DataFrame,
    *,
    category: str,
    value_title: str,
    currency: str,
    domain: Sequence[str] | None = None,
) -> alt.LayerChart:
    """Stacked monthly bars (frame: month_label, month_order, <category>, value) with totals."""
    months = list(frame.sort_values("month_order")["month_label"].drop_duplicates())
    x = alt.X("month_label:N", title=None, sort=months, axis=alt.Axis(labelAngle=0))
    data = _data(frame[["month_label", category, "value"]])
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y(
                "sum(value):Q", title=f"{value_title} ({currency})", axis=alt.Axis(format=",d")
            ),
            color=_category_colour(
                category, domain if domain is not None else list(frame[category]), frame[category]
            ),
            order=alt.Order(f"{category}:N", sort="ascending"),
        )
    )
    totals = (
        alt.Chart(data)
        .transform_aggregate(total="sum(value)", groupby=["month_label"])
        .mark_text(baseline="bottom", dy=-3, fontSize=10, color=INK)
        .encode(x=x, y="total:Q", text=alt.Text("total:Q", format=",.0f"))
    )
    return alt.layer(bars, totals).properties(width=WIDTH, height=260)


def break_even(frame: pd.DataFrame, *, window_days: int) -> alt.LayerChart:
    """One dot per person x product at its annualised days of use, the product's break-even
    days as a red tick (frame: product, annualised_days, break_even_days, access, jitter)."""
    products = sorted(frame["product"].unique())
    y = alt.Y("product:N", title=None, sort=products, axis=alt.Axis(labelLimit=220))
    accesses = [a for a in ACCESS_LABELS if a in set(frame["access"])]
    dots = frame.assign(access_label=frame["access"].map(ACCESS_LABELS).fillna(frame["access"]))
    points = (
        alt.Chart(_data(dots))
        .mark_circle(size=38, opacity=0.75)
        .encode(
            x=alt.X(
                "annualised_days:Q",
                title=f"days used a year (annualised from up to {window_days} days)",
                scale=alt.Scale(domain=[0, 365], nice=False),
                axis=alt.Axis(values=list(range(0, 366, 30))),
            ),
            y=y,
            yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-0.15, 1.15])),
            color=alt.Color(
                "access_label:N",
                title="Access on the as-of date",
                scale=alt.Scale(
                    domain=[ACCESS_LABELS[a] for a in accesses],
                    range=[ACCESS_COLOURS[a] for a in accesses],
                ),
            ),
        )
    )
    lines = frame.groupby("product", as_index=False)["break_even_days"].max()
    lines["text"] = lines["break_even_days"].map(lambda v: f"break-even {v:,.0f}")
    ticks = (
        alt.Chart(_data(lines))
        .mark_tick(color=ALERT, thickness=2.5, bandSize=34)
        .encode(x="break_even_days:Q", y=y)
    )
    labels = (
        alt.Chart(_data(lines))
        .mark_text(align="left", dx=5, dy=-10, fontSize=10, color=ALERT)
        .encode(x="break_even_days:Q", y=y, text="text:N")
    )
    height = max(120, 46 * len(products))
    return alt.layer(points, ticks, labels).properties(width=WIDTH - 100, height=height)


def top_consumers(frame: pd.DataFrame, *, currency: str, products: Sequence[str]) -> alt.LayerChart:
    """Horizontal bars of Flex cost per person, stacked by product (frame: person, product,
    value, total), the biggest first."""
    order = list(frame.sort_values("total", ascending=False)["person"].drop_duplicates())
    y = alt.Y("person:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
    data = _data(frame[["person", "product", "value"]])
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("sum(value):Q", title=f"Flex cost ({currency})", axis=alt.Axis(format=",d")),
            y=y,
            color=_category_colour("product", products, frame["product"]),
            order=alt.Order("product:N", sort="ascending"),
        )
    )
    totals = (
        alt.Chart(data)
        .transform_aggregate(total="sum(value)", groupby=["person"])
        .mark_text(align="left", dx=4, fontSize=10, color=INK)
        .encode(x="total:Q", y=y, text=alt.Text("total:Q", format=",.0f"))
    )
    return alt.layer(bars, totals).properties(width=WIDTH - 220, height=22 * len(order))


def network_concurrency(frame: pd.DataFrame) -> alt.FacetChart:
    """Per product: licences in use at each day's peak (bars), the pool size (dashed) and days
    with denials (red dots). frame: product, date, peak_in_use, pool_size, denials."""
    data = _data(frame.assign(date=_iso(frame["date"])))
    first, last = _span(data["date"])
    x = _date_axis("utcyearmonthdate(date)", first, last)
    peak = (
        alt.Chart()
        .mark_bar(color="#6f8fdc")
        .encode(x=x, y=alt.Y("peak_in_use:Q", title="peak in use", axis=alt.Axis(tickMinStep=1)))
    )
    pool = alt.Chart().mark_rule(color=INK, strokeDash=[5, 4]).encode(y=alt.Y("max(pool_size):Q"))
    denied = (
        alt.Chart()
        .transform_filter("datum.denials > 0")
        .mark_circle(color=ALERT, size=26, opacity=1)
        .encode(x=x, y="peak_in_use:Q")
    )
    return (
        alt.layer(peak, pool, denied, data=data)
        .properties(width=WIDTH - 40, height=90)
        .facet(
            row=alt.Row(
                "product:N",
                title=None,
                header=alt.Header(labelAngle=0, labelOrient="top", labelAnchor="start"),
            ),
            spacing=14,
        )
    )


def concurrency_curve(frame: pd.DataFrame, *, products: Sequence[str]) -> alt.Chart:
    """Average hours a day with at least n licences in use, per product (frame: product, n,
    hours)."""
    return (
        alt.Chart(_data(frame))
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "n:Q",
                title="licences in use at the same time (at least n)",
                axis=alt.Axis(tickMinStep=1, format="d"),
            ),
            y=alt.Y("hours:Q", title="hours a day (average)"),
            color=_category_colour("product", products, frame["product"]),
        )
        .properties(width=WIDTH - 260, height=220)
    )
