"""The oracle itself, on the rules' own examples (flex-rules.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.billing.rules_model import Coverage, Rate, Session, daily_usage, usage_windows

RATES = [
    Rate("AutoCAD", 6, date(2021, 9, 7), date(2022, 12, 31)),
    Rate("AutoCAD", 7, date(2023, 1, 1), None),
    Rate("Revit", 10, date(2021, 9, 7), None),
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def session(sid: str, product: str, start: str, end: str, host: str = "H1") -> Session:
    return Session(sid, "u", product, host, at(start), at(end), active_seconds=None)


def test_autodesk_example_two_charges_second_at_tuesday_0800() -> None:
    windows = usage_windows(
        [
            session("mon", "AutoCAD", "2026-03-02 08:00", "2026-03-02 17:00"),
            session("tue", "AutoCAD", "2026-03-03 07:00", "2026-03-03 17:00"),
        ],
        RATES,
        [],
    )
    assert [(w.window_start_at, w.opened_by, w.tokens_charged) for w in windows] == [
        (at("2026-03-02 08:00"), "launch", 7),
        (at("2026-03-03 08:00"), "renewal", 7),
    ]
    assert [len(w.sessions) for w in windows] == [2, 1]


def test_each_product_is_charged_and_grace_opens_nothing() -> None:
    windows = usage_windows(
        [
            session("a", "AutoCAD", "2026-03-02 09:00", "2026-03-02 09:03"),
            session("b", "AutoCAD", "2026-03-02 09:10", "2026-03-02 10:00"),
            session("r", "Revit", "2026-03-02 09:30", "2026-03-02 09:40", host="H2"),
        ],
        RATES,
        [],
    )
    assert [(w.product, w.charge_status, w.tokens_charged) for w in windows] == [
        ("AutoCAD", "grace", 0),
        ("AutoCAD", "charged", 7),
        ("Revit", "charged", 10),
    ]


def test_coverage_ends_the_day_before_unassignment_and_unknown_rates_are_null() -> None:
    windows = usage_windows(
        [
            session("a", "AutoCAD", "2026-03-01 10:00", "2026-03-01 11:00"),
            session("b", "AutoCAD", "2026-03-02 12:00", "2026-03-02 13:00"),
            session("c", "Civil 3D", "2026-03-02 12:00", "2026-03-02 13:00"),
        ],
        RATES,
        [Coverage("u", "AutoCAD", "named", "AEC Collection", None, date(2026, 3, 2))],
    )
    assert [(w.charge_status, w.tokens_per_day, w.tokens_charged) for w in windows] == [
        ("covered_by_subscription", 7, 0),
        ("charged", 7, 7),
        ("rate_unknown", None, None),
    ]


def test_local_day_of_a_dst_change_lasts_25_hours() -> None:
    s = session("s", "Revit", "2026-10-24 23:00", "2026-10-26 00:00")
    days = daily_usage([s], usage_windows([s], RATES, []), "Europe/London")
    assert days[("u", "Revit", date(2026, 10, 25))].open_seconds == 25 * 3600
