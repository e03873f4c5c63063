"""Token warnings as Dagster asset checks: run-out soon, tokens expiring unused, overdrawn days.

They warn and never block: each result has severity WARN, so the export goes ahead and the
warnings appear in the run's output, the Dagster UI and rpt_data_quality. The wording comes from
facts.py, which the run summary shares. They are declared ``blocking=True`` only so that
Dagster orders the data-quality report and the export after them (a WARN result never stops a
downstream asset), and their outcomes always reach rpt_data_quality and manifest.json.
"""

from pathlib import Path

import dagster as dg

from orchestration.defs.tokens.facts import (
    DESCRIPTIONS,
    MART_OF_CHECK,
    TokenWarning,
    token_warnings,
)
from orchestration.resources import FlexlensSettings, warehouse_connection

CHECKS_NAME = "token_warnings"


def _mart_keys(manifest_path: Path) -> dict[str, dg.AssetKey]:
    """The asset keys of the token marts, as the dbt assets name them."""
    import json

    from orchestration.defs.transform.assets import TRANSLATOR

    manifest = json.loads(manifest_path.read_text())
    wanted = set(MART_OF_CHECK.values())
    return {
        node["name"]: TRANSLATOR.get_asset_key(node)
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"] in wanted
    }


def build_token_checks(manifest_path: Path) -> list[dg.AssetChecksDefinition]:
    """The token checks on the marts of this manifest (none when the token marts are absent)."""
    keys = _mart_keys(manifest_path)
    specs = [
        dg.AssetCheckSpec(
            name=check, asset=keys[mart], description=DESCRIPTIONS[check], blocking=True
        )
        for check, mart in MART_OF_CHECK.items()
        if mart in keys
    ]
    if not specs:
        return []

    @dg.multi_asset_check(specs=specs, name=CHECKS_NAME, can_subset=True)
    def token_checks(context: dg.AssetCheckExecutionContext, flexlens: FlexlensSettings):
        settings = flexlens.load()
        with warehouse_connection(settings, read_only=True) as con:
            found = {warning.check: warning for warning in token_warnings(con)}
        for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.name):
            warning = found.get(check_key.name) or TokenWarning(
                check_key.name, True, f"Nothing to check: {MART_OF_CHECK[check_key.name]} is empty."
            )
            if not warning.passed:
                context.log.warning(warning.summary)
            yield dg.AssetCheckResult(
                asset_key=keys[warning.mart],
                check_name=warning.check,
                passed=warning.passed,
                severity=dg.AssetCheckSeverity.WARN,
                description=warning.summary,
                metadata={"summary": warning.summary, **_metadata(warning.metadata)},
            )

    return [token_checks]


def _metadata(values: dict[str, object]) -> dict[str, dg.MetadataValue]:
    converted: dict[str, dg.MetadataValue] = {}
    for name, value in values.items():
        if isinstance(value, list | dict):
            converted[name] = dg.MetadataValue.json(value)
        elif isinstance(value, bool) or value is None:
            converted[name] = dg.MetadataValue.text(str(value))
        elif isinstance(value, int | float):
            converted[name] = dg.MetadataValue.float(float(value))
        else:
            converted[name] = dg.MetadataValue.text(str(value))
    return converted
