"""PostgreSQL delivery against a real throwaway server: load, atomic swap, read-only bi_reader."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg import errors

from connectors.engines.postgres import postgres_type
from orchestration.defs.export import postgres
from orchestration.defs.export.postgres import (
    PostgresLoadError,
    describe_dsn,
    load_postgres,
)
from orchestration.defs.export.pseudonymise import Pseudonymiser

WAIT_LIMIT_SECONDS = 60  # a guard against hanging, not a timing assertion


def _warehouse(path: Path, rows_a: int, rows_b: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema if not exists marts")
    con.execute(f"create or replace table marts.a as select range as id from range({rows_a})")
    con.execute(f"create or replace table marts.b as select range as id from range({rows_b})")
    return con


@pytest.fixture
def database(postgres_dsn: str) -> Iterator[str]:
    """A fresh database per test (and the DSN to it)."""
    name = f"t_{threading.get_ident()}_{datetime.now(UTC):%H%M%S%f}"
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    dsn = postgres_dsn.replace("dbname=postgres", f"dbname={name}")
    yield dsn
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f'drop database "{name}" with (force)')


def test_every_mart_arrives_with_its_types_and_values(tmp_path: Path, database: str) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema marts")
    con.execute(
        """
        create table marts.fct_things as select * from (values
            ('s1', 7, 12345678901, 2.50::decimal(18,2), 0.1::double, true,
             date '2026-10-31', timestamptz '2026-10-31 17:59:59.5+00', ['x', 'y'],
             'comma, "quote"' || chr(10) || 'line two', ''),
            ('s2', null, null, null, null, null, null, null, null, null, null)
        ) t(id, small, big, money, ratio, flag, day, seen_at, tags, text_value, empty_text)
        """
    )
    con.execute("create table marts.rpt_sums as select sum(big) as total from marts.fct_things")
    con.execute("create view marts.not_a_mart as select 1 as x")
    result = load_postgres(
        con, database, schema="flexlens", run_id="run-1", as_of="2026-10-31T18:00:00+00:00"
    )
    assert result.row_counts == {"fct_things": 2, "rpt_sums": 1}
    parts = dict(item.split("=") for item in database.split())
    assert result.target == f"postgres@127.0.0.1:{parts['port']}/{parts['dbname']}"
    with psycopg.connect(database) as pg:
        types = dict(
            pg.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'flexlens' and table_name = 'fct_things'"
            ).fetchall()
        )
        assert types == {
            "id": "text",
            "small": "integer",
            "big": "bigint",
            "money": "numeric",
            "ratio": "double precision",
            "flag": "boolean",
            "day": "date",
            "seen_at": "timestamp with time zone",
            "tags": "text",
            "text_value": "text",
            "empty_text": "text",
        }
        rows = pg.execute("select * from flexlens.fct_things order by id").fetchall()
        assert rows[0] == (
            "s1",
            7,
            12345678901,
            Decimal("2.50"),
            0.1,
            True,
            date(2026, 10, 31),
            datetime(2026, 10, 31, 17, 59, 59, 500000, tzinfo=UTC),
            "[x, y]",
            'comma, "quote"\nline two',
            "",
        )
        assert rows[1] == ("s2", *([None] * 10))
        assert pg.execute("select total from flexlens.rpt_sums").fetchone() == (12345678901,)
        manifest = pg.execute(
            "select run_id, as_of, pii_mode, mart, row_count from flexlens.export_manifest "
            "order by mart"
        ).fetchall()
        as_of = datetime(2026, 10, 31, 18, tzinfo=UTC)
        assert manifest == [
            ("run-1", as_of, "plain", "fct_things", 2),
            ("run-1", as_of, "plain", "rpt_sums", 1),
        ]
        schemas = {
            name
            for (name,) in pg.execute(
                "select nspname from pg_namespace where nspname like 'flexlens%'"
            ).fetchall()
        }
        assert schemas == {"flexlens"}  # no load or retired schema left behind


def test_bi_reader_reads_but_cannot_write(tmp_path: Path, database: str) -> None:
    con = _warehouse(tmp_path / "w.duckdb", 3, 4)
    load_postgres(con, database, schema="flexlens", run_id="r1", as_of="2026-10-31T18:00:00Z")
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute("drop role if exists alice")
        admin.execute("create role alice login in role bi_reader")
        reader_can_login, alice_can_login = admin.execute(
            "select rolcanlogin, (select rolcanlogin from pg_roles where rolname = 'alice') "
            "from pg_roles where rolname = 'bi_reader'"
        ).fetchone()
        assert (reader_can_login, alice_can_login) == (False, True)
    alice = database.replace("user=postgres", "user=alice")
    with psycopg.connect(alice, autocommit=True) as pg:
        assert pg.execute("select count(*) from flexlens.a").fetchone() == (3,)
        for statement in (
            "insert into flexlens.a values (99)",
            "update flexlens.a set id = 0",
            "delete from flexlens.b",
            "truncate flexlens.b",
            "create table flexlens.mine (x int)",
            "create table public.mine (x int)",
            "drop table flexlens.a",
            "alter table flexlens.a add column y int",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                pg.execute(statement)
    # a second load keeps the rights on the new tables
    con.execute("create or replace table marts.a as select range as id from range(5)")
    load_postgres(con, database, schema="flexlens", run_id="r2", as_of="2026-11-01T18:00:00Z")
    with psycopg.connect(alice, autocommit=True) as pg:
        assert pg.execute("select count(*) from flexlens.a").fetchone() == (5,)
        with pytest.raises(errors.InsufficientPrivilege):
            pg.execute("insert into flexlens.a values (99)")
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute("drop owned by alice")
        admin.execute("drop role alice")


def _wait_for(dsn: str, query: str, expected: int) -> None:
    """Poll until `query` returns at least `expected` (a guard against hanging only)."""
    deadline = datetime.now(UTC).timestamp() + WAIT_LIMIT_SECONDS
    with psycopg.connect(dsn, autocommit=True) as pg:
        while pg.execute(query).fetchone()[0] < expected:
            if datetime.now(UTC).timestamp() > deadline:
                raise AssertionError(f"gave up waiting for {query!r} >= {expected}")
            pg.execute("select pg_sleep(0.05)")


WAITING_LOCKS = "select count(*) from pg_locks where not granted"
SNAPSHOT = (
    "select (select count(*) from flexlens.a), (select count(*) from flexlens.b), "
    "(select min(run_id) from flexlens.export_manifest)"
)


def test_the_swap_is_atomic_for_concurrent_readers(tmp_path: Path, database: str) -> None:
    con = _warehouse(tmp_path / "old.duckdb", 10, 20)
    load_postgres(con, database, schema="flexlens", run_id="r1", as_of="2026-10-31T18:00:00Z")
    con.close()
    new = _warehouse(tmp_path / "new.duckdb", 30, 60)
    # a BI session in the middle of a transaction: it has read `a` of the old export
    reader = psycopg.connect(database)
    assert reader.execute("select count(*) from flexlens.a").fetchone() == (10,)
    errors_seen: list[BaseException] = []
    late_result: list[tuple] = []

    def load() -> None:
        try:
            load_postgres(new, database, schema="flexlens", run_id="r2", as_of="2026-11-01Z")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors_seen.append(exc)

    def late_reader() -> None:
        with psycopg.connect(database, autocommit=True) as pg:
            late_result.append(pg.execute(SNAPSHOT).fetchone())

    loader = threading.Thread(target=load)
    loader.start()
    # the swap waits for the reader's lock on the old `a`
    _wait_for(database, WAITING_LOCKS, 1)
    # a query starting now queues behind the swap
    late = threading.Thread(target=late_reader)
    late.start()
    _wait_for(database, WAITING_LOCKS, 2)
    # the first reader still sees the old export, whole: b and the manifest of r1
    assert reader.execute("select count(*) from flexlens.b").fetchone() == (20,)
    assert reader.execute("select min(run_id) from flexlens.export_manifest").fetchone() == ("r1",)
    reader.commit()
    loader.join(WAIT_LIMIT_SECONDS)
    late.join(WAIT_LIMIT_SECONDS)
    assert not loader.is_alive() and not late.is_alive()
    assert errors_seen == []
    # the query that waited reads the new export, whole
    assert late_result == [(30, 60, "r2")]
    assert reader.execute(SNAPSHOT).fetchone() == (30, 60, "r2")
    reader.close()


def test_a_failed_load_leaves_the_served_export_alone(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = _warehouse(tmp_path / "w.duckdb", 10, 20)
    load_postgres(con, database, schema="flexlens", run_id="r1", as_of="2026-10-31T18:00:00Z")
    con.execute("create or replace table marts.a as select range as id from range(99)")
    copy_mart = postgres._copy_mart

    def fail_on_b(con, pg, mart, *args, **kwargs):
        if mart == "b":
            raise RuntimeError("disk full while loading b")
        return copy_mart(con, pg, mart, *args, **kwargs)

    monkeypatch.setattr(postgres, "_copy_mart", fail_on_b)
    with pytest.raises(RuntimeError, match="disk full while loading b"):
        load_postgres(con, database, schema="flexlens", run_id="r2", as_of="2026-11-01Z")
    with psycopg.connect(database) as pg:
        assert pg.execute(SNAPSHOT).fetchone() == (10, 20, "r1")
        leftovers = pg.execute(
            "select count(*) from pg_namespace where nspname in ('flexlens_load', "
            "'flexlens_retired')"
        ).fetchone()
        assert leftovers == (0,)


def test_pseudonymised_load_matches_the_files(tmp_path: Path, database: str) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_users as select * from (values "
        "('m.moss@acme.example', 'Maurice Moss', 'IT')) t(user_key, display_name, department)"
    )
    pseudonymiser = Pseudonymiser(b"a-secret-key-of-32-characters!!!")
    load_postgres(
        con,
        database,
        schema="flexlens",
        run_id="r1",
        as_of="2026-10-31T18:00:00Z",
        pseudonymiser=pseudonymiser,
    )
    with psycopg.connect(database) as pg:
        row = pg.execute("select user_key, display_name, department from flexlens.dim_users")
        assert row.fetchone() == (
            pseudonymiser.pseudonym("m.moss@acme.example"),
            pseudonymiser.pseudonym("Maurice Moss"),
            "IT",
        )
        assert pg.execute("select min(pii_mode) from flexlens.export_manifest").fetchone() == (
            "pseudonymised",
        )


def test_connection_failures_never_show_the_password() -> None:
    dsn = "postgresql://loader:s3cret-pw@127.0.0.1:1/warehouse"
    assert describe_dsn(dsn) == "loader@127.0.0.1:1/warehouse"
    with pytest.raises(PostgresLoadError) as failure:
        postgres.connect(dsn)
    assert str(failure.value).startswith("cannot connect to loader@127.0.0.1:1/warehouse: ")
    assert "s3cret" not in str(failure.value)


@pytest.mark.parametrize(
    ("duckdb_type", "expected"),
    [
        ("VARCHAR", "text"),
        ("DECIMAL(28,6)", "numeric(28,6)"),
        ("HUGEINT", "numeric"),
        ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
        ("VARCHAR[]", None),
        ("STRUCT(a INTEGER)", None),
    ],
)
def test_type_mapping(duckdb_type: str, expected: str | None) -> None:
    assert postgres_type(duckdb_type) == expected


def test_a_swap_that_cannot_get_the_tables_gives_up_cleanly(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = _warehouse(tmp_path / "w.duckdb", 10, 20)
    load_postgres(con, database, schema="flexlens", run_id="r1", as_of="2026-10-31T18:00:00Z")
    monkeypatch.setattr(postgres, "SWAP_LOCK_TIMEOUT", "50ms")
    monkeypatch.setattr(postgres, "SWAP_ATTEMPTS", 2)
    monkeypatch.setattr(postgres, "SWAP_PAUSE_SECONDS", 0)
    with psycopg.connect(database) as reader:
        # a long BI query: it holds the old table for the whole load
        assert reader.execute("select count(*) from flexlens.a").fetchone() == (10,)
        with pytest.raises(PostgresLoadError, match="could not swap schema flexlens in after 2"):
            load_postgres(con, database, schema="flexlens", run_id="r2", as_of="2026-11-01Z")
        assert reader.execute(SNAPSHOT).fetchone() == (10, 20, "r1")
    with psycopg.connect(database) as pg:
        assert pg.execute(SNAPSHOT).fetchone() == (10, 20, "r1")
        assert pg.execute(
            "select count(*) from pg_namespace where nspname = 'flexlens_load'"
        ).fetchone() == (0,)
