"""Run the real billing dbt models on a scratch DuckDB warehouse.

The billing models read four upstream relations (fct_sessions, int_token_rates_effective,
int_subscription_coverage, stg_run__context; dim_users for a relationship test). The harness
writes those as plain tables, then runs only the billing models and their data tests with dbt
(in-process, so parse results are reused between runs), and reads the marts back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from tests.billing.rules_model import Coverage, Rate, Session

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
BILLING_SELECTION = ("path:models/intermediate/billing", "path:models/marts/billing")


@dataclass
class BillingInputs:
    sessions: list[Session]
    rates: list[Rate]
    coverage: list[Coverage]
    as_of: datetime
    timezone: str = "UTC"
    users: list[str] = field(default_factory=list)


class BillingWarehouse:
    """A scratch warehouse plus a dbt invocation of the billing models against it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.path = workdir / "billing.duckdb"
        self.target = workdir / "target"
        self.logs = workdir / "logs"
        self.last_result: Any = None

    def load(self, inputs: BillingInputs) -> None:
        """Replace the upstream relations with `inputs`."""
        users = sorted({s.user_key for s in inputs.sessions} | set(inputs.users))
        with duckdb.connect(str(self.path)) as con:
            con.execute("set TimeZone = 'UTC'")
            for schema in ("marts", "intermediate", "staging"):
                con.execute(f"create schema if not exists {schema}")
            con.execute(
                """
                create or replace table marts.fct_sessions (
                    session_id varchar, user_key varchar, product varchar, host varchar,
                    started_at timestamptz, ended_at timestamptz, duration_seconds bigint,
                    active_seconds bigint, is_open_at_as_of boolean,
                    is_identity_resolved boolean, login varchar, product_reported varchar
                )
                """
            )
            _insert_many(
                con,
                "insert into marts.fct_sessions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        s.session_id,
                        s.user_key,
                        s.product,
                        s.host,
                        s.started_at,
                        s.ended_at,
                        s.seconds,
                        s.active_seconds,
                        s.is_open_at_as_of,
                        s.is_identity_resolved,
                        s.user_key,
                        s.product,
                    )
                    for s in inputs.sessions
                ],
            )
            con.execute(
                """
                create or replace table intermediate.int_token_rates_effective (
                    product varchar, tokens_per_day integer, effective_from date,
                    effective_to date, rate_source varchar, confidence varchar
                )
                """
            )
            _insert_many(
                con,
                "insert into intermediate.int_token_rates_effective"
                " values (?, ?, ?, ?, 'test', 'test')",
                [
                    (r.product, r.tokens_per_day, r.effective_from, r.effective_to)
                    for r in inputs.rates
                ],
            )
            con.execute(
                """
                create or replace table intermediate.int_subscription_coverage (
                    user_key varchar, product varchar, covered_by varchar,
                    via_collection varchar, covered_from date, covered_until date
                )
                """
            )
            _insert_many(
                con,
                "insert into intermediate.int_subscription_coverage values (?, ?, ?, ?, ?, ?)",
                [
                    (c.user_key, c.product, c.covered_by, c.via_collection)
                    + (c.covered_from, c.covered_until)
                    for c in inputs.coverage
                ],
            )
            con.execute(
                """
                create or replace table staging.stg_run__context as
                select 'test' as run_id, cast(? as timestamptz) as as_of,
                    cast(? as date) as as_of_date, cast(? as varchar) as org_timezone
                """,
                [inputs.as_of, inputs.as_of.astimezone(UTC).date(), inputs.timezone],
            )
            con.execute("create or replace table marts.dim_users (user_key varchar)")
            _insert_many(con, "insert into marts.dim_users values (?)", [(u,) for u in users])

    def dbt(self, *args: str, variables: dict[str, Any] | None = None) -> Any:
        """Invoke dbt in-process on this warehouse; returns the dbtRunnerResult."""
        from dbt.cli.main import dbtRunner

        os.environ["FLEXLENS_WAREHOUSE"] = str(self.path)
        os.environ["DO_NOT_TRACK"] = "1"
        base = [
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(self.target),
            "--log-path",
            str(self.logs),
            "--quiet",
        ]
        if variables:
            base += ["--vars", json.dumps(variables)]
        command, *rest = args
        return dbtRunner().invoke([command, *base, *rest])

    def build(
        self, *, unit_tests: bool = False, variables: dict[str, Any] | None = None
    ) -> dict[str, str]:
        """dbt build of the billing models and their data tests. Raises on any error or failed
        test; returns {node name: status} of every node run (warnings included)."""
        # cautious: only tests whose parents are all billing models (other marts' tests that read
        # fct_usage_windows need models this scratch warehouse does not have)
        args = ["build", "--select", *BILLING_SELECTION, "--indirect-selection", "cautious"]
        if not unit_tests:
            args += ["--exclude", "test_type:unit"]
        result = self.dbt(*args, variables=variables)
        self.last_result = result
        statuses = node_statuses(result)
        failures = {n: s for n, s in statuses.items() if s not in ("success", "pass", "warn")}
        if not result.success or failures:
            raise AssertionError(f"dbt build failed: {failures or result.exception}")
        return statuses

    def rows(self, sql: str) -> list[dict[str, Any]]:
        # dbt-duckdb keeps the database open in this process: same configuration, no read_only
        with duckdb.connect(str(self.path)) as con:
            con.execute("set TimeZone = 'UTC'")
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _insert_many(con: duckdb.DuckDBPyConnection, sql: str, rows: list[Any]) -> None:
    if rows:
        con.executemany(sql, rows)


def node_statuses(result: Any, resource_type: str | None = None) -> dict[str, str]:
    """{node name: status} of a dbt invocation (success, pass, warn, fail, error, skipped),
    optionally of one resource type only (model, test, unit_test)."""
    if result.result is None or not hasattr(result.result, "results"):
        return {}
    return {
        r.node.name: str(r.status)
        for r in result.result.results
        if resource_type is None or str(r.node.resource_type) == resource_type
    }
