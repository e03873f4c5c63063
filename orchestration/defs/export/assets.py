"""Export: the marts, once every blocking check has passed, to <exports>/latest."""

from pathlib import Path

import dagster as dg

from orchestration.defs.export.exports import write_export
from orchestration.resources import FlexlensSettings, warehouse_connection


def build_export_asset(mart_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=["exports", "latest"],
        group_name="export",
        deps=mart_keys,
        description="Every mart as Parquet and CSV in <exports>/<run>/, then swapped into latest/.",
    )
    def exports_latest(
        context: dg.AssetExecutionContext, flexlens: FlexlensSettings
    ) -> dg.MaterializeResult:
        settings = flexlens.load()
        with warehouse_connection(settings, read_only=True) as con:
            as_of = con.execute("select as_of from raw.run_context").fetchall()[0][0]
            result = write_export(
                con,
                Path(settings.exports_dir),
                run_id=context.run.run_id,
                as_of=as_of,
                formats=tuple(settings.export_formats),
                retention_runs=settings.export_retention_runs,
            )
        context.log.info(f"exports written to {result.latest} -> {result.run_folder.name}")
        return dg.MaterializeResult(
            metadata={
                "folder": dg.MetadataValue.path(str(result.run_folder)),
                "marts": len(result.row_counts),
                **{f"rows.{name}": count for name, count in result.row_counts.items()},
            }
        )

    return exports_latest
