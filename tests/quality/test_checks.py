"""The quality checks on small hand-made marts: what each catches, says, and whether it blocks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.defs.quality import history, suites
from orchestration.defs.quality.rules import plan_checks
from orchestration.defs.quality.suites import CheckOutcome, QualitySettings, run_quality_checks

AS_OF = datetime(2026, 10, 31, 18, 0, tzinfo=UTC)


def _model(name: str, columns: Iterable[str] = (), folder: str = "marts") -> dict[str, Any]:
    return {
        "unique_id": f"model.flexlens.{name}",
        "resource_type": "model",
        "name": name,
        "alias": name,
        "fqn": ["flexlens", folder, "core", name],
        "columns": {column: {"name": column} for column in columns},
        "config": {"enabled": True},
    }


def _test(
    model: str, kind: str, severity: str = "ERROR", where: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    suffix = "_".join(str(v) for v in kwargs.values())
    return {
        "unique_id": f"test.flexlens.{kind}_{model}_{suffix}",
        "resource_type": "test",
        "attached_node": f"model.flexlens.{model}",
        "column_name": kwargs.get("column_name"),
        "test_metadata": {"name": kind, "kwargs": kwargs},
        "config": {"severity": severity, "where": where},
    }


def manifest(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"nodes": {node["unique_id"]: node for node in nodes}}


CORE_MANIFEST = manifest(
    _model("dim_users", ["user_key", "status"]),
    _test("dim_users", "unique", column_name="user_key"),
    _test("dim_users", "not_null", column_name="user_key"),
    _model("fct_sessions", ["session_id", "started_at", "duration_seconds"]),
    _test("fct_sessions", "unique", column_name="session_id"),
    _test("fct_sessions", "non_negative", column_name="duration_seconds"),
    _model("fct_usage_windows"),
    _model("fct_token_ledger", ["order_id", "ledger_date", "tokens_consumed"]),
    _test("fct_token_ledger", "unique_combination", columns=["order_id", "ledger_date"]),
    _model("int_sessions_resolved", ["session_id"], folder="intermediate"),
    _test("int_sessions_resolved", "unique", column_name="session_id"),
)


def _warehouse(tmp_path: Path, statements: Iterable[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema marts")
    for statement in statements:
        con.execute(statement)
    return con


GOOD_MARTS = [
    "create table marts.dim_users as select * from (values ('a@x.org', 'active'), "
    "('b@x.org', 'left')) t(user_key, status)",
    "create table marts.fct_sessions as select * from (values "
    "('s1', timestamptz '2026-10-31 09:00:00+00', 60), "
    "('s2', timestamptz '2026-10-30 09:00:00+00', 0)) t(session_id, started_at, duration_seconds)",
    "create table marts.fct_usage_windows as select * from (values "
    "('a@x.org', 'launch', 'charged', 7, 7), ('a@x.org', 'renewal', 'grace', 7, 0), "
    "('b@x.org', 'launch', 'rate_unknown', null, null)) "
    "t(user_key, opened_by, charge_status, tokens_per_day, tokens_charged)",
    "create table marts.fct_token_ledger as select * from (values "
    "('o1', date '2026-10-30', 3, 0, 97), ('o1', date '2026-10-31', 4, 0, 93)) "
    "t(order_id, ledger_date, tokens_consumed, tokens_expired, tokens_remaining)",
]


@pytest.fixture(params=["gx", "duckdb"])
def evaluator(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every check test runs twice: with GX on a DataFrame (small marts) and with the DuckDB SQL
    evaluator (marts over GX_MAX_ROWS rows); both must give the same outcomes and summaries."""
    if request.param == "duckdb":
        monkeypatch.setattr(suites, "GX_MAX_ROWS", -1)
    return request.param


def _run(
    con: duckdb.DuckDBPyConnection,
    plan_manifest: dict[str, Any] = CORE_MANIFEST,
    *,
    as_of: datetime = AS_OF,
    settings: QualitySettings | None = None,
) -> dict[tuple[str, str], CheckOutcome]:
    outcomes = run_quality_checks(
        con,
        plan_checks(plan_manifest),
        as_of=as_of,
        run_id=f"run-{as_of:%Y%m%d%H}",
        settings=settings or QualitySettings(),
    )
    return {(o.asset, o.check): o for o in outcomes}


def test_plan_follows_the_manifest_and_the_contract() -> None:
    plan = plan_checks(
        manifest(
            *CORE_MANIFEST["nodes"].values(),
            # a warn-severity dbt test and a filtered one are left to dbt alone
            _test("dim_users", "unique", severity="warn", column_name="status"),
            _test("dim_users", "not_null", where="status = 'active'", column_name="status"),
        )
    )
    checks = {(c.mart, c.name): c for c in plan.checks}
    assert sorted(checks) == [
        ("dim_users", "accepted_values"),
        ("dim_users", "keys"),
        ("dim_users", "row_volume"),
        ("fct_sessions", "keys"),
        ("fct_sessions", "non_negative"),
        ("fct_sessions", "row_volume"),
        ("fct_sessions", "sessions_fresh"),
        ("fct_token_ledger", "keys"),
        ("fct_token_ledger", "non_negative"),
        ("fct_token_ledger", "row_volume"),
        ("fct_token_ledger", "tokens_match_usage_windows"),
        ("fct_usage_windows", "accepted_values"),
        ("fct_usage_windows", "non_negative"),
        ("fct_usage_windows", "row_volume"),
    ]
    blocking = {key for key, check in checks.items() if check.blocking}
    assert {key for key in checks if key[1] in ("row_volume", "sessions_fresh")}.isdisjoint(
        blocking
    )
    assert ("fct_token_ledger", "tokens_match_usage_windows") in blocking
    assert checks[("fct_token_ledger", "tokens_match_usage_windows")].additional_marts == (
        "fct_usage_windows",
    )
    users = plan.marts["dim_users"]
    assert users.unique == ["user_key"] and users.not_null == ["user_key"]
    assert users.accepted_values == [("status", ("active", "left"))]
    assert plan.marts["fct_token_ledger"].unique_combinations == [("order_id", "ledger_date")]
    # documented token columns, non_negative tests and the contract's token columns
    assert plan.marts["fct_token_ledger"].non_negative == [
        "tokens_consumed",
        "tokens_expired",
        "tokens_remaining",
    ]
    assert plan.marts["fct_sessions"].non_negative == ["duration_seconds"]
    assert "int_sessions_resolved" not in plan.marts


def test_the_token_equality_needs_both_marts() -> None:
    without_ledger = manifest(_model("fct_usage_windows"), _model("dim_users"))
    assert "tokens_match_usage_windows" not in {c.name for c in plan_checks(without_ledger).checks}


def test_clean_marts_pass_every_check(tmp_path: Path, evaluator: str) -> None:
    con = _warehouse(tmp_path, GOOD_MARTS)
    outcomes = _run(con)
    assert {key: o.outcome for key, o in outcomes.items() if o.outcome != "passed"} == {}
    assert {o.checked_by for o in outcomes.values()} == {evaluator}
    assert outcomes[("dim_users", "keys")].summary == "2 expectations met on 2 rows"
    assert outcomes[("fct_token_ledger", "tokens_match_usage_windows")].summary == (
        "7 tokens on both sides"
    )
    assert outcomes[("fct_sessions", "sessions_fresh")].summary == (
        "newest started_at is 9.0 h before the as-of, within the 72 h limit"
    )
    assert outcomes[("dim_users", "row_volume")].summary == "2 rows; no earlier run to compare with"


def test_duplicate_and_null_keys_block_naming_column_and_example(
    tmp_path: Path, evaluator: str
) -> None:
    con = _warehouse(tmp_path, GOOD_MARTS)
    con.execute("insert into marts.dim_users values ('a@x.org', 'left'), (null, 'active')")
    outcome = _run(con)[("dim_users", "keys")]
    assert (outcome.passed, outcome.blocking, outcome.outcome) == (False, True, "failed")
    assert outcome.summary == (
        "user_key: 2 rows sharing a value with another row (e.g. 'a@x.org'); user_key: 1 null value"
    )
    assert outcome.failing_rows == 3


def test_compound_keys_are_checked_together(tmp_path: Path, evaluator: str) -> None:
    con = _warehouse(tmp_path, GOOD_MARTS)
    con.execute("insert into marts.fct_token_ledger values ('o1', date '2026-10-31', 0, 0, 93)")
    outcome = _run(con)[("fct_token_ledger", "keys")]
    assert not outcome.passed
    assert outcome.summary == (
        "(order_id, ledger_date): 2 rows sharing a combination with another row"
    )


def test_a_status_outside_the_contract_blocks(tmp_path: Path, evaluator: str) -> None:
    con = _warehouse(tmp_path, GOOD_MARTS)
    con.execute("insert into marts.dim_users values ('c@x.org', 'retired')")
    con.execute(
        "update marts.fct_usage_windows set charge_status = 'free' where opened_by = 'renewal'"
    )
    outcomes = _run(con)
    assert outcomes[("dim_users", "accepted_values")].summary == (
        "status: 1 value outside [active, left] (e.g. 'retired')"
    )
    windows = outcomes[("fct_usage_windows", "accepted_values")]
    assert windows.outcome == "failed"
    assert windows.summary == (
        "charge_status: 1 value outside [charged, grace, covered_by_subscription, rate_unknown]"
        " (e.g. 'free')"
    )


def test_negative_tokens_block(tmp_path: Path, evaluator: str) -> None:
    con = _warehouse(tmp_path, GOOD_MARTS)
    con.execute(
        "update marts.fct_usage_windows set tokens_charged = -7 where charge_status = 'charged'"
    )
    outcomes = _run(con)
    negative = outcomes[("fct_usage_windows", "non_negative")]
    assert (negative.outcome, negative.failing_rows) == ("failed", 1)
    assert negative.summary == "tokens_charged: 1 negative value (e.g. -7.0)"
    # ledger 7 tokens, windows now -7: the equality fails too
    match = outcomes[("fct_token_ledger", "tokens_match_usage_windows")]
    assert match.outcome == "failed"
    assert match.summary == ("tokens_consumed sums to 7, fct_usage_windows.tokens_charged to -7")


def test_ledger_tokens_must_equal_window_tokens(tmp_path: Path, evaluator: str) -> None:
    con = _warehouse(tmp_path, GOOD_MARTS)
    con.execute(
        "update marts.fct_token_ledger set tokens_consumed = 10 where ledger_date = '2026-10-31'"
    )
    outcome = _run(con)[("fct_token_ledger", "tokens_match_usage_windows")]
    assert (outcome.passed, outcome.blocking) == (False, True)
    assert outcome.summary == ("tokens_consumed sums to 13, fct_usage_windows.tokens_charged to 7")


def test_stale_sessions_warn_without_blocking(tmp_path: Path, evaluator: str) -> None:
    con = _warehouse(tmp_path, GOOD_MARTS)
    outcome = _run(con, as_of=AS_OF + timedelta(hours=71))[("fct_sessions", "sessions_fresh")]
    assert (outcome.passed, outcome.blocking, outcome.outcome) == (False, False, "warned")
    assert outcome.summary == "newest started_at is 80.0 h before the as-of, beyond the 72 h limit"
    tighter = _run(con, settings=QualitySettings(freshness_limit_hours=8))
    assert tighter[("fct_sessions", "sessions_fresh")].outcome == "warned"
    con.execute("delete from marts.fct_sessions")
    empty = _run(con)[("fct_sessions", "sessions_fresh")]
    assert empty.outcome == "warned"
    assert empty.summary == "no started_at at all: nothing newer than 72 h before the as-of"


def test_volume_is_judged_against_the_median_of_earlier_runs(
    tmp_path: Path, evaluator: str
) -> None:
    con = _warehouse(tmp_path, GOOD_MARTS)
    day = timedelta(days=1)
    # three earlier days: dim_users had 2, 3 and 4 rows (median 3; band 50% = 2..4)
    for offset, rows in ((3, 2), (2, 3), (1, 100)):
        history.record_counts(
            con, as_of=AS_OF - offset * day, run_id="old", counts={"dim_users": rows}
        )
    settings = QualitySettings(volume_history_runs=2)
    # the two latest earlier runs: 3 and 100 rows, median 51.5, band 26..77: 2 rows is too few
    outcome = _run(con, settings=settings)[("dim_users", "row_volume")]
    assert (outcome.outcome, outcome.blocking) == ("warned", False)
    assert outcome.summary == "2 rows, outside 26..77 (median 51.5 of 2 earlier runs)"
    # this run was recorded once; re-running the same as-of replaces it, never adds
    _run(con, settings=settings)
    assert con.execute(
        "select count(*) from quality.mart_row_counts where mart = 'dim_users' and as_of = ?",
        [AS_OF],
    ).fetchone() == (1,)
    # a day later, the three latest earlier runs are 3, 100 and 2 rows: median 3, band 2..4
    later = _run(con, as_of=AS_OF + day, settings=QualitySettings(volume_history_runs=3))
    assert later[("dim_users", "row_volume")].summary == "2 rows; median 3 of 3 earlier runs"
    assert later[("dim_users", "row_volume")].passed


def test_a_missing_mart_or_column_fails_its_checks(tmp_path: Path, evaluator: str) -> None:
    con = _warehouse(tmp_path, GOOD_MARTS)
    con.execute("drop table marts.dim_users")
    con.execute("alter table marts.fct_token_ledger drop column tokens_remaining")
    outcomes = _run(con)
    assert outcomes[("dim_users", "keys")].summary == "table marts.dim_users not found"
    assert outcomes[("dim_users", "keys")].outcome == "failed"
    assert outcomes[("dim_users", "row_volume")].outcome == "warned"
    ledger = outcomes[("fct_token_ledger", "non_negative")]
    assert ledger.summary == "column tokens_remaining not found in marts.fct_token_ledger"
    assert ledger.outcome == "failed"


def test_a_check_that_cannot_be_evaluated_fails_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = _warehouse(tmp_path, GOOD_MARTS)
    validate = suites._validate

    def broken_for_users(context, gx, mart, expectations, frame):
        if mart == "dim_users":
            raise RuntimeError("metric provider exploded\nlong traceback")
        return validate(context, gx, mart, expectations, frame)

    monkeypatch.setattr(suites, "_validate", broken_for_users)
    outcomes = _run(con)
    keys = outcomes[("dim_users", "keys")]
    assert keys.outcome == "failed"
    assert keys.summary == (
        "unique on user_key not evaluated: metric provider exploded; "
        "not_null on user_key not evaluated: metric provider exploded"
    )
    # the other marts' checks are unaffected
    assert outcomes[("fct_sessions", "keys")].outcome == "passed"


def test_gx_exception_messages_are_found_where_gx_puts_them() -> None:
    nested = {
        "MetricConfigurationID(column_values.unique)": {
            "raised_exception": True,
            "exception_message": "KeyError: 'user_key'\nmore",
        }
    }
    assert suites._exception_message(nested) == "KeyError: 'user_key'"
    assert suites._exception_message({"raised_exception": False}) is None


def test_duckdb_evaluator_agrees_with_gx_on_awkward_values(tmp_path: Path) -> None:
    """Nulls, NaN, repeated nulls, partly null compound keys, negatives, values outside the set:
    the SQL evaluator finds the same failing rows, examples and aggregates as GX."""
    con = _warehouse(
        tmp_path,
        [
            "create table marts.awkward as select * from (values "
            "('k1', 'a', 1, 'x', 2.5::double), ('k1', 'a', 1, 'y', -1.0), "
            "('k2', null, null, 'z', 'nan'), (null, null, null, 'x', null), "
            "(null, 'b', null, null, -3.0), "
            "('k3', 'b', null, 'bad', 4.0), ('k4', 'b', null, 'worse', 'nan')) "
            "t(k, part_a, part_b, status, tokens)",
            "alter table marts.awkward alter tokens type double",
        ],
    )
    E = suites._Expectation
    expectations = [
        E("keys", "unique", ("k",)),
        E("keys", "not_null", ("k",)),
        E("keys", "not_null", ("tokens",)),
        E("keys", "compound_unique", ("part_a", "part_b")),
        E("keys", "compound_unique", ("k", "status")),
        E("accepted_values", "in_set", ("status",), {"value_set": ["x", "y", "z"]}),
        E("accepted_values", "in_set", ("status",), {"value_set": []}),
        E("non_negative", "min_zero", ("tokens",), {"min_value": 0}),
        E("row_volume", "row_count", (), {"min_value": 1, "max_value": 6}),
        E("tokens", "sum_equals", ("tokens",), {"min_value": 2.5, "max_value": 2.5}),
    ]
    present = suites._mart_columns(con)["awkward"]
    frame = con.execute(suites._frame_sql("awkward", expectations)).df()
    gx = suites._gx()
    by_gx = suites._validate(suites._gx_context(gx), gx, "awkward", expectations, frame)
    by_sql = suites._evaluate_in_duckdb(con, "awkward", expectations, present)

    def essentials(results: list[tuple[Any, bool, dict[str, Any]]]) -> list[tuple[Any, ...]]:
        """What the summaries use: outcome, failing rows, first example (of the checks whose
        summary names one), observed value."""
        named = ("unique", "in_set", "min_zero")
        return [
            (
                e.kind,
                e.columns,
                success,
                result.get("unexpected_count"),
                (result.get("partial_unexpected_list") or [None])[0] if e.kind in named else None,
                None if result.get("observed_value") is None else float(result["observed_value"]),
            )
            for e, success, result in results
        ]

    assert essentials(by_sql) == essentials(by_gx)
    # and what they agree on is right
    assert [(success, r.get("unexpected_count")) for _, success, r in by_sql] == [
        (False, 2),  # k1 twice; the two nulls are not values
        (False, 2),
        (False, 3),  # null and two NaN
        (False, 5),  # (a, 1) twice, (b, null) three times; the two (null, null) rows ignored
        (True, 0),
        (False, 2),
        (False, 6),
        (False, 2),
        (False, None),
        (True, None),
    ]


def test_a_mart_the_duckdb_evaluator_cannot_check_fails_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = _warehouse(tmp_path, GOOD_MARTS)
    monkeypatch.setattr(suites, "GX_MAX_ROWS", -1)
    # a value list of numbers for a text column: DuckDB cannot compare them, so the check fails
    broken = plan_checks(CORE_MANIFEST)
    broken.marts["dim_users"].accepted_values = [("status", (1, 2))]
    outcomes = {
        (o.asset, o.check): o
        for o in run_quality_checks(
            con, broken, as_of=AS_OF, run_id="r", settings=QualitySettings()
        )
    }
    values = outcomes[("dim_users", "accepted_values")]
    assert (values.outcome, values.checked_by) == ("failed", "duckdb")
    assert values.summary.startswith("in_set on status not evaluated: Conversion Error")
    # one scan answers the mart's checks, so its other checks fail too; other marts do not
    assert outcomes[("dim_users", "keys")].outcome == "failed"
    assert outcomes[("fct_sessions", "keys")].outcome == "passed"
