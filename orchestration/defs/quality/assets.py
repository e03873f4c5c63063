"""Quality gate: Great Expectations checks on every mart, then `marts/rpt_data_quality`.

After dbt build, one step (`quality_checks`) evaluates every planned check (rules.py) as a Dagster
asset check on its mart. A failed blocking check fails that step, so nothing downstream runs:
neither rpt_data_quality nor the export. Warnings are reported and the run goes on. Every spec is
declared `blocking` so that whatever reads the marts waits for all of them; a warning check
reports its failures with severity WARN, which never blocks.

`marts/rpt_data_quality` then gathers the run's quarantine counts and every check outcome
(dbt tests and these checks, from Dagster's event log) into a table exported like any mart.
"""

from datetime import datetime
from pathlib import Path

import dagster as dg

from orchestration.defs.quality.report import (
    BLOCKING_KEY,
    CHECKED_BY_KEY,
    FAILING_ROWS_KEY,
    outcomes_from_run,
    write_data_quality_report,
)
from orchestration.defs.quality.rules import load_manifest, mart_nodes, plan_checks
from orchestration.defs.quality.suites import QualitySettings, run_quality_checks
from orchestration.resources import FlexlensSettings, warehouse_connection

REPORT_KEY = dg.AssetKey(["marts", "rpt_data_quality"])
GROUP = "quality"


def _as_of(con) -> datetime:
    return con.execute(
        "select cast(as_of as timestamp with time zone) from raw.run_context"
    ).fetchone()[0]


def build_quality_checks(manifest_path: Path) -> dg.AssetChecksDefinition:
    """The quality checks of the marts in this dbt manifest (no code per mart)."""
    from orchestration.defs.transform.assets import TRANSLATOR

    manifest = load_manifest(manifest_path)
    keys = {name: TRANSLATOR.get_asset_key(node) for name, node in mart_nodes(manifest).items()}
    plan = plan_checks(manifest)
    specs = [
        dg.AssetCheckSpec(
            name=check.name,
            asset=keys[check.mart],
            description=check.description,
            blocking=True,
            additional_deps=[keys[other] for other in check.additional_marts],
            metadata={BLOCKING_KEY: check.blocking},
        )
        for check in plan.checks
    ]

    @dg.multi_asset_check(specs=specs, name="quality_checks", can_subset=False)
    def quality_checks(context: dg.AssetCheckExecutionContext, flexlens: FlexlensSettings):
        settings = flexlens.load()
        quality = QualitySettings(
            freshness_limit_hours=settings.freshness_limit_hours,
            volume_band=settings.volume_band,
            volume_history_runs=settings.volume_history_runs,
        )
        with warehouse_connection(settings) as con:
            outcomes = run_quality_checks(
                con, plan, as_of=_as_of(con), run_id=context.run.run_id, settings=quality
            )
        for outcome in outcomes:
            yield dg.AssetCheckResult(
                asset_key=keys[outcome.asset],
                check_name=outcome.check,
                passed=outcome.passed,
                severity=(
                    dg.AssetCheckSeverity.ERROR if outcome.blocking else dg.AssetCheckSeverity.WARN
                ),
                description=outcome.summary,
                metadata={
                    CHECKED_BY_KEY: outcome.checked_by,
                    BLOCKING_KEY: outcome.blocking,
                    FAILING_ROWS_KEY: outcome.failing_rows or 0,
                    "expectations": dg.MetadataValue.json(outcome.details),
                },
            )
        failed = [f"{o.asset}:{o.check}" for o in outcomes if o.outcome == "failed"]
        warned = [f"{o.asset}:{o.check}" for o in outcomes if o.outcome == "warned"]
        context.log.info(
            f"{len(outcomes)} quality checks: {len(outcomes) - len(failed) - len(warned)} "
            f"passed, {len(warned)} warned, {len(failed)} failed"
            + (f" ({', '.join(failed)})" if failed else "")
        )

    return quality_checks


def build_data_quality_report(mart_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=REPORT_KEY,
        group_name=GROUP,
        deps=mart_keys,
        description=(
            "One row per run x source x reason of quarantined rows, and one per check (dbt tests "
            "and Great Expectations) with its outcome. Exported like any mart."
        ),
    )
    def rpt_data_quality(
        context: dg.AssetExecutionContext, flexlens: FlexlensSettings
    ) -> dg.MaterializeResult:
        settings = flexlens.load()
        run_id = context.run.run_id
        outcomes = outcomes_from_run(context.instance, run_id)
        with warehouse_connection(settings) as con:
            rows = write_data_quality_report(
                con, run_id=run_id, as_of=_as_of(con), outcomes=outcomes
            )
        warned = sorted(f"{o.asset}:{o.check}" for o in outcomes if o.outcome == "warned")
        context.log.info(
            f"rpt_data_quality: {rows} rows, {len(outcomes)} check outcomes"
            + (f", warnings: {', '.join(warned)}" if warned else "")
        )
        return dg.MaterializeResult(
            metadata={"rows": rows, "checks": len(outcomes), "warned": ", ".join(warned)}
        )

    return rpt_data_quality
