"""Dagster resources: the settings, the warehouse connection and the dbt CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def dbt_project_dir() -> Path:
    """The dbt project (FLEXLENS_DBT_PROJECT_DIR points at another copy, e.g. in tests)."""
    return Path(os.environ.get("FLEXLENS_DBT_PROJECT_DIR") or DBT_PROJECT_DIR)


class FlexlensSettings(dg.ConfigurableResource):
    """The installation's settings file plus the run's path overrides (None = from the file)."""

    settings_file: str | None = None
    landing_dir: str | None = None
    warehouse: str | None = None
    exports_dir: str | None = None

    def load(self) -> Settings:
        settings = load_settings(self.settings_file)
        overrides = {
            "landing_dir": self.landing_dir,
            "warehouse": self.warehouse,
            "exports_dir": self.exports_dir,
        }
        return settings.with_overrides(
            **{key: Path(value).resolve() for key, value in overrides.items() if value}
        )


@contextmanager
def warehouse_connection(settings: Settings, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection: DuckDB allows one writer process, and dbt runs in another."""
    path = Path(settings.warehouse)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config={"TimeZone": "UTC"})
    try:
        yield con
    finally:
        con.close()


def export_dbt_environment(settings: Settings) -> None:
    """Point dbt (parse and run alike, so partial parsing holds) at this warehouse; no telemetry."""
    os.environ["FLEXLENS_WAREHOUSE"] = str(settings.warehouse)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
