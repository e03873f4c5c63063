"""Dagster resources: the settings, the warehouse connection and the dbt CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from connectors.engines import DBT_TARGET_ENV, DEFAULT_ENGINE, SESSION_TIMEZONE_ENV, SPARK_DIR_ENV
from orchestration.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def dbt_project_dir() -> Path:
    """The dbt project (FLEXLENS_DBT_PROJECT_DIR points at another copy, e.g. in tests)."""
    return Path(os.environ.get("FLEXLENS_DBT_PROJECT_DIR") or DBT_PROJECT_DIR)


class FlexlensSettings(dg.ConfigurableResource):
    """The installation's settings: read from the settings file (see orchestration/settings.py),
    or, for a run started from the command line, the exact settings it resolved (as JSON)."""

    settings_file: str | None = None
    resolved_json: str | None = None

    def load(self) -> Settings:
        if self.resolved_json:
            return Settings.model_validate_json(self.resolved_json)
        return load_settings(self.settings_file)

    @classmethod
    def of(cls, settings: Settings) -> FlexlensSettings:
        return cls(resolved_json=settings.model_dump_json())


@contextmanager
def warehouse_connection(
    settings: Settings, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection: DuckDB allows one writer process, and dbt runs in another."""
    path = Path(settings.warehouse)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def dbt_executable() -> str:
    """The dbt of this environment (the virtualenv need not be on PATH)."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def dbt_target_path(engine: str) -> Path:
    """dbt's target folder (relative to the project) for an engine: one manifest per engine,
    since the engines build different nodes (the DuckDB-only Python model)."""
    return Path("target") if engine == DEFAULT_ENGINE else Path("target") / engine


def spark_dir(settings: Settings) -> Path:
    """Where a Spark engine keeps its tables and metastore: $FLEXLENS_SPARK_DIR, else a folder
    `spark` beside the warehouse file."""
    chosen = os.environ.get(SPARK_DIR_ENV)
    return Path(chosen).resolve() if chosen else Path(settings.warehouse).parent / "spark"


def export_dbt_environment(settings: Settings) -> None:
    """Point dbt (parse and run alike, so partial parsing holds) at this warehouse and engine;
    no telemetry."""
    os.environ["FLEXLENS_WAREHOUSE"] = str(settings.warehouse)
    os.environ[DBT_TARGET_ENV] = settings.engine
    if settings.engine == "spark":
        os.environ[SPARK_DIR_ENV] = str(spark_dir(settings))
    if settings.engine == "postgres" and os.environ.get(SESSION_TIMEZONE_ENV):
        # dbt-postgres has no session setting: libpq applies PGTZ to every connection
        os.environ["PGTZ"] = os.environ[SESSION_TIMEZONE_ENV]
    # dagster-dbt looks for `dbt` on PATH: this environment's comes first
    bin_dir = str(Path(dbt_executable()).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
