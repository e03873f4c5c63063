"""The two API pulls as the CLI and the Dagster assets run them: cursors in, pull, cursors out.

The warehouse is opened twice, briefly (read the cursors, then write them): never while the
network is slow, since DuckDB allows one writer process and dbt runs in another. A cursor is
written only after the landing files it covers are in place; a failed pull leaves every cursor
as it was, so the next run fetches the same days again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.graph.client import OPTIONAL_FIELDS, GraphClient, GraphConfig
from connectors.graph.extract import GRAPH_SCOPE, GRAPH_SOURCE, extract_users
from connectors.insights.client import InsightsClient, InsightsConfig
from connectors.insights.extract import (
    DEFAULT_EXPORT_REPORTS,
    DEFAULT_LOOKBACK_DAYS,
    EXPORTS_SCOPE,
    EXPORTS_SOURCE,
    USAGE_SOURCE,
    extract_exports,
    extract_usage,
)
from connectors.insights.http import Clock, HttpPolicy
from connectors.insights.state import all_cursors, read_cursors, write_cursors
from orchestration.resources import warehouse_connection
from orchestration.settings import Settings

logger = logging.getLogger(__name__)

SOURCES = ("insights", "graph")


@dataclass
class PullReport:
    """What a pull did: printable lines and Dagster metadata (cursors included)."""

    source: str
    lines: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def cursor_metadata(settings: Settings, sources: tuple[str, ...]) -> dict[str, str]:
    """``cursor/<source>/<scope>`` -> value, for the given cursor sources."""
    with warehouse_connection(settings) as con:
        return {
            f"cursor/{c.source}/{c.scope}": c.value for c in all_cursors(con) if c.source in sources
        }


def pull_insights(
    settings: Settings,
    config: InsightsConfig,
    *,
    now: datetime | None = None,
    policy: HttpPolicy | None = None,
    clock: Clock | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    reports: tuple[str, ...] = DEFAULT_EXPORT_REPORTS,
    usage: bool = True,
    exports: bool = True,
) -> PullReport:
    """Usage (per team, from its cursor) and one export into the landing folder."""
    landing = settings.landing_dir
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    with warehouse_connection(settings) as con:
        usage_cursors = read_cursors(con, USAGE_SOURCE)
        export_cursor = read_cursors(con, EXPORTS_SOURCE).get(EXPORTS_SCOPE)
    client = InsightsClient(config, policy=policy, clock=clock)
    report = PullReport("insights")

    def save_usage_cursor(team: str, value: str) -> None:
        # after each chunk: a long backfill stopped half-way resumes where it got to
        with warehouse_connection(settings) as con:
            write_cursors(con, USAGE_SOURCE, {team: value}, detail={"partial": True})

    if usage:
        pulled = extract_usage(
            client,
            landing,
            cursors=usage_cursors,
            today=today,
            lookback_days=lookback_days,
            initial_days=settings.analysis_window_days,
            save_cursor=save_usage_cursor,
        )
        with warehouse_connection(settings) as con:
            write_cursors(
                con,
                USAGE_SOURCE,
                pulled.cursors,
                detail={"rows": pulled.rows, "windows": pulled.windows},
            )
        for team, window in pulled.windows.items():
            state = pulled.skipped.get(team) and "skipped (403)"
            report.lines.append(
                f"usage team {team}: days {window}, cursor {pulled.cursors.get(team, '-')}"
                + (f", {state}" if state else "")
            )
        report.lines.append(
            f"usage: {pulled.rows} rows, {len(pulled.files.changed)} file(s) written, "
            f"{len(pulled.files.unchanged)} unchanged"
        )
        report.metadata.update(
            usage_rows=pulled.rows,
            usage_files_written=len(pulled.files.changed),
            usage_files_unchanged=len(pulled.files.unchanged),
            usage_teams_skipped=len(pulled.skipped),
        )
    if exports:
        exported = extract_exports(
            client,
            landing,
            cursor=export_cursor,
            today=today,
            reports=reports,
            lookback_days=lookback_days,
            initial_days=settings.analysis_window_days,
        )
        with warehouse_connection(settings) as con:
            write_cursors(
                con,
                EXPORTS_SOURCE,
                {EXPORTS_SCOPE: exported.cursor},
                detail={"export_id": exported.export_id, "window": exported.window},
            )
        report.lines.append(
            f"export {exported.export_id}: days {exported.window}, {exported.downloads} "
            f"download(s): {len(exported.files.changed)} file(s) written, "
            f"{len(exported.files.unchanged)} unchanged, "
            f"{len(exported.unread.changed) + len(exported.unread.unchanged)} kept unread"
        )
        report.metadata.update(
            export_id=exported.export_id,
            export_files_written=len(exported.files.changed),
            export_files_unread=len(exported.unread.changed) + len(exported.unread.unchanged),
        )
    report.metadata["pull_seconds"] = round(client.http.elapsed(), 3)
    report.metadata.update(cursor_metadata(settings, (USAGE_SOURCE, EXPORTS_SOURCE)))
    return report


def pull_graph(
    settings: Settings,
    config: GraphConfig,
    *,
    now: datetime | None = None,
    policy: HttpPolicy | None = None,
    clock: Clock | None = None,
) -> PullReport:
    """Every user into today's snapshot (the organisation's local date)."""
    moment = (now or datetime.now(UTC)).astimezone(ZoneInfo(settings.timezone))
    client = GraphClient(config, policy=policy, clock=clock)
    pulled = extract_users(client, settings.landing_dir, snapshot_date=moment.date())
    with warehouse_connection(settings) as con:
        write_cursors(
            con,
            GRAPH_SOURCE,
            {GRAPH_SCOPE: pulled.cursor},
            detail={"users": pulled.users, "sign_in_activity": pulled.sign_in_activity},
        )
    report = PullReport("graph")
    report.lines.append(
        f"users: {pulled.users} in {pulled.pages} page(s) -> {pulled.path}"
        + ("" if pulled.changed else " (unchanged)")
    )
    for name in pulled.dropped:
        empty, needs = OPTIONAL_FIELDS[name]
        report.lines.append(f"{name} left out, {empty} stay empty: {needs}")
    report.metadata.update(
        users=pulled.users,
        pages=pulled.pages,
        snapshot_file=pulled.path,
        sign_in_activity=pulled.sign_in_activity,
        fields_left_out=", ".join(pulled.dropped) or "none",
    )
    report.metadata.update(cursor_metadata(settings, (GRAPH_SOURCE,)))
    return report


def pull_source(
    source: str,
    settings: Settings,
    environ: Mapping[str, str],
    *,
    policy: HttpPolicy | None = None,
) -> PullReport:
    """``flexlens extract insights|graph``: the configuration from the environment."""
    if source == "insights":
        return pull_insights(settings, InsightsConfig.from_env(environ), policy=policy)
    if source == "graph":
        return pull_graph(settings, GraphConfig.from_env(environ), policy=policy)
    raise ValueError(f"unknown API source {source!r}; expected one of {', '.join(SOURCES)}")
