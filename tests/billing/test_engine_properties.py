"""Property test: the real dbt billing models, run on DuckDB, against the plain model of the rules.

Each example is a batch of 15-30 generated people (distinct user_keys) sharing one run (anchor
near a DST change, organisation time zone, rate table with a change, as-of time): the batch is
loaded, the billing models and their data tests are built once with dbt, and every window of
fct_usage_windows and every day of fct_daily_usage is compared with tests/billing/rules_model.py.
The dbt build also runs tests/assert_usage_window_engines_agree.sql (numpy engine = SQL twin on
the same data) and the invariants (no overlap, tokens = rate, daily = windows).

FLEXLENS_BILLING_EXAMPLES sets the number of batches (default 6).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.billing.harness import BillingInputs, BillingWarehouse, node_statuses
from tests.billing.rules_model import daily_usage, usage_windows
from tests.billing.strategies import billing_batches

EXAMPLES = int(os.environ.get("FLEXLENS_BILLING_EXAMPLES", "6"))


@pytest.fixture(scope="module")
def numpy_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BillingWarehouse]:
    yield BillingWarehouse(tmp_path_factory.mktemp("billing_numpy"))


@pytest.fixture(scope="module")
def sql_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BillingWarehouse]:
    yield BillingWarehouse(tmp_path_factory.mktemp("billing_sql"))


def check_against_rules(warehouse: BillingWarehouse, batch: dict[str, Any]) -> None:
    inputs = BillingInputs(**batch)  # type: ignore[arg-type]
    expected = usage_windows(inputs.sessions, inputs.rates, inputs.coverage)
    expected_days = daily_usage(inputs.sessions, expected, inputs.timezone)

    got = {
        (r["user_key"], r["product"], r["window_start_at"].astimezone(UTC)): r
        for r in warehouse.rows("select * from marts.fct_usage_windows")
    }
    want = {(w.user_key, w.product, w.window_start_at.astimezone(UTC)): w for w in expected}
    assert sorted(got) == sorted(want)
    resolved = {s.user_key: s.is_identity_resolved for s in inputs.sessions}
    for key, w in want.items():
        row = got[key]
        actual = (
            row["window_end_at"].astimezone(UTC),
            row["usage_date"],
            row["opened_by"],
            row["charge_status"],
            row["tokens_per_day"],
            row["tokens_charged"],
            row["sessions"],
            row["hosts"],
            row["open_seconds"],
            row["is_mostly_idle"],
            row["is_avoidable"],
            row["is_renewal"],
            row["is_identity_resolved"],
        )
        wanted = (
            w.window_end_at.astimezone(UTC),
            w.usage_date,
            w.opened_by,
            w.charge_status,
            w.tokens_per_day,
            w.tokens_charged,
            len(w.sessions),
            w.hosts,
            w.open_seconds,
            w.is_mostly_idle,
            w.is_avoidable,
            w.opened_by == "renewal",
            resolved[w.user_key],
        )
        assert actual == wanted, key
        assert _close(row["active_seconds"], w.active_seconds), key

    days = {
        (r["user_key"], r["product"], r["usage_date_local"]): r
        for r in warehouse.rows("select * from marts.fct_daily_usage")
    }
    assert sorted(days) == sorted(expected_days)
    for key, d in expected_days.items():
        row = days[key]
        assert (row["sessions"], row["tokens_charged"], row["windows_charged"]) == (
            d.sessions,
            d.tokens_charged,
            d.windows_charged,
        ), key
        assert abs(float(row["hours_open"]) * 3600 - d.open_seconds) < 0.01, key
        hours_active = None if row["hours_active"] is None else float(row["hours_active"]) * 3600
        assert _close(hours_active, d.active_seconds, tolerance=0.01), key


def _close(a: float | None, b: float | None, tolerance: float = 1e-6) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= tolerance


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=billing_batches())
def test_numpy_engine_matches_the_rules(
    numpy_warehouse: BillingWarehouse, batch: dict[str, Any]
) -> None:
    numpy_warehouse.load(BillingInputs(**batch))
    statuses = numpy_warehouse.build(variables={"billing_check_engines": True})
    assert statuses["int_usage_windows_numpy"] == "success"
    assert statuses["assert_usage_window_engines_agree"] == "pass"
    for invariant in (
        "assert_usage_windows_never_overlap",
        "assert_usage_windows_cost_their_rate",
        "assert_daily_usage_agrees_with_windows",
        "assert_daily_usage_one_row_per_day",
    ):
        assert statuses[invariant] == "pass", invariant
    check_against_rules(numpy_warehouse, batch)


@settings(
    max_examples=max(1, EXAMPLES // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=billing_batches())
def test_sql_engine_matches_the_rules(
    sql_warehouse: BillingWarehouse, batch: dict[str, Any]
) -> None:
    """The portable SQL engine (recursive chain) as the engine, as on PostgreSQL or Spark."""
    sql_warehouse.load(BillingInputs(**batch))
    statuses = sql_warehouse.build(variables={"billing_engine": "sql"})
    assert statuses["int_usage_intervals_chained"] == "success"
    assert statuses["int_usage_windows_sql"] == "success"
    check_against_rules(sql_warehouse, batch)


def test_billing_unit_tests_pass(tmp_path: Path) -> None:
    """The dbt unit tests of the billing models (one per rule, see the _models.yml files)."""
    warehouse = BillingWarehouse(tmp_path)
    as_of = datetime(2026, 3, 31, tzinfo=UTC)
    warehouse.load(BillingInputs(sessions=[], rates=[], coverage=[], as_of=as_of))
    warehouse.build(unit_tests=True)
    unit_tests = node_statuses(warehouse.last_result, "unit_test")
    assert len(unit_tests) >= 15, unit_tests
    assert set(unit_tests.values()) == {"pass"}, unit_tests
    # no sessions: the engine still builds, empty
    assert warehouse.rows("select count(*) as n from marts.fct_usage_windows") == [{"n": 0}]
