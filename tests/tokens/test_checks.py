"""The token warnings are Dagster asset checks that warn and never block, on the token marts."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.tokens.facts import (
    EXPIRING_UNUSED,
    OVERDRAWN_DAYS,
    RUN_OUT,
    summary_lines,
    token_warnings,
)
from orchestration.settings import Settings


def test_token_checks_are_registered_as_warnings_on_their_marts() -> None:
    from orchestration.definitions import build_definitions

    graph = build_definitions(Settings()).resolve_asset_graph()
    expected = {
        RUN_OUT: "marts/rpt_token_forecast",
        EXPIRING_UNUSED: "marts/rpt_token_pack_forecast",
        OVERDRAWN_DAYS: "marts/rpt_token_balance_daily",
    }
    for check, mart in expected.items():
        key = dg.AssetCheckKey(dg.AssetKey(mart.split("/")), check)
        assert key in graph.asset_check_keys, key
        spec = graph.get_check_spec(key)
        # ordered before the report and export, but its results are WARN: it never stops them
        assert spec.blocking is True
        assert "Never blocks" in (spec.description or "")
    # the invariants of the token marts are dbt tests that Dagster shows on the marts
    for mart, test in (
        ("fct_token_ledger", "assert_token_ledger_draws_every_charged_token"),
        ("rpt_token_balance_daily", "assert_token_balance_identity_holds_day_to_day"),
        ("fct_token_draws", "assert_token_draws_respect_pack_rules"),
        ("rpt_token_forecast_daily", "assert_token_forecast_balance_identity_holds"),
    ):
        assert dg.AssetCheckKey(dg.AssetKey(["marts", mart]), test) in graph.asset_check_keys


def test_nothing_to_say_before_the_token_marts_exist(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        assert token_warnings(con) == []
        assert summary_lines(con) == []


def test_reconciliation_summary_counts_the_common_period_only(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "recon.duckdb")) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.rpt_billing_reconciliation as select * from (values "
            "('match', true), ('match', true), ('match', true), ('differs', true), "
            "('missing_in_agent_logs', true), ('not_reported', true), ('not_reported', true), "
            "('not_reported', true), ('not_reported', false)) as t(status, is_in_common_period)"
        )
        assert summary_lines(con) == [
            "reconcile:  37.5% of 8 person x product x days match Autodesk (1 differ, "
            "1 missing in agent logs, 3 not reported)"
        ]
