"""The dbt engines flexlens runs on, and moving tables between them and the DuckDB warehouse.

DuckDB is the embedded default and always the hub: the file connectors load the raw tables into
it, and the quality checks, exports and report read the marts from it. On another engine
(``flexlens run --engine postgres|spark``) the transform step first copies every raw table to
the engine, dbt builds there, and the marts (plus the quarantine table the data-quality report
counts) are copied back into the DuckDB warehouse, replacing the previous ones in one
transaction. The copies are exact: text as text, instants as instants (docs/engines.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

Engine = Literal["duckdb", "postgres", "spark"]
ENGINES: tuple[Engine, ...] = get_args(Engine)
DEFAULT_ENGINE: Engine = "duckdb"

# what dbt builds that the Python steps read: every mart, and the quarantine rows
MARTS_SCHEMA = "marts"
RAW_SCHEMA = "raw"
PULLED_EXTRA_TABLES = (("intermediate", "int_rows_quarantined"),)

DBT_TARGET_ENV = "FLEXLENS_DBT_TARGET"
SESSION_TIMEZONE_ENV = "FLEXLENS_DBT_SESSION_TIMEZONE"
SPARK_DIR_ENV = "FLEXLENS_SPARK_DIR"


class EngineError(Exception):
    """Tables cannot be moved to or from the engine; the message says why (never a password)."""


def duckdb_tables(con, schema: str) -> list[str]:  # noqa: ANN001 - duckdb connection
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def duckdb_columns(con, schema: str, table: str) -> list[tuple[str, str]]:  # noqa: ANN001
    """(name, DuckDB type) of a table's columns, in order."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [(name, data_type) for name, data_type in rows]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_path(path: object) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def replace_tables(con, loads: Iterable[tuple[str, str, list[str]]]) -> dict[str, int]:  # noqa: ANN001
    """Run each (schema, table, statements) load into DuckDB in one transaction, so readers see
    the previous tables or all the new ones; rows per "schema.table"."""
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for schema, table, statements in loads:
            con.execute(f"create schema if not exists {quote(schema)}")
            for statement in statements:
                con.execute(statement)
            counts[f"{schema}.{table}"] = con.execute(
                f"select count(*) from {quote(schema)}.{quote(table)}"
            ).fetchall()[0][0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts
