"""Spark as the dbt engine: tables travel as Parquet files.

dbt-spark's ``session`` method runs a local Spark session inside dbt's own process, and only one
process at a time may open its Derby metastore (under ``FLEXLENS_SPARK_DIR``). So flexlens never
opens a second Spark session: it writes DuckDB's raw tables as Parquet files, the dbt operation
``spark_load_raw_tables`` (dbt_project/macros/engines.sql) copies them into Spark tables in
dbt's session, and after the build ``spark_unload_tables`` writes the marts back out as Parquet
folders, which DuckDB reads into the warehouse. Parquet keeps the types: text, whole numbers,
decimals, dates, and instants (Spark writes TIMESTAMP_MICROS adjusted to UTC, which DuckDB reads
as ``timestamp with time zone``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from connectors.engines import (
    RAW_SCHEMA,
    EngineError,
    duckdb_tables,
    quote,
    replace_tables,
    sql_path,
)


def write_raw_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    """Every raw table as <folder>/<table>.parquet; the table names."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = duckdb_tables(con, RAW_SCHEMA)
    for table in tables:
        target = folder / f"{table}.parquet"
        con.execute(
            f"copy {quote(RAW_SCHEMA)}.{quote(table)} to {sql_path(target)} (format parquet)"
        )
    return tables


def read_unloaded_tables(
    con: duckdb.DuckDBPyConnection, folder: Path, tables: Iterable[tuple[str, str]]
) -> dict[str, int]:
    """Replace (schema, table) in DuckDB with the Parquet folder <folder>/<schema>.<table>/ that
    ``spark_unload_tables`` wrote, all in one transaction; rows per "schema.table"."""
    loads = []
    for schema, table in tables:
        files = sorted((folder / f"{schema}.{table}").glob("*.parquet"))
        if not files:
            raise EngineError(f"Spark wrote no Parquet file for {schema}.{table} in {folder}")
        listed = ", ".join(sql_path(path) for path in files)
        loads.append(
            (
                schema,
                table,
                [
                    f"create or replace table {quote(schema)}.{quote(table)} as "
                    f"select * from read_parquet([{listed}])"
                ],
            )
        )
    return replace_tables(con, loads)
