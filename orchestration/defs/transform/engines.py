"""Running the dbt build on PostgreSQL or Spark: the raw tables go to the engine before the
build, the marts come back into the DuckDB warehouse after it (connectors/engines).

On DuckDB (the default) both steps do nothing: dbt builds inside the warehouse itself.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource

from connectors.engines import MARTS_SCHEMA, PULLED_EXTRA_TABLES
from orchestration.resources import dbt_target_path, spark_dir, warehouse_connection
from orchestration.settings import Settings

Log = Callable[[str], None]


def built_tables(manifest_path: Path) -> list[tuple[str, str]]:
    """(schema, table) of every enabled mart in the manifest, and the quarantine table: what the
    quality checks, exports and report read from the warehouse."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    marts = sorted(
        (node["schema"], node.get("alias") or node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["schema"] == MARTS_SCHEMA
        and node.get("config", {}).get("enabled", True)
    )
    return [*marts, *PULLED_EXTRA_TABLES]


def _exchange_dir(settings: Settings) -> Path:
    return spark_dir(settings) / "exchange"


def _run_operation(dbt: DbtCliResource, engine: str, macro: str, args: dict[str, Any]) -> None:
    """A dbt operation in the engine's target folder (its parse is reused); the build's
    run_results.json, which names failed tests and slow nodes, is kept as the build wrote it."""
    results = Path(dbt.project_dir) / dbt_target_path(engine) / "run_results.json"
    kept = results.read_bytes() if results.exists() else None
    try:
        dbt.cli(
            ["run-operation", macro, "--args", json.dumps(args)],
            target_path=dbt_target_path(engine),
        ).wait()
    finally:
        if kept is not None:
            results.write_bytes(kept)


def copy_raw_to_engine(settings: Settings, dbt: DbtCliResource, log: Log) -> list[str]:
    """Replace the engine's raw tables with the warehouse's; the tables copied."""
    if settings.engine == "postgres":
        from connectors.engines import postgres

        with warehouse_connection(settings, read_only=True) as con, postgres.connect() as pg:
            counts = postgres.push_raw_tables(con, pg)
        log(f"copied {len(counts)} raw tables ({sum(counts.values()):,} rows) to PostgreSQL")
        return list(counts)
    if settings.engine == "spark":
        from connectors.engines import spark

        folder = _exchange_dir(settings) / "raw"
        shutil.rmtree(folder, ignore_errors=True)
        with warehouse_connection(settings, read_only=True) as con:
            tables = spark.write_raw_parquet(con, folder)
        _run_operation(
            dbt, "spark", "spark_load_raw_tables", {"folder": str(folder), "tables": tables}
        )
        shutil.rmtree(folder, ignore_errors=True)
        log(f"copied {len(tables)} raw tables to Spark")
        return tables
    return []


def copy_marts_from_engine(
    settings: Settings, dbt: DbtCliResource, manifest_path: Path, log: Log
) -> dict[str, int]:
    """Replace the warehouse's marts (and quarantine table) with the engine's, in one DuckDB
    transaction; rows per "schema.table"."""
    tables = built_tables(manifest_path)
    if settings.engine == "postgres":
        from connectors.engines import postgres

        with postgres.connect() as pg, warehouse_connection(settings) as con:
            counts = postgres.pull_tables(pg, con, tables)
    elif settings.engine == "spark":
        from connectors.engines import spark

        folder = _exchange_dir(settings) / "built"
        shutil.rmtree(folder, ignore_errors=True)
        names = [f"{schema}.{table}" for schema, table in tables]
        arguments = {"folder": str(folder), "tables": names}
        _run_operation(dbt, "spark", "spark_unload_tables", arguments)
        with warehouse_connection(settings) as con:
            counts = spark.read_unloaded_tables(con, folder, tables)
        shutil.rmtree(folder, ignore_errors=True)
    else:
        return {}
    log(f"copied {len(counts)} built tables ({sum(counts.values()):,} rows) from {settings.engine}")
    return counts
