"""Transform: every dbt model, seed and test as Dagster assets and checks."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from connectors.raw_schema import RAW_SCHEMA
from orchestration.defs.transform.engines import copy_marts_from_engine, copy_raw_to_engine
from orchestration.resources import FlexlensSettings, dbt_target_path


class FlexlensTranslator(DagsterDbtTranslator):
    """Sources are the raw tables the ingest assets write; models are grouped by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([RAW_SCHEMA, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        if len(fqn) > 2 and fqn[1] in ("staging", "intermediate", "marts"):
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


TRANSLATOR = FlexlensTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def mart_asset_keys(manifest_path: Path) -> list[dg.AssetKey]:
    """The asset keys of every model under models/marts (what the export writes)."""
    import json

    manifest = json.loads(manifest_path.read_text())
    keys = []
    for node in manifest["nodes"].values():
        is_mart = node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
        if is_mart and node.get("config", {}).get("enabled", True):
            keys.append(TRANSLATOR.get_asset_key(node))
    return sorted(keys, key=lambda key: key.to_user_string())


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=TRANSLATOR,
        name="dbt_build",
    )
    def _dbt_build(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, flexlens: FlexlensSettings
    ):
        settings = flexlens.load()
        # on PostgreSQL or Spark: the raw tables go there first, the marts come back after
        copy_raw_to_engine(settings, dbt, context.log.info)
        # one fixed target folder per engine: partial parsing is reused, no folder left per run
        invocation = dbt.cli(
            ["build"], context=context, target_path=dbt_target_path(settings.engine)
        )
        yield from invocation.stream()
        copy_marts_from_engine(settings, dbt, Path(project.manifest_path), context.log.info)

    return _dbt_build
