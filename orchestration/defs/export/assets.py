"""Export: the marts, once every blocking check has passed, to <exports>/latest and PostgreSQL."""

import os
from pathlib import Path

import dagster as dg

from orchestration.defs.export.exports import write_export
from orchestration.defs.export.pseudonymise import pseudonymiser_for
from orchestration.defs.quality.report import outcome_records, outcomes_from_run
from orchestration.resources import FlexlensSettings, warehouse_connection

EXPORT_KEY = dg.AssetKey(["exports", "latest"])
POSTGRES_KEY = dg.AssetKey(["exports", "postgres"])


def build_export_asset(mart_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=EXPORT_KEY,
        group_name="export",
        deps=mart_keys,
        description=(
            "Every mart as Parquet and CSV in <exports>/<run>/ with manifest.json (row counts, "
            "sha256, check outcomes), then swapped into latest/."
        ),
    )
    def exports_latest(
        context: dg.AssetExecutionContext, flexlens: FlexlensSettings
    ) -> dg.MaterializeResult:
        settings = flexlens.load()
        pseudonymiser = pseudonymiser_for(settings.pii_mode, os.environ)
        checks = outcome_records(outcomes_from_run(context.instance, context.run.run_id))
        with warehouse_connection(settings, read_only=True) as con:
            as_of = con.execute("select as_of from raw.run_context").fetchall()[0][0]
            result = write_export(
                con,
                Path(settings.exports_dir),
                run_id=context.run.run_id,
                as_of=as_of,
                formats=tuple(settings.export_formats),
                retention_runs=settings.export_retention_runs,
                csv_bom=settings.csv_bom,
                pseudonymiser=pseudonymiser,
                checks=checks,
            )
        context.log.info(
            f"exports written to {result.latest} -> {result.run_folder.name} "
            f"(PII {settings.pii_mode})"
        )
        return dg.MaterializeResult(
            metadata={
                "folder": dg.MetadataValue.path(str(result.run_folder)),
                "marts": len(result.row_counts),
                "pii_mode": settings.pii_mode,
                **{f"rows.{name}": count for name, count in result.row_counts.items()},
            }
        )

    return exports_latest


@dg.asset(
    key=POSTGRES_KEY,
    group_name="export",
    deps=[EXPORT_KEY],
    output_required=False,
    description=(
        "Every mart loaded into PostgreSQL (COPY into a load schema, swapped into the serving "
        "schema in one transaction, read-only role bi_reader) when FLEXLENS_POSTGRES_DSN is set."
    ),
)
def exports_postgres(context: dg.AssetExecutionContext, flexlens: FlexlensSettings):
    from orchestration.defs.export.postgres import DSN_ENV, load_postgres

    dsn = os.environ.get(DSN_ENV)
    if not dsn:
        context.log.info(f"{DSN_ENV} not set: no PostgreSQL delivery")
        return
    settings = flexlens.load()
    pseudonymiser = pseudonymiser_for(settings.pii_mode, os.environ)
    with warehouse_connection(settings, read_only=True) as con:
        as_of = con.execute("select as_of from raw.run_context").fetchall()[0][0]
        result = load_postgres(
            con,
            dsn,
            schema=settings.postgres_schema,
            run_id=context.run.run_id,
            as_of=as_of,
            pseudonymiser=pseudonymiser,
        )
    context.log.info(
        f"PostgreSQL {result.target}: {len(result.row_counts)} marts swapped into schema "
        f"{result.schema}"
    )
    yield dg.MaterializeResult(
        asset_key=POSTGRES_KEY,
        metadata={
            "target": result.target,
            "schema": result.schema,
            **{f"rows.{name}": count for name, count in result.row_counts.items()},
        },
    )
