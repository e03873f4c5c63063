"""The daily job (every asset, in dependency order) and its schedule."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.ingest.assets import AS_OF_TAG
from orchestration.settings import Settings

DAILY_JOB = "daily_pipeline"

daily_job = dg.define_asset_job(
    name=DAILY_JOB,
    selection=dg.AssetSelection.all(),
    description="Load the landing folder, build and test every model, export the marts.",
)


def build_daily_schedule(settings: Settings) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="daily_pipeline_schedule",
        job=daily_job,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="The daily run; its as-of is the scheduled time.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        as_of = context.scheduled_execution_time.isoformat()
        return dg.RunRequest(run_key=as_of, tags={AS_OF_TAG: as_of})

    return _schedule
