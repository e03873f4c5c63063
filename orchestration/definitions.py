"""The one Dagster entry point: `dagster dev -m orchestration.definitions` or `make dev`."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.export.assets import build_export_asset
from orchestration.defs.ingest.assets import run_context, source_assets
from orchestration.defs.jobs import build_daily_schedule, daily_job
from orchestration.defs.transform.assets import build_dbt_assets, mart_asset_keys
from orchestration.defs.transform.project import prepare_manifest
from orchestration.resources import FlexlensSettings, dbt_executable, export_dbt_environment
from orchestration.settings import Settings, load_settings


def build_definitions(
    settings: Settings | None = None,
    *,
    settings_resource: FlexlensSettings | None = None,
    loggers: dict[str, dg.LoggerDefinition] | None = None,
) -> dg.Definitions:
    """Everything Dagster runs, for one installation's settings."""
    resource = settings_resource or FlexlensSettings()
    settings = settings or resource.load()
    export_dbt_environment(settings)
    project = prepare_manifest()
    dbt_build = build_dbt_assets(project)
    exports = build_export_asset(mart_asset_keys(project.manifest_path))
    return dg.Definitions(
        assets=[run_context, *source_assets, dbt_build, exports],
        jobs=[daily_job],
        schedules=[build_daily_schedule(settings)],
        resources={
            "flexlens": resource,
            "dbt": DbtCliResource(project_dir=project, dbt_executable=dbt_executable()),
        },
        loggers=loggers,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
