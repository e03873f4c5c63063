"""Ingest: the run context and one asset per landing source, loaded into the raw schema."""

from datetime import UTC, datetime

import dagster as dg

from connectors.load import SOURCE_TABLES, SourceLoadResult, ensure_raw_tables, load_source
from connectors.raw_schema import RAW_SCHEMA, RUN_CONTEXT_COLUMNS, RUN_CONTEXT_TABLE
from orchestration.resources import FlexlensSettings, warehouse_connection

AS_OF_TAG = "flexlens/as_of"
GROUP = "ingest"


def parse_as_of(text: str | None) -> datetime:
    """The run's cut-off instant: ISO 8601 with an offset (naive is refused); default now."""
    if not text:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"--as-of {text!r} is not an ISO 8601 timestamp") from exc
    if value.tzinfo is None:
        raise ValueError(f"--as-of {text!r} has no UTC offset (write e.g. {text}+00:00)")
    return value.astimezone(UTC)


@dg.asset(
    key=[RAW_SCHEMA, RUN_CONTEXT_TABLE],
    group_name=GROUP,
    description=(
        "One row: the run id, its as-of cut-off (run tag flexlens/as_of, default now) and the "
        "settings the models need."
    ),
)
def run_context(
    context: dg.AssetExecutionContext, flexlens: FlexlensSettings
) -> dg.MaterializeResult:
    settings = flexlens.load()
    as_of = parse_as_of(context.run.tags.get(AS_OF_TAG))
    # every other column of raw.run_context is the setting of the same name
    row = {
        name: getattr(settings, name)
        for name in RUN_CONTEXT_COLUMNS
        if name not in ("run_id", "as_of", "org_timezone")
    }
    row.update(run_id=context.run.run_id, as_of=as_of.isoformat(), org_timezone=settings.timezone)
    columns = ", ".join(f"{name} {kind}" for name, kind in RUN_CONTEXT_COLUMNS.items())
    with warehouse_connection(settings) as con:
        ensure_raw_tables(con)
        con.execute(f"create or replace table {RAW_SCHEMA}.{RUN_CONTEXT_TABLE} ({columns})")
        placeholders = ", ".join("?" for _ in RUN_CONTEXT_COLUMNS)
        con.execute(
            f"insert into {RAW_SCHEMA}.{RUN_CONTEXT_TABLE} values ({placeholders})",
            [row[name] for name in RUN_CONTEXT_COLUMNS],
        )
    context.log.info(f"as-of {row['as_of']}, time zone {settings.timezone}")
    return dg.MaterializeResult(metadata={"as_of": row["as_of"], "timezone": settings.timezone})


def _result_metadata(result: SourceLoadResult) -> dict[str, dg.MetadataValue | int | str]:
    return {
        "files_seen": result.files_seen,
        "files_loaded": result.files_loaded,
        "files_unchanged": result.files_unchanged,
        "rows_loaded": result.rows_loaded,
        "rows_quarantined": result.rows_quarantined,
    }


def _make_source_asset(source: str, tables: tuple[str, ...]) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=[RAW_SCHEMA, table],
            group_name=GROUP,
            deps=[[RAW_SCHEMA, RUN_CONTEXT_TABLE]],
            description=f"Rows of landing folder {source}/ as read (text), with file and row.",
        )
        for table in tables
    ]

    @dg.multi_asset(name=f"load_{source}", specs=specs, can_subset=False)
    def _load(context: dg.AssetExecutionContext, flexlens: FlexlensSettings):
        settings = flexlens.load()
        with warehouse_connection(settings) as con:
            result = load_source(
                con, settings.landing_dir, source, ad_column_map=settings.ad_column_map or None
            )
        context.log.info(
            f"{source}: {result.files_loaded} file(s) loaded, {result.files_unchanged} unchanged, "
            f"{result.rows_loaded} rows, {result.rows_quarantined} quarantined"
        )
        for spec in specs:
            yield dg.MaterializeResult(asset_key=spec.key, metadata=_result_metadata(result))

    return _load


source_assets = [_make_source_asset(source, tables) for source, tables in SOURCE_TABLES.items()]
