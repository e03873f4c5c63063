"""Which quality checks apply to which mart: read from the dbt manifest, never written per mart.

Every model under ``models/marts`` gets, from what its YAML already declares:

- ``keys`` (blocking): every column with a ``unique`` test is unique, every ``unique_combination``
  is unique, every column with a ``not_null`` test has no nulls;
- ``accepted_values`` (blocking): every ``accepted_values`` test, plus the value lists the marts
  contract fixes (statuses, recommendation kinds: ``CONTRACT_ACCEPTED_VALUES``);
- ``non_negative`` (blocking): every token column (named ``tokens``, ``tokens_*`` or ``*_tokens``)
  and every column with a ``non_negative`` test is >= 0;
- ``row_volume`` (warning): the row count lies within ``volume_band`` of the median of the
  earlier runs;

and, where the marts exist, ``sessions_fresh`` on fct_sessions (warning) and
``tokens_match_usage_windows`` on fct_token_ledger (blocking: tokens drawn in the ledger equal
tokens charged in fct_usage_windows). Only dbt tests of severity error are mirrored, and tests
with a ``where`` filter are left to dbt alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARTS_FOLDER = "marts"

# value lists fixed by the marts contract (../shared/spec/marts-contract.md), checked in
# addition to the models' own accepted_values tests; a mart or column that does not exist yet
# is simply not checked
CONTRACT_ACCEPTED_VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "dim_users": {"status": ("active", "left")},
    "fct_usage_windows": {
        "opened_by": ("launch", "renewal"),
        "charge_status": ("charged", "grace", "covered_by_subscription", "rate_unknown"),
    },
    "rpt_user_product_utilisation": {"access": ("subscription", "flex", "both", "none")},
    "rpt_licence_recommendations": {
        "recommendation": (
            "reclaim_leaver",
            "remove_duplicate",
            "remove_unused",
            "move_to_flex",
            "move_to_named",
            "move_to_collection",
            "watch_trend",
        )
    },
    "rpt_billing_reconciliation": {
        "status": ("match", "missing_in_agent_logs", "not_reported", "differs")
    },
}

# token columns of the marts contract: a mart listed here gets the non_negative check even
# before its YAML documents the column
CONTRACT_TOKEN_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_usage_windows": ("tokens_per_day", "tokens_charged"),
    "fct_daily_usage": ("tokens_charged",),
    "fct_token_ledger": ("tokens_consumed", "tokens_expired", "tokens_remaining"),
    "rpt_token_balance_daily": ("tokens_added", "tokens_consumed", "tokens_expired"),
    "rpt_token_forecast": ("tokens_expiring_unused",),
    "rpt_user_product_utilisation": ("tokens",),
    "rpt_billing_reconciliation": ("tokens_computed", "tokens_reported"),
    "rpt_department_costs": ("flex_tokens",),
}

TOKEN_COLUMN = re.compile(r"^(tokens|tokens_[a-z0-9_]+|[a-z0-9_]+_tokens)$")

# the newest row of this mart and column must be recent (warning)
FRESHNESS: dict[str, str] = {"fct_sessions": "started_at"}

# (mart, column) whose sum must equal the other's (blocking); the check sits on the first mart
TOKEN_EQUALITY: tuple[tuple[str, str], tuple[str, str]] = (
    ("fct_token_ledger", "tokens_consumed"),
    ("fct_usage_windows", "tokens_charged"),
)

KEYS = "keys"
ACCEPTED_VALUES = "accepted_values"
NON_NEGATIVE = "non_negative"
ROW_VOLUME = "row_volume"
SESSIONS_FRESH = "sessions_fresh"
TOKENS_MATCH = "tokens_match_usage_windows"

BLOCKING: dict[str, bool] = {
    KEYS: True,
    ACCEPTED_VALUES: True,
    NON_NEGATIVE: True,
    TOKENS_MATCH: True,
    ROW_VOLUME: False,
    SESSIONS_FRESH: False,
}

DESCRIPTIONS: dict[str, str] = {
    KEYS: "Great Expectations: key columns unique (unique, unique_combination tests) and "
    "not_null columns without nulls. Blocks the export.",
    ACCEPTED_VALUES: "Great Expectations: status-like columns hold only their accepted values "
    "(accepted_values tests and the marts contract). Blocks the export.",
    NON_NEGATIVE: "Great Expectations: token columns and non_negative columns are >= 0. "
    "Blocks the export.",
    ROW_VOLUME: "Great Expectations: row count within volume_band of the median of earlier runs. "
    "Warning only.",
    SESSIONS_FRESH: "Great Expectations: the newest session started at most "
    "freshness_limit_hours before the as-of. Warning only.",
    TOKENS_MATCH: "Great Expectations: tokens drawn in the ledger equal the tokens charged in "
    "fct_usage_windows. Blocks the export.",
}


@dataclass
class MartRules:
    """What the checks of one mart verify (columns by rule)."""

    mart: str
    unique: list[str] = field(default_factory=list)
    unique_combinations: list[tuple[str, ...]] = field(default_factory=list)
    not_null: list[str] = field(default_factory=list)
    accepted_values: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    non_negative: list[str] = field(default_factory=list)
    documented_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedCheck:
    """One Dagster asset check: its name, mart, whether it blocks, and what else it reads."""

    name: str
    mart: str
    blocking: bool
    description: str
    additional_marts: tuple[str, ...] = ()


@dataclass
class QualityPlan:
    marts: dict[str, MartRules]
    checks: list[PlannedCheck]

    def checks_of(self, mart: str) -> list[PlannedCheck]:
        return [check for check in self.checks if check.mart == mart]


def load_manifest(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def mart_nodes(manifest: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The enabled models under models/marts, by table name (their alias)."""
    nodes: dict[str, dict[str, Any]] = {}
    for node in manifest["nodes"].values():
        is_mart = node["resource_type"] == "model" and node["fqn"][1:2] == [MARTS_FOLDER]
        if is_mart and node.get("config", {}).get("enabled", True):
            nodes[node.get("alias") or node["name"]] = node
    return dict(sorted(nodes.items()))


def _add_once(items: list, value: object) -> None:
    if value not in items:
        items.append(value)


def mart_rules(manifest: Mapping[str, Any]) -> dict[str, MartRules]:
    """Every mart's rules, from its dbt tests, documented columns and the marts contract."""
    marts = mart_nodes(manifest)
    by_id = {node["unique_id"]: name for name, node in marts.items()}
    rules = {
        name: MartRules(mart=name, documented_columns=list(node.get("columns", {})))
        for name, node in marts.items()
    }
    for test in manifest["nodes"].values():
        if test["resource_type"] != "test" or test.get("attached_node") not in by_id:
            continue
        config = test.get("config", {})
        if str(config.get("severity", "error")).lower() != "error" or config.get("where"):
            continue
        metadata = test.get("test_metadata") or {}
        kwargs = metadata.get("kwargs", {})
        column = kwargs.get("column_name") or test.get("column_name")
        rule = rules[by_id[test["attached_node"]]]
        kind = metadata.get("name")
        if kind == "unique" and column:
            _add_once(rule.unique, column)
        elif kind == "not_null" and column:
            _add_once(rule.not_null, column)
        elif kind == "unique_combination" and kwargs.get("columns"):
            _add_once(rule.unique_combinations, tuple(kwargs["columns"]))
        elif kind == "accepted_values" and column and kwargs.get("values") is not None:
            _add_once(rule.accepted_values, (column, tuple(kwargs["values"])))
        elif kind == "non_negative" and column:
            _add_once(rule.non_negative, column)
    for name, rule in rules.items():
        for column, values in CONTRACT_ACCEPTED_VALUES.get(name, {}).items():
            _add_once(rule.accepted_values, (column, tuple(values)))
        token_columns = [c for c in rule.documented_columns if TOKEN_COLUMN.match(c)]
        for column in [*token_columns, *CONTRACT_TOKEN_COLUMNS.get(name, ())]:
            _add_once(rule.non_negative, column)
    return rules


def plan_checks(manifest: Mapping[str, Any]) -> QualityPlan:
    """The asset checks of every mart in the manifest (see the module docstring)."""
    marts = mart_rules(manifest)
    checks: list[PlannedCheck] = []

    def add(name: str, mart: str, *, also: tuple[str, ...] = ()) -> None:
        checks.append(PlannedCheck(name, mart, BLOCKING[name], DESCRIPTIONS[name], also))

    for name, rule in marts.items():
        if rule.unique or rule.unique_combinations or rule.not_null:
            add(KEYS, name)
        if rule.accepted_values:
            add(ACCEPTED_VALUES, name)
        if rule.non_negative:
            add(NON_NEGATIVE, name)
        add(ROW_VOLUME, name)
        if name in FRESHNESS:
            add(SESSIONS_FRESH, name)
    (ledger, _), (windows, _) = TOKEN_EQUALITY
    if ledger in marts and windows in marts:
        add(TOKENS_MATCH, ledger, also=(windows,))
    return QualityPlan(marts=marts, checks=checks)
