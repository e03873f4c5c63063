"""Run the token models' SQL on small hand-made inputs, without a whole pipeline.

`dbt compile` renders the token models once (for DuckDB); `TokenWarehouse` then creates the input
tables the models read (the same catalog, schemas and names dbt compiled in) and runs the compiled
SQL of each requested model, in dependency order, as `create table ... as`. The same compiled SQL
runs on PostgreSQL for the portability test (its dialect macros render the same there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from orchestration.resources import DBT_PROJECT_DIR

CATALOG = "flexlens"  # the warehouse file's stem: dbt compiles "flexlens"."marts"."..."

TOKEN_MODELS: tuple[str, ...] = (
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
    "int_token_top_up_sized",
    "rpt_token_forecast_daily",
    "rpt_token_pack_forecast",
    "rpt_token_forecast",
    "rpt_billing_reconciliation",
)
# compiled too, for the settings test: the run context the token models read
CONTEXT_MODEL = "stg_run__context"
HISTORY_MODELS = TOKEN_MODELS[:7]
FORECAST_MODELS = TOKEN_MODELS[:15]

# input tables the token models read, with the columns they use
INPUT_COLUMNS: dict[tuple[str, str], dict[str, str]] = {
    ("staging", "stg_tokens__packs"): {
        "order_id": "varchar",
        "purchased_on": "date",
        "tokens": "bigint",
        "price_per_token": "decimal(18,4)",
        "currency": "varchar",
        "expires_on": "date",
        "is_expiry_defaulted": "boolean",
        "source_file": "varchar",
        "source_row": "bigint",
        "reject_reason": "varchar",
        "reject_value": "varchar",
    },
    ("marts", "fct_usage_windows"): {
        "window_id": "varchar",
        "user_key": "varchar",
        "product": "varchar",
        "window_start_at": "timestamp with time zone",
        "usage_date": "date",
        "charge_status": "varchar",
        "tokens_charged": "integer",
    },
    ("staging", "stg_run__context"): {
        "run_id": "varchar",
        "as_of": "timestamp with time zone",
        "as_of_date": "date",
        "currency": "varchar",
        "token_burn_window_days": "integer",
        "token_top_up_lead_days": "integer",
        "token_horizon_days": "integer",
        "token_horizon_date": "date",
        "token_pack_sizes": "varchar",
        "token_run_out_warning_days": "integer",
    },
    ("intermediate", "int_token_price_effective"): {
        "token_price": "decimal(18,6)",
        "token_price_source": "varchar",
    },
    ("intermediate", "int_token_usage_resolved"): {
        "user_key": "varchar",
        "email": "varchar",
        "hashed_autodesk_id": "varchar",
        "usage_date": "date",
        "product": "varchar",
        "tokens_used": "decimal(18,2)",
        "reject_reason": "varchar",
    },
    ("marts", "dim_users"): {
        "user_key": "varchar",
        "hashed_autodesk_id": "varchar",
        "is_identity_resolved": "boolean",
    },
}


@dataclass(frozen=True)
class CompiledModel:
    name: str
    schema: str
    sql: str


def compile_token_models(work: Path) -> dict[str, CompiledModel]:
    """Compile the token models with dbt (DuckDB target, warehouse `<work>/flexlens.duckdb`)."""
    dbt = Path(sys.executable).parent / "dbt"
    env = {
        **os.environ,
        "FLEXLENS_WAREHOUSE": str(work / f"{CATALOG}.duckdb"),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    target = work / "target"
    result = subprocess.run(
        [
            str(dbt),
            "compile",
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--select",
            *TOKEN_MODELS,
            CONTEXT_MODEL,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt compile failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    manifest = json.loads((target / "manifest.json").read_text())
    compiled: dict[str, CompiledModel] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["name"] in (*TOKEN_MODELS, CONTEXT_MODEL):
            compiled[node["name"]] = CompiledModel(
                node["name"], node["schema"], node["compiled_code"]
            )
    missing = {*TOKEN_MODELS, CONTEXT_MODEL} - set(compiled)
    if missing:
        raise RuntimeError(f"dbt compiled no SQL for {sorted(missing)}")
    return compiled


class TokenWarehouse:
    """Input tables in, token models run, rows out, on one DB-API connection (DuckDB or psycopg)."""

    def __init__(
        self,
        con: Any,
        compiled: Mapping[str, CompiledModel],
        engine: Literal["duckdb", "postgres"] = "duckdb",
    ) -> None:
        self.con = con  # DuckDB: a file named flexlens.duckdb; PostgreSQL: database flexlens
        self.compiled = compiled
        self.engine = engine

    @staticmethod
    def _name(schema: str, table: str) -> str:
        return f'"{CATALOG}"."{schema}"."{table}"'

    def reset(self) -> None:
        for schema in ("staging", "intermediate", "marts"):
            self.con.execute(f"drop schema if exists {schema} cascade")
            self.con.execute(f"create schema {schema}")

    def load(self, schema: str, table: str, rows: Iterable[Mapping[str, object]]) -> None:
        columns = INPUT_COLUMNS[(schema, table)]
        ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        self.con.execute(f"create table {self._name(schema, table)} ({ddl})")
        names = list(columns)
        marks = ", ".join(["%s" if self.engine == "postgres" else "?"] * len(names))
        insert = f"insert into {self._name(schema, table)} ({', '.join(names)}) values ({marks})"
        for row in rows:
            self.con.execute(insert, [row.get(name) for name in names])

    def run(self, models: Sequence[str]) -> None:
        for name in models:
            model = self.compiled[name]
            self.con.execute(f"create table {self._name(model.schema, name)} as {model.sql}")

    def rows(self, sql: str) -> list[dict[str, object]]:
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
