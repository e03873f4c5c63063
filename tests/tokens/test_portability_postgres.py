"""The token models' SQL is portable: the same compiled SQL, run on PostgreSQL 15, gives the same
ledger, balance, window draws and forecast as on DuckDB (recursive CTE with a running sum in its
recursive term, date arithmetic, casts). Skipped, with the reason, when no PostgreSQL server can
be started on this machine.

Two models are left out: int_token_top_up_sized and rpt_token_forecast read the pack sizes with
dbt.split_part, which renders a DuckDB-only form when compiled for DuckDB (on a PostgreSQL target
dbt renders PostgreSQL's split_part)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import duckdb
import psycopg
import pytest

from tests.export.pg_cluster import start_cluster
from tests.tokens.allocation_model import Pack, Window
from tests.tokens.inputs import context_row, load_inputs
from tests.tokens.sql_runner import CATALOG, CompiledModel, TokenWarehouse

PORTABLE_MODELS = (
    "int_token_packs_deduplicated",
    "int_token_draws_daily",
    "int_token_window_draws",
    "fct_token_draws",
    "fct_token_window_costs",
    "fct_token_ledger",
    "rpt_token_balance_daily",
    "int_token_burn_rates",
    "int_token_forecast_packs",
    "int_token_forecast_days",
    "int_token_forecast_draws",
    "rpt_token_forecast_daily",
    "rpt_token_pack_forecast",
)
COMPARED = {
    "int_token_window_draws": "intermediate",
    "fct_token_ledger": "marts",
    "fct_token_window_costs": "marts",
    "rpt_token_balance_daily": "marts",
    "rpt_token_forecast_daily": "marts",
    "rpt_token_pack_forecast": "marts",
}


@pytest.fixture(scope="module")
def postgres() -> Iterator[psycopg.Connection]:
    cluster, reason = start_cluster()
    if cluster is None:
        pytest.skip(f"no PostgreSQL server: {reason}")
    try:
        with psycopg.connect(cluster.dsn, autocommit=True) as admin:
            admin.execute(f"create database {CATALOG}")
        dsn = cluster.dsn.replace("dbname=postgres", f"dbname={CATALOG}")
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute("set TimeZone = 'UTC'")
            yield con
    finally:
        cluster.stop()


def _random_case(seed: int) -> tuple[list[Pack], list[Window], date]:
    rng = random.Random(seed)
    day0 = date(2026, 1, 1)
    packs = []
    for i in range(rng.randint(1, 6)):
        bought = rng.randint(-30, 60)
        packs.append(
            Pack(
                f"P{i}",
                day0 + timedelta(days=bought),
                day0 + timedelta(days=bought + rng.randint(5, 120)),
                rng.choice([50, 100, 100, 250]),
            )
        )
    windows = [
        Window(
            f"w{i:03d}",
            datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 70 * 1440)),
            rng.choice([3, 6, 7, 10]),
        )
        for i in range(rng.randint(0, 120))
    ]
    return packs, windows, day0 + timedelta(days=rng.randint(30, 75))


def _normalised(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    def value(v: object) -> object:
        if isinstance(v, float):
            return round(v, 6)
        return v

    return sorted((tuple(value(v) for v in row.values()) for row in rows), key=repr)


@pytest.mark.parametrize("seed", range(6))
def test_postgres_gives_the_duckdb_answers(
    seed: int,
    tmp_path,
    postgres: psycopg.Connection,
    compiled_token_models: dict[str, CompiledModel],
) -> None:
    packs, windows, as_of = _random_case(seed)
    context = context_row(as_of, burn_window_days=21, horizon_days=60)
    results: dict[str, dict[str, list[tuple[object, ...]]]] = {}
    with duckdb.connect(str(tmp_path / f"{CATALOG}.duckdb")) as con:
        con.execute("set TimeZone = 'UTC'")
        engines = {
            "duckdb": TokenWarehouse(con, compiled_token_models),
            "postgres": TokenWarehouse(postgres, compiled_token_models, engine="postgres"),
        }
        for engine, warehouse in engines.items():
            warehouse.reset()
            load_inputs(warehouse, packs, windows, context)
            warehouse.run(PORTABLE_MODELS)
            results[engine] = {
                table: _normalised(
                    warehouse.rows(f'select * from "{CATALOG}"."{schema}"."{table}"')
                )
                for table, schema in COMPARED.items()
            }
    for table in COMPARED:
        assert results["postgres"][table] == results["duckdb"][table], table
    # the comparison is not empty: the random case drew tokens and projected days
    assert results["duckdb"]["rpt_token_forecast_daily"]
    assert len(results["duckdb"]["rpt_token_balance_daily"]) > 0
