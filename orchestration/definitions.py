"""The one Dagster entry point: `dagster dev -m orchestration.definitions` or `make dev`."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.export.assets import build_export_asset, exports_postgres
from orchestration.defs.extract.assets import build_extract_definitions, wire_extract_deps
from orchestration.defs.ingest.assets import run_context, source_assets
from orchestration.defs.jobs import build_daily_schedule, daily_job
from orchestration.defs.quality.assets import (
    REPORT_KEY,
    build_data_quality_report,
    build_quality_checks,
)
from orchestration.defs.report.assets import exports_report
from orchestration.defs.tokens.checks import build_token_checks
from orchestration.defs.transform.assets import build_dbt_assets, mart_asset_keys
from orchestration.defs.transform.project import prepare_manifest
from orchestration.resources import FlexlensSettings, dbt_executable, export_dbt_environment
from orchestration.settings import Settings, load_settings


def build_definitions(
    settings: Settings | None = None,
    *,
    settings_resource: FlexlensSettings | None = None,
    loggers: dict[str, dg.LoggerDefinition] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dg.Definitions:
    """Everything Dagster runs, for one installation's settings.

    The API pulls (orchestration/defs/extract) are included only when their credentials are in
    ``environ`` (default: the process environment).
    """
    resource = settings_resource or FlexlensSettings()
    settings = settings or resource.load()
    export_dbt_environment(settings)
    project = prepare_manifest()
    dbt_build = build_dbt_assets(project)
    marts = mart_asset_keys(project.manifest_path)
    quality = [build_quality_checks(project.manifest_path), build_data_quality_report(marts)]
    exports = build_export_asset([*marts, REPORT_KEY])
    extract = build_extract_definitions(environ)
    loads = wire_extract_deps(source_assets, extract)
    return dg.Definitions(
        assets=[
            run_context,
            *loads,
            dbt_build,
            *quality,
            *build_token_checks(project.manifest_path),
            exports,
            exports_postgres,
            exports_report,
            *extract.assets,
        ],
        jobs=[daily_job],
        schedules=[build_daily_schedule(settings)],
        resources={
            "flexlens": resource,
            "dbt": DbtCliResource(project_dir=project, dbt_executable=dbt_executable()),
            **extract.resources,
        },
        loggers=loggers,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
