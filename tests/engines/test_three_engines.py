"""One project, three engines: `flexlens run --engine duckdb|postgres|spark` on the sample
organisation gives the same marts, in UTC and in a non-UTC engine session time zone.

Every run is the command line in its own process (the engines' settings are environment
variables): a throwaway PostgreSQL server, and Spark in dbt's local session (Java). The
reference is DuckDB in UTC; every other run's export is compared with it mart by mart
(compare.py: same rows, same values, fractional numbers within 1e-9 relative / 1e-6 absolute).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest

from tests.engines.compare import compare_exports
from tests.export.pg_cluster import Cluster, start_cluster

REPO_ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-01T06:00:00+00:00"
SAMPLE_END = date(2026, 10, 31)
NON_UTC = "America/New_York"
RUN_TIMEOUT_SECONDS = 1800  # a guard against a hung JVM, not a timing assertion
# the marts every run must export (marts-contract.md), compared one by one
CONTRACT_MARTS = {
    "dim_users",
    "dim_products",
    "fct_sessions",
    "fct_usage_windows",
    "fct_daily_usage",
    "fct_token_ledger",
    "rpt_token_balance_daily",
    "rpt_token_forecast_daily",
    "rpt_token_forecast",
    "rpt_user_product_utilisation",
    "rpt_licence_recommendations",
    "rpt_seat_reassignments",
    "rpt_network_concurrency",
    "rpt_network_concurrency_curve",
    "rpt_named_user_sizing",
    "rpt_billing_reconciliation",
    "rpt_data_quality",
    "rpt_department_costs",
}


# dbt tests that run on some engines only, by design: the SQL twin's chain is a view nothing bills
# from on DuckDB, so its test runs only where the SQL engine bills
ENGINE_ONLY_CHECKS = frozenset(
    {"accepted_values_int_usage_intervals_chained_interval_role__grace__launch__continuation"}
)


@pytest.fixture(scope="module")
def sample_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample organisation (what `flexlens demo` generates), with a fixed end."""
    from connectors.sample import generate_organisation

    landing = tmp_path_factory.mktemp("engines") / "landing"
    generate_organisation(landing, people=250, months=12, seed=7, fmt="csv", end=SAMPLE_END)
    return landing


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[Cluster]:
    cluster, reason = start_cluster()
    if cluster is None:
        pytest.skip(f"no PostgreSQL server for the engine test: {reason}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def runs(
    sample_landing: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[tuple[str, str], Path]:
    """(engine, session time zone) -> that run's export folder, each run made once."""
    done: dict[tuple[str, str], Path] = {}

    def run(engine: str, zone: str) -> Path:
        if (engine, zone) in done:
            return done[(engine, zone)]
        folder = tmp_path_factory.mktemp(f"{engine}_{zone.replace('/', '_')}")
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("FLEXLENS_", "PG", "DBT_"))
        }
        env.update(
            FLEXLENS_SETTINGS=str(REPO_ROOT / "flexlens.toml"),
            FLEXLENS_DBT_SESSION_TIMEZONE=zone,
            DAGSTER_HOME=str(folder / "dagster_home"),
            DO_NOT_TRACK="1",
        )
        if engine == "postgres":
            cluster: Cluster = request.getfixturevalue("postgres_server")
            database = f"flexlens_{zone.replace('/', '_').lower()}"
            with psycopg.connect(cluster.dsn, autocommit=True) as pg:
                pg.execute(f"create database {database}")
            env.update(
                FLEXLENS_PG_HOST="127.0.0.1",
                FLEXLENS_PG_PORT=str(cluster.port),
                FLEXLENS_PG_USER="postgres",
                FLEXLENS_PG_DATABASE=database,
            )
        if engine == "spark" and shutil.which("java") is None:
            pytest.skip("no Java for the Spark engine")
        command = [
            sys.executable, "-m", "orchestration.cli", "run",
            "--engine", engine,
            "--landing", str(sample_landing),
            "--warehouse", str(folder / "warehouse" / "flexlens.duckdb"),
            "--exports", str(folder / "exports"),
            "--as-of", AS_OF,
        ]  # fmt: skip
        result = subprocess.run(
            command,
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
        )
        log = folder / "warehouse" / "logs" / "last_run.log"
        assert result.returncode == 0, (
            f"{engine} ({zone}) failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}\n"
            + (log.read_text(errors="replace")[-4000:] if log.exists() else "")
        )
        done[(engine, zone)] = folder / "exports" / "latest"
        return done[(engine, zone)]

    return run  # type: ignore[return-value]


def test_reference_run_exports_every_contract_mart(runs) -> None:
    exported = {path.stem for path in runs("duckdb", "UTC").glob("*.parquet")}
    assert exported >= CONTRACT_MARTS


@pytest.mark.parametrize(
    ("engine", "zone"),
    [
        ("duckdb", NON_UTC),
        ("postgres", "UTC"),
        ("postgres", NON_UTC),
        ("spark", "UTC"),
        ("spark", NON_UTC),
    ],
)
def test_engine_marts_equal_the_reference(runs, engine: str, zone: str) -> None:
    reference = runs("duckdb", "UTC")
    differences = compare_exports(reference, runs(engine, zone), left_out_checks=ENGINE_ONLY_CHECKS)
    assert differences == {}, f"{engine} in {zone} differs from DuckDB in UTC: {differences}"
