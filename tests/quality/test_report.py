"""rpt_data_quality and the check outcomes read back from Dagster's event log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.quality.report import (
    BLOCKING_KEY,
    CHECKED_BY_KEY,
    FAILING_ROWS_KEY,
    outcome_records,
    outcomes_from_run,
    write_data_quality_report,
)
from orchestration.defs.quality.suites import CheckOutcome

AS_OF = datetime(2026, 10, 31, 18, tzinfo=UTC)


def test_outcomes_are_read_back_from_the_event_log() -> None:
    @dg.asset(key=["marts", "dim_things"])
    def dim_things() -> None:
        return None

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec("keys", asset=dim_things, blocking=True),
            dg.AssetCheckSpec("row_volume", asset=dim_things, blocking=True),
            dg.AssetCheckSpec("unique_dim_things_id", asset=dim_things, blocking=True),
            dg.AssetCheckSpec("someone_elses", asset=dim_things),
        ]
    )
    def checks():
        yield dg.AssetCheckResult(
            check_name="keys",
            passed=True,
            metadata={CHECKED_BY_KEY: "gx", BLOCKING_KEY: True},
        )
        yield dg.AssetCheckResult(
            check_name="row_volume",
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="3 rows, outside 10..30",
            metadata={CHECKED_BY_KEY: "gx", BLOCKING_KEY: False, FAILING_ROWS_KEY: 0},
        )
        yield dg.AssetCheckResult(
            check_name="unique_dim_things_id",
            passed=False,
            metadata={"unique_id": "test.flexlens.unique_dim_things_id.1", "status": "fail",
                      "dagster_dbt/failed_row_count": 2},
        )  # fmt: skip
        yield dg.AssetCheckResult(check_name="someone_elses", passed=True)

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([dim_things, checks], instance=instance, raise_on_error=False)
        outcomes = outcomes_from_run(instance, result.run_id)
    by_check = {o.check: o for o in outcomes}
    assert [(o.check, o.outcome, o.blocking, o.checked_by, o.failing_rows) for o in outcomes] == [
        ("keys", "passed", True, "gx", None),
        ("row_volume", "warned", False, "gx", None),
        ("someone_elses", "passed", False, "dagster", None),
        ("unique_dim_things_id", "failed", True, "dbt", 2),
    ]
    assert by_check["row_volume"].summary == "3 rows, outside 10..30"
    assert {o.asset for o in outcomes} == {"dim_things"}
    assert outcome_records(outcomes)[1] == {
        "asset": "dim_things",
        "check": "row_volume",
        "checked_by": "gx",
        "blocking": False,
        "outcome": "warned",
        "failing_rows": None,
    }


def test_the_report_counts_quarantined_rows_and_lists_every_check(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema intermediate")
    con.execute("create schema marts")
    con.execute(
        """
        create table intermediate.int_rows_quarantined as select * from (values
            ('usage', 'sessions', 'unknown_product', 'Notepad++', 'usage/s.csv', 83),
            ('usage', 'sessions', 'unknown_product', 'Photoshop', 'usage/s.csv', 12),
            ('usage', 'file', 'unparseable_line', null, 'usage/t.csv', 4),
            ('autodesk', 'assignments', 'missing_required', 'email', 'autodesk/u.csv', 2),
            ('autodesk', 'token_usage', 'missing_required', 'email', 'autodesk/t.csv', 9)
        ) t(source, entity, reason, value, source_file, source_row)
        """
    )
    outcomes = [
        CheckOutcome("fct_sessions", "row_volume", False, False, "3 rows, outside 10..30"),
        CheckOutcome("dim_users", "unique_dim_users_user_key", True, True, "", checked_by="dbt"),
    ]
    for run in ("run-1", "run-2"):  # a second run replaces the first run's rows
        rows = write_data_quality_report(con, run_id=run, as_of=AS_OF, outcomes=outcomes)
    assert rows == 5
    report = con.execute(
        "select run_id, kind, source, reason_or_check, rows, outcome, blocking, checked_by, "
        "entities, example from marts.rpt_data_quality order by kind desc, source, reason_or_check"
    ).fetchall()
    assert report == [
        ("run-2", "quarantine", "autodesk", "missing_required", 2, "quarantined", None,
         "pipeline", "assignments, token_usage", "'email' at autodesk/t.csv row 9"),
        ("run-2", "quarantine", "usage", "unknown_product", 2, "quarantined", None,
         "pipeline", "sessions", "'Photoshop' at usage/s.csv row 12"),
        ("run-2", "quarantine", "usage", "unparseable_line", 1, "quarantined", None,
         "pipeline", "file", "(no value) at usage/t.csv row 4"),
        ("run-2", "check", "dim_users", "unique_dim_users_user_key", None, "passed", True,
         "dbt", None, None),
        ("run-2", "check", "fct_sessions", "row_volume", None, "warned", False,
         "gx", None, "3 rows, outside 10..30"),
    ]  # fmt: skip
