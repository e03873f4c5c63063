"""`rpt_data_quality`: what a run left out and why, and how every check came out.

One row per run x source x reason for the quarantine (``kind = 'quarantine'``: the rows of
``intermediate.int_rows_quarantined``, counted, with one example), and one row per check
(``kind = 'check'``: every dbt test and every Great Expectations check of the run, with its
outcome). Written into the ``marts`` schema after the checks, so it is exported like any mart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from orchestration.defs.quality.suites import CheckOutcome

if TYPE_CHECKING:
    import dagster as dg

REPORT_TABLE = "marts.rpt_data_quality"
QUARANTINE_TABLE = "intermediate.int_rows_quarantined"
MAX_EXAMPLE = 300

REPORT_COLUMNS: dict[str, str] = {
    "run_id": "varchar",
    "as_of": "timestamp with time zone",
    "kind": "varchar",
    "source": "varchar",
    "reason_or_check": "varchar",
    "rows": "bigint",
    "outcome": "varchar",
    "blocking": "boolean",
    "checked_by": "varchar",
    "entities": "varchar",
    "example": "varchar",
}

# metadata keys the flexlens checks attach to their Dagster results
CHECKED_BY_KEY = "flexlens/checked_by"
BLOCKING_KEY = "flexlens/blocking"
FAILING_ROWS_KEY = "flexlens/failing_rows"
DBT_FAILED_ROWS_KEY = "dagster_dbt/failed_row_count"


def outcomes_from_run(instance: dg.DagsterInstance, run_id: str) -> list[CheckOutcome]:
    """Every check evaluated in a run, as recorded in Dagster's event log (the last evaluation
    of each check wins): asset check evaluations, and the dbt tests that dagster-dbt can only
    log as observations (singular tests that read several models)."""
    from dagster import DagsterEventType

    latest: dict[tuple[str, str], CheckOutcome] = {}
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        evaluation = event.asset_check_evaluation_data
        outcome = _outcome_of(evaluation)
        latest[(outcome.asset, outcome.check)] = outcome
    for outcome in _observed_dbt_tests(instance, run_id):
        latest.setdefault((outcome.asset, outcome.check), outcome)
    return [latest[key] for key in sorted(latest)]


def _test_severities() -> dict[str, str]:
    """dbt test unique id -> configured severity (lower case), from the project's manifest."""
    from orchestration.defs.quality.rules import load_manifest
    from orchestration.defs.transform.project import dbt_project

    path = Path(dbt_project().manifest_path)
    if not path.exists():
        return {}
    return {
        unique_id: str(node.get("config", {}).get("severity") or "error").lower()
        for unique_id, node in load_manifest(path)["nodes"].items()
        if node["resource_type"] == "test"
    }


def _observed_dbt_tests(instance: dg.DagsterInstance, run_id: str) -> list[CheckOutcome]:
    from dagster import DagsterEventType

    tests: dict[str, dict[str, Any]] = {}
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_OBSERVATION)
    for record in records.records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        observation = event.asset_observation_data.asset_observation
        metadata = dict(observation.metadata or {})
        unique_id = str(_metadata_value(metadata, "unique_id") or "")
        if not unique_id.startswith("test."):
            continue
        test = tests.setdefault(unique_id, {"assets": set(), "metadata": metadata})
        test["assets"].add(observation.asset_key.path[-1])
    if not tests:
        return []
    severities = _test_severities()
    outcomes = []
    for unique_id, test in tests.items():
        status = str(_metadata_value(test["metadata"], "status") or "").lower()
        failing = _metadata_value(test["metadata"], DBT_FAILED_ROWS_KEY)
        passed = status == "pass"
        outcomes.append(
            CheckOutcome(
                asset=", ".join(sorted(test["assets"]))[:200],
                check=unique_id.split(".")[2],
                passed=passed,
                blocking=status != "warn" and severities.get(unique_id, "error") == "error",
                summary="" if passed else f"dbt test status {status or 'unknown'}",
                failing_rows=int(failing) if failing else None,
                checked_by="dbt",
            )
        )
    return outcomes


def _metadata_value(metadata: dict[str, Any], key: str) -> Any:
    value = metadata.get(key)
    return getattr(value, "value", value)


def _outcome_of(evaluation: Any) -> CheckOutcome:
    from dagster import AssetCheckSeverity

    metadata = dict(evaluation.metadata or {})
    checked_by = _metadata_value(metadata, CHECKED_BY_KEY)
    if not checked_by:
        # dagster-dbt puts the test's unique id on its results; other checks are Dagster's own
        unique_id = str(_metadata_value(metadata, "unique_id") or "")
        checked_by = "dbt" if unique_id.startswith("test.") else "dagster"
    failing = _metadata_value(metadata, FAILING_ROWS_KEY)
    if failing is None:
        failing = _metadata_value(metadata, DBT_FAILED_ROWS_KEY)
    failing = int(failing) if failing else None
    declared = _metadata_value(metadata, BLOCKING_KEY)
    if not evaluation.passed:
        # the severity of a failed result decides: a dbt `severity: warn` test reports WARN
        blocking = evaluation.severity == AssetCheckSeverity.ERROR
    elif declared is not None:
        blocking = bool(declared)
    elif evaluation.blocking is not None:
        blocking = bool(evaluation.blocking)
    else:
        blocking = evaluation.severity == AssetCheckSeverity.ERROR
    return CheckOutcome(
        asset=evaluation.asset_key.path[-1],
        check=evaluation.check_name,
        passed=bool(evaluation.passed),
        blocking=blocking,
        summary=evaluation.description or "",
        failing_rows=failing,
        checked_by=str(checked_by),
    )


def outcome_records(outcomes: Sequence[CheckOutcome]) -> list[dict[str, Any]]:
    """Check outcomes as plain dicts (manifest.json)."""
    return [
        {
            "asset": outcome.asset,
            "check": outcome.check,
            "checked_by": outcome.checked_by,
            "blocking": outcome.blocking,
            "outcome": outcome.outcome,
            "failing_rows": outcome.failing_rows,
        }
        for outcome in sorted(outcomes, key=lambda o: (o.asset, o.check))
    ]


def _table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, table = qualified.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def write_data_quality_report(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    as_of: datetime,
    outcomes: Sequence[CheckOutcome],
) -> int:
    """Replace marts.rpt_data_quality with this run's rows; returns how many."""
    columns = ", ".join(f"{name} {kind}" for name, kind in REPORT_COLUMNS.items())
    con.execute(f"create or replace table {REPORT_TABLE} ({columns})")
    if _table_exists(con, QUARANTINE_TABLE):
        con.execute(
            f"""
            insert into {REPORT_TABLE}
            with numbered as (
                select
                    coalesce(source, 'unknown') as source,
                    coalesce(reason, 'unknown') as reason,
                    entity,
                    value,
                    source_file,
                    source_row,
                    row_number() over (
                        partition by coalesce(source, 'unknown'), coalesce(reason, 'unknown')
                        order by source_file, source_row, value
                    ) as position
                from {QUARANTINE_TABLE}
            ),
            grouped as (
                select
                    source,
                    reason,
                    count(*) as row_count,
                    string_agg(distinct entity, ', ' order by entity) as entities
                from numbered
                group by source, reason
            ),
            examples as (
                select
                    source,
                    reason,
                    left(
                        coalesce('''' || value || '''', '(no value)')
                        || coalesce(' at ' || source_file, '')
                        || coalesce(' row ' || cast(source_row as varchar), ''),
                        {MAX_EXAMPLE}
                    ) as example
                from numbered
                where position = 1
            )
            select
                ?, ?, 'quarantine', grouped.source, grouped.reason, grouped.row_count,
                'quarantined', null, 'pipeline', grouped.entities, examples.example
            from grouped
            inner join examples
                on grouped.source = examples.source and grouped.reason = examples.reason
            order by grouped.source, grouped.reason
            """,
            [run_id, as_of],
        )
    rows = [
        [
            run_id,
            as_of,
            "check",
            outcome.asset,
            outcome.check,
            outcome.failing_rows,
            outcome.outcome,
            outcome.blocking,
            outcome.checked_by,
            None,
            outcome.summary[:MAX_EXAMPLE] or None,
        ]
        for outcome in sorted(outcomes, key=lambda o: (o.asset, o.check))
    ]
    if rows:
        placeholders = ", ".join("?" for _ in REPORT_COLUMNS)
        con.executemany(f"insert into {REPORT_TABLE} values ({placeholders})", rows)
    return int(con.execute(f"select count(*) from {REPORT_TABLE}").fetchone()[0])
