"""The dbt project as Dagster sees it (kept apart from @dbt_assets so it imports cheaply)."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtProject

from connectors.engines import DBT_TARGET_ENV, DEFAULT_ENGINE
from orchestration.resources import dbt_project_dir, dbt_target_path

MODEL_PATHS = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def dbt_project(engine: str | None = None) -> DbtProject:
    """The project for an engine (default: the one `export_dbt_environment` chose)."""
    engine = engine or os.environ.get(DBT_TARGET_ENV) or DEFAULT_ENGINE
    folder = dbt_project_dir()
    return DbtProject(
        project_dir=folder,
        profiles_dir=folder,
        target=engine,
        target_path=dbt_target_path(engine),
    )


def manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest is missing or older than any file of the dbt project."""
    manifest: Path = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for name in MODEL_PATHS:
        path = Path(project.project_dir) / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


def prepare_manifest(force: bool = False, engine: str | None = None) -> DbtProject:
    """Parse the dbt project for an engine when its manifest is missing or stale (Dagster loads
    it)."""
    project = dbt_project(engine)
    if force or manifest_is_stale(project):
        project.preparer.prepare(project)
    return project
