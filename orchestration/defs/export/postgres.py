"""PostgreSQL delivery: every mart loaded with COPY, then swapped in for BI tools atomically.

When ``FLEXLENS_POSTGRES_DSN`` is set (a libpq connection string or URI; environment only, never
logged), each run:

1. loads every mart of the ``marts`` schema (pseudonymised when the PII mode says so) into a
   fresh load schema ``<schema>_load`` with ``COPY ... FROM STDIN`` (psycopg 3), plus the table
   ``export_manifest`` (run id, as-of, rows per mart);
2. in one transaction takes an exclusive lock on the serving tables, renames the serving
   schema away, renames the load schema to the serving schema (setting ``postgres_schema``,
   default ``flexlens``), grants ``bi_reader`` read access and drops the old schema. A BI query
   sees either the old tables or the new ones, never half a refresh: the swap waits for queries
   still reading the old tables, and a query that starts during the swap waits for it and then
   reads the new tables. When queries hold the old tables longer than ``SWAP_LOCK_TIMEOUT`` (or
   a reader's lock order crosses the swap's: a deadlock, which PostgreSQL resolves by cancelling
   one side), the swap is rolled back, waits and is tried again.

``bi_reader`` is a NOLOGIN role with USAGE on the serving schema and SELECT on its tables and
nothing else: BI users log in as their own roles made members of it. A load that fails leaves
the serving schema as it was.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from connectors.engines.postgres import copy_into_postgres
from orchestration.defs.export.exports import (
    export_select,
    list_marts,
    mart_columns,
)
from orchestration.defs.export.pseudonymise import Pseudonymiser

log = logging.getLogger(__name__)


DSN_ENV = "FLEXLENS_POSTGRES_DSN"
READER_ROLE = "bi_reader"
MANIFEST_TABLE = "export_manifest"
CONNECT_TIMEOUT_SECONDS = 10
# the swap waits this long for queries on the old tables, then gives way and tries again
SWAP_LOCK_TIMEOUT = "10s"
SWAP_ATTEMPTS = 6
SWAP_PAUSE_SECONDS = 5


class PostgresLoadError(Exception):
    """The PostgreSQL delivery cannot be done; the message says why (never the DSN)."""


@dataclass(frozen=True)
class PostgresLoadResult:
    schema: str
    target: str
    row_counts: dict[str, int]


def describe_dsn(dsn: str) -> str:
    """user@host:port/database of a DSN, without the password (for messages and logs)."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(unparseable DSN)"
    host = parts.get("host") or parts.get("hostaddr") or "localhost"
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"{user}{host}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"


def connect(dsn: str) -> psycopg.Connection:
    extra = {}
    try:
        if "connect_timeout" not in conninfo_to_dict(dsn):
            extra["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    except psycopg.ProgrammingError as exc:
        raise PostgresLoadError(f"{DSN_ENV} is not a valid connection string") from exc
    try:
        return psycopg.connect(dsn, autocommit=True, **extra)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PostgresLoadError(f"cannot connect to {describe_dsn(dsn)}: {first}") from None


def _ensure_reader_role(pg: psycopg.Connection, role: str) -> None:
    if pg.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone():
        return
    try:
        pg.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    except psycopg.errors.DuplicateObject:
        return
    except psycopg.errors.InsufficientPrivilege:
        user = pg.info.user
        raise PostgresLoadError(
            f"role {role} does not exist and {user} may not create it: ask an administrator "
            f"to run CREATE ROLE {role} NOLOGIN"
        ) from None


def _copy_mart(
    con: duckdb.DuckDBPyConnection,
    pg: psycopg.Connection,
    mart: str,
    schema: str,
    folder: Path,
    pseudonymiser: Pseudonymiser | None,
) -> int:
    return copy_into_postgres(
        con,
        pg,
        export_select(con, mart, pseudonymiser=pseudonymiser),
        sql.Identifier(schema, mart),
        mart_columns(con, mart),
        folder,
    )


def _write_manifest(
    pg: psycopg.Connection,
    schema: str,
    *,
    run_id: str,
    as_of: str,
    pii_mode: str,
    row_counts: dict[str, int],
) -> None:
    table = sql.Identifier(schema, MANIFEST_TABLE)
    pg.execute(
        sql.SQL(
            "create table {} (run_id text not null, as_of timestamp with time zone not null, "
            "loaded_at timestamp with time zone not null, pii_mode text not null, "
            "mart text not null, row_count bigint not null)"
        ).format(table)
    )
    loaded_at = datetime.now(UTC)
    with pg.cursor() as cursor:
        cursor.executemany(
            sql.SQL("insert into {} values (%s, %s, %s, %s, %s, %s)").format(table),
            [
                (run_id, as_of, loaded_at, pii_mode, mart, count)
                for mart, count in row_counts.items()
            ],
        )


def _swap_once(pg: psycopg.Connection, schema: str, load_schema: str, role: str) -> None:
    retired = sql.Identifier(f"{schema}_retired")
    serving = sql.Identifier(schema)
    with pg.transaction():
        pg.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
        old_tables = [
            name
            for (name,) in pg.execute(
                "select tablename from pg_tables where schemaname = %s order by tablename",
                [schema],
            ).fetchall()
        ]
        if old_tables:
            # wait until no query reads the old tables any more; queries that start now wait
            # for this transaction and then read the new tables
            pg.execute(
                sql.SQL("lock table {} in access exclusive mode").format(
                    sql.SQL(", ").join(sql.Identifier(schema, name) for name in old_tables)
                )
            )
        exists = pg.execute("select 1 from pg_namespace where nspname = %s", [schema]).fetchone()
        if exists:
            pg.execute(sql.SQL("alter schema {} rename to {}").format(serving, retired))
        pg.execute(
            sql.SQL("alter schema {} rename to {}").format(sql.Identifier(load_schema), serving)
        )
        pg.execute(sql.SQL("grant usage on schema {} to {}").format(serving, sql.Identifier(role)))
        pg.execute(
            sql.SQL("grant select on all tables in schema {} to {}").format(
                serving, sql.Identifier(role)
            )
        )
        if exists:
            pg.execute(sql.SQL("drop schema {} cascade").format(retired))


def _swap(pg: psycopg.Connection, schema: str, load_schema: str, role: str) -> None:
    """Swap the load schema in, in one transaction; retried when BI queries hold the old
    tables too long (lock timeout) or a reader's lock order crosses ours (deadlock)."""
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            _swap_once(pg, schema, load_schema, role)
            return
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected) as exc:
            if attempt == SWAP_ATTEMPTS:
                raise PostgresLoadError(
                    f"could not swap schema {schema} in after {attempt} attempts: queries kept "
                    "reading the old tables; the serving schema is unchanged"
                ) from exc
            log.warning("swap of %s waited too long (%s); retrying", schema, type(exc).__name__)
            time.sleep(SWAP_PAUSE_SECONDS * attempt)


def load_postgres(
    con: duckdb.DuckDBPyConnection,
    dsn: str,
    *,
    schema: str,
    run_id: str,
    as_of: str,
    pseudonymiser: Pseudonymiser | None = None,
    reader_role: str = READER_ROLE,
) -> PostgresLoadResult:
    """Load every mart into `<schema>_load`, then swap it in as `schema` (module docstring)."""
    target = describe_dsn(dsn)
    load_schema = f"{schema}_load"
    if pseudonymiser is not None:
        pseudonymiser.register(con)
    marts = list_marts(con)
    row_counts: dict[str, int] = {}
    with connect(dsn) as pg:
        lock_key = f"flexlens:{schema}"
        pg.execute("select pg_advisory_lock(hashtext(%s))", [lock_key])
        try:
            _ensure_reader_role(pg, reader_role)
            pg.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(load_schema))
            )
            pg.execute(
                sql.SQL("drop schema if exists {} cascade").format(
                    sql.Identifier(f"{schema}_retired")
                )
            )
            pg.execute(sql.SQL("create schema {}").format(sql.Identifier(load_schema)))
            with tempfile.TemporaryDirectory(prefix="flexlens-pg-") as folder:
                for mart in marts:
                    row_counts[mart] = _copy_mart(
                        con, pg, mart, load_schema, Path(folder), pseudonymiser
                    )
            _write_manifest(
                pg,
                load_schema,
                run_id=run_id,
                as_of=as_of,
                pii_mode="plain" if pseudonymiser is None else "pseudonymised",
                row_counts=row_counts,
            )
            _swap(pg, schema, load_schema, reader_role)
        except BaseException:
            with contextlib.suppress(psycopg.Error):
                pg.execute(
                    sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(load_schema))
                )
            raise
        finally:
            with contextlib.suppress(psycopg.Error):
                pg.execute("select pg_advisory_unlock(hashtext(%s))", [lock_key])
    log.info("loaded %d marts into PostgreSQL %s, schema %s", len(row_counts), target, schema)
    return PostgresLoadResult(schema=schema, target=target, row_counts=row_counts)
