"""PostgreSQL as the dbt engine: raw tables copied in with COPY, marts copied back out.

Connection details come from the environment only (the same variables the dbt profile reads):
``FLEXLENS_PG_HOST`` (default localhost), ``FLEXLENS_PG_PORT`` (5432), ``FLEXLENS_PG_USER``
(postgres), ``FLEXLENS_PG_PASSWORD`` (empty) and ``FLEXLENS_PG_DATABASE`` (flexlens). Messages
name user@host:port/database, never the password.

Both directions go through CSV files and PostgreSQL's COPY (psycopg 3): DuckDB writes and reads
CSV at disk speed, and COPY is PostgreSQL's bulk path. Copies into PostgreSQL happen in one
transaction (the raw schema is either the previous load or this one); copies back replace the
DuckDB tables in one DuckDB transaction.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from connectors.engines import (
    RAW_SCHEMA,
    EngineError,
    duckdb_columns,
    duckdb_tables,
    quote,
    replace_tables,
    sql_path,
)

CONNECTION_ENV = {
    "host": ("FLEXLENS_PG_HOST", "localhost"),
    "port": ("FLEXLENS_PG_PORT", "5432"),
    "user": ("FLEXLENS_PG_USER", "postgres"),
    "password": ("FLEXLENS_PG_PASSWORD", ""),
    "dbname": ("FLEXLENS_PG_DATABASE", "flexlens"),
}
CONNECT_TIMEOUT_SECONDS = 10
COPY_BLOCK = 1 << 20

_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
# DuckDB type -> PostgreSQL type (a type not listed travels as text)
_TO_POSTGRES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric",
    "HUGEINT": "numeric",
    "UHUGEINT": "numeric",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "INTERVAL": "interval",
    "UUID": "uuid",
}
# PostgreSQL type (information_schema.columns.data_type) -> DuckDB type; numeric is handled apart
_TO_DUCKDB = {
    "text": "VARCHAR",
    "character varying": "VARCHAR",
    "character": "VARCHAR",
    "boolean": "BOOLEAN",
    "smallint": "SMALLINT",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "real": "FLOAT",
    "double precision": "DOUBLE",
    "date": "DATE",
    "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
    "timestamp without time zone": "TIMESTAMP",
    "uuid": "UUID",
}


def postgres_type(duckdb_type: str) -> str | None:
    """The PostgreSQL column type for a DuckDB type; None = it travels as text."""
    upper = duckdb_type.upper()
    decimal = _DECIMAL.match(upper)
    if decimal:
        return f"numeric({decimal.group(1)},{decimal.group(2)})"
    return _TO_POSTGRES.get(upper)


def duckdb_type(data_type: str, precision: int | None, scale: int | None) -> str | None:
    """The DuckDB type for a PostgreSQL column; None = it travels as text."""
    if data_type == "numeric":
        # an unconstrained numeric (e.g. a sum PostgreSQL widened) is read as a double
        if precision is not None and precision <= 38:
            return f"DECIMAL({precision},{scale or 0})"
        return "DOUBLE"
    return _TO_DUCKDB.get(data_type)


def connection_settings(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    return {key: env.get(name) or default for key, (name, default) in CONNECTION_ENV.items()}


def describe(params: Mapping[str, str]) -> str:
    """user@host:port/database, without the password (for messages and logs)."""
    return f"{params['user']}@{params['host']}:{params['port']}/{params['dbname']}"


def connect(environ: Mapping[str, str] | None = None) -> psycopg.Connection:
    """A connection to the engine database, in UTC (instants travel with a +00 offset)."""
    params = connection_settings(environ)
    try:
        pg = psycopg.connect(
            **{key: value for key, value in params.items() if value},
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            autocommit=True,
        )
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EngineError(f"cannot connect to PostgreSQL {describe(params)}: {first}") from None
    pg.execute("set timezone = 'UTC'")
    return pg


def copy_into_postgres(
    con: duckdb.DuckDBPyConnection,
    pg: psycopg.Connection,
    select: str,
    table: sql.Composable,
    columns: list[tuple[str, str]],
    folder: Path,
) -> int:
    """Create `table` with the PostgreSQL types of `columns` (name, DuckDB type) and fill it with
    the rows of the DuckDB `select` (whose columns are `columns`); the number of rows copied."""
    definitions = []
    outer = []
    for name, column_type in columns:
        pg_type = postgres_type(column_type)
        column = quote(name)
        outer.append(column if pg_type else f"cast({column} as varchar) as {column}")
        definitions.append(
            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type or "text"))
        )
    pg.execute(sql.SQL("create table {} ({})").format(table, sql.SQL(", ").join(definitions)))
    data = Path(tempfile.mkstemp(suffix=".csv", dir=folder)[1])
    try:
        con.execute(
            f"copy (select {', '.join(outer)} from ({select}) as copied) to {sql_path(data)} "
            "(format csv, header false)"
        )
        names = sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns)
        copy_sql = sql.SQL("copy {} ({}) from stdin (format csv)").format(table, names)
        with pg.cursor() as cursor:
            with cursor.copy(copy_sql) as copy, data.open("rb") as handle:
                while block := handle.read(COPY_BLOCK):
                    copy.write(block)
            return int(cursor.rowcount)
    finally:
        data.unlink(missing_ok=True)


def push_raw_tables(con: duckdb.DuckDBPyConnection, pg: psycopg.Connection) -> dict[str, int]:
    """Replace the engine's raw schema with every table of DuckDB's, in one transaction."""
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="flexlens-pg-") as folder, pg.transaction():
        pg.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(RAW_SCHEMA)))
        for table in duckdb_tables(con, RAW_SCHEMA):
            target = sql.Identifier(RAW_SCHEMA, table)
            # cascade: dbt's staging views read the raw tables; the build recreates them
            pg.execute(sql.SQL("drop table if exists {} cascade").format(target))
            counts[table] = copy_into_postgres(
                con,
                pg,
                f"select * from {quote(RAW_SCHEMA)}.{quote(table)}",
                target,
                duckdb_columns(con, RAW_SCHEMA, table),
                Path(folder),
            )
    return counts


def postgres_tables(pg: psycopg.Connection, schema: str) -> list[str]:
    rows = pg.execute(
        "select table_name from information_schema.tables "
        "where table_schema = %s and table_type = 'BASE TABLE' order by table_name",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def _postgres_columns(pg: psycopg.Connection, schema: str, table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a PostgreSQL table; types DuckDB has no twin for become VARCHAR."""
    rows = pg.execute(
        "select column_name, data_type, numeric_precision, numeric_scale "
        "from information_schema.columns where table_schema = %s and table_name = %s "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [
        (name, duckdb_type(data_type, precision, scale) or "VARCHAR")
        for name, data_type, precision, scale in rows
    ]


def pull_tables(
    pg: psycopg.Connection, con: duckdb.DuckDBPyConnection, tables: Iterable[tuple[str, str]]
) -> dict[str, int]:
    """Copy (schema, table) pairs from PostgreSQL into the same names in DuckDB, replacing them
    in one DuckDB transaction; rows per "schema.table"."""
    with tempfile.TemporaryDirectory(prefix="flexlens-pg-") as folder:
        loads = []
        for schema, table in tables:
            columns = _postgres_columns(pg, schema, table)
            if not columns:
                raise EngineError(f"PostgreSQL has no table {schema}.{table}")
            data = Path(folder) / f"{schema}.{table}.csv"
            select = sql.SQL("copy (select * from {}) to stdout (format csv)").format(
                sql.Identifier(schema, table)
            )
            with pg.cursor() as cursor, cursor.copy(select) as copy, data.open("wb") as handle:
                for block in copy:
                    handle.write(block)
            name = f"{quote(schema)}.{quote(table)}"
            definitions = ", ".join(f"{quote(column)} {kind}" for column, kind in columns)
            loads.append(
                (
                    schema,
                    table,
                    [
                        f"create or replace table {name} ({definitions})",
                        f"copy {name} from {sql_path(data)} "
                        # PostgreSQL's CSV exactly: no sniffing (an empty table is an empty
                        # file), "" is an empty text, an unquoted empty field is NULL
                        "(format csv, header false, auto_detect false, delim ',', quote '\"', "
                        "escape '\"', allow_quoted_nulls false)",
                    ],
                )
            )
        return replace_tables(con, loads)
