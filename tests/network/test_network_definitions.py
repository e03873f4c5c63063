"""The network source and marts are part of the Dagster definitions without code of their own."""

from __future__ import annotations

from dagster import AssetKey

from orchestration.definitions import build_definitions
from orchestration.settings import Settings


def test_flexlm_raw_tables_and_network_marts_are_assets() -> None:
    defs = build_definitions(Settings())
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    for expected in (
        "raw/flexlm_sessions",
        "raw/flexlm_events",
        "raw/flexlm_licences",
        "marts/rpt_network_concurrency",
        "marts/rpt_network_concurrency_curve",
        "marts/rpt_named_user_sizing",
    ):
        assert expected in keys
    load = defs.resolve_assets_def(AssetKey(["raw", "flexlm_sessions"]))
    assert {k.to_user_string() for k in load.keys} == {
        "raw/flexlm_sessions",
        "raw/flexlm_events",
        "raw/flexlm_licences",
    }
