"""Shared fixtures: a small generated organisation, and a clean environment per test."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

SMALL_ORG_END = date(2026, 10, 31)


@pytest.fixture(autouse=True)
def _no_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("DAGSTER_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # no settings, paths or API credentials leak in from the developer's shell
    for name in list(os.environ):
        if name.startswith(("FLEXLENS_APS_", "FLEXLENS_GRAPH_")) or name in (
            "FLEXLENS_SETTINGS",
            "FLEXLENS_LANDING",
            "FLEXLENS_EXPORTS",
            "FLEXLENS_DBT_PROJECT_DIR",
            "FLEXLENS_ENGINE",
            "FLEXLENS_DBT_SESSION_TIMEZONE",
            "FLEXLENS_SPARK_DIR",
            "PGTZ",
        ):
            monkeypatch.delenv(name, raising=False)
    # dbt reads the warehouse path and target from here; restore whatever a test's run sets
    monkeypatch.setenv("FLEXLENS_WAREHOUSE", os.environ.get("FLEXLENS_WAREHOUSE", ""))
    monkeypatch.delenv("FLEXLENS_DBT_TARGET", raising=False)


@pytest.fixture(scope="session")
def small_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated organisation of 40 people over 3 months (landing folder), made once."""
    from connectors.sample import generate_organisation

    landing = tmp_path_factory.mktemp("small_org") / "landing"
    generate_organisation(landing, people=40, months=3, seed=11, fmt="csv", end=SMALL_ORG_END)
    return landing
