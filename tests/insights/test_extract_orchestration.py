"""The pulls in Dagster (assets, retry policy, cursors as metadata), in the CLI, and in the daily
job, against the fake Insights and Graph servers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from connectors.insights.state import read_cursors, write_cursors
from orchestration import cli
from orchestration.defs.extract.assets import (
    GRAPH_KEY,
    INSIGHTS_KEY,
    build_extract_definitions,
    wire_extract_deps,
)
from orchestration.defs.ingest.assets import source_assets
from orchestration.resources import FlexlensSettings
from orchestration.settings import Settings
from tests.graph.fake_graph import CLIENT_ID as GRAPH_CLIENT_ID
from tests.graph.fake_graph import CLIENT_SECRET as GRAPH_SECRET
from tests.graph.fake_graph import TENANT, FakeGraph, make_user
from tests.insights.fake_insights import CLIENT_SECRET, PAT, FakeInsights, usage_row
from tests.insights.helpers import fast_policy, local_server

CONTEXT = "4865648"
AS_OF = "2026-10-31T18:00:00+00:00"


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    with local_server() as server:
        fake = FakeGraph(server)
        try:
            yield fake
        finally:
            fake.faults.release.set()


@pytest.fixture
def api_env(
    fake_aps: FakeInsights,
    fake_graph: FakeGraph,
    aps_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """Both APIs configured (in the process environment too: the resources read dg.EnvVar);
    no polls to wait for (the CLI and the assets wait on the real clock)."""
    env = {
        **aps_env,
        "FLEXLENS_GRAPH_BASE_URL": fake_graph.base_url,
        "FLEXLENS_GRAPH_LOGIN_URL": fake_graph.base_url,
        "FLEXLENS_GRAPH_TENANT_ID": TENANT,
        "FLEXLENS_GRAPH_CLIENT_ID": GRAPH_CLIENT_ID,
        "FLEXLENS_GRAPH_CLIENT_SECRET": GRAPH_SECRET,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    fake_aps.query_polls_before_done = 0
    fake_aps.export_polls_before_done = 0
    fake_aps.add_usage(
        CONTEXT,
        [usage_row(f"2026-10-{d}", "ana@example.com", "Revit", 10 + d) for d in (20, 21, 22)],
    )
    return env


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        landing_dir=tmp_path / "landing",
        warehouse=tmp_path / "warehouse" / "flexlens.duckdb",
        exports_dir=tmp_path / "exports",
    )


def _materialize(defs, settings: Settings) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        defs.assets,
        resources={"flexlens": FlexlensSettings.of(settings), **defs.resources},
        raise_on_error=False,
    )


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, tuple[bool, str]]:
    return {
        e.asset_check_evaluation_data.asset_key.to_user_string(): (
            e.asset_check_evaluation_data.passed,
            e.asset_check_evaluation_data.severity.value,
        )
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


# --------------------------------------------------------------------------------------------
# which assets exist


def test_without_credentials_nothing_about_the_apis_is_defined() -> None:
    found = build_extract_definitions({"FLEXLENS_APS_CLIENT_ID": "only-half"})
    assert (found.assets, found.resources, found.feeds) == ([], {}, {})
    assert wire_extract_deps(source_assets, found) == list(source_assets)


def test_with_credentials_each_pull_runs_before_the_load_it_feeds(
    api_env: dict[str, str], tmp_path: Path
) -> None:
    from orchestration.definitions import build_definitions

    defs = build_definitions(_settings(tmp_path), environ=api_env)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"landing/autodesk_insights", "landing/graph_users"} <= keys

    def parents(key: str) -> set[str]:
        node = graph.get(dg.AssetKey.from_user_string(key))
        return {p.to_user_string() for p in node.parent_keys}

    assert "landing/autodesk_insights" in parents("raw/autodesk_token_usage")
    assert "landing/autodesk_insights" in parents("raw/autodesk_assignments")
    assert "landing/graph_users" in parents("raw/directory_people")
    assert not {p for p in parents("raw/agent_sessions") if p.startswith("landing/")}
    assert "landing/graph_users" not in parents("raw/autodesk_token_usage")
    job = defs.resolve_job_def("daily_pipeline")
    assert {"landing__autodesk_insights", "landing__graph_users"} <= set(job.graph.node_dict)

    plain = build_definitions(_settings(tmp_path), environ={})
    plain_keys = {k.to_user_string() for k in plain.resolve_asset_graph().get_all_asset_keys()}
    assert not {k for k in plain_keys if k.startswith("landing/")}


# --------------------------------------------------------------------------------------------
# the assets


def test_pull_assets_materialise_with_their_cursors_as_metadata(
    api_env: dict[str, str], tmp_path: Path, fake_aps: FakeInsights
) -> None:
    settings = _settings(tmp_path)
    defs = build_extract_definitions(api_env, http_policy=fast_policy())
    before = datetime.now(UTC).date().isoformat()
    result = _materialize(defs, settings)
    after = datetime.now(UTC).date().isoformat()
    assert result.success
    insights = result.asset_materializations_for_node("landing__autodesk_insights")[0].metadata
    assert insights["status"].value == "ok"
    assert insights["usage_rows"].value == 3
    assert insights[f"cursor/insights_usage/{CONTEXT}"].value == "2026-10-22"
    assert insights["cursor/insights_exports/all"].value in {before, after}  # the export's end
    graph = result.asset_materializations_for_node("landing__graph_users")[0].metadata
    assert (graph["status"].value, graph["users"].value) == ("ok", 5)
    assert graph["sign_in_activity"].value is True
    assert _checks(result) == {
        "landing/autodesk_insights": (True, "WARN"),
        "landing/graph_users": (True, "WARN"),
    }
    assert (settings.landing_dir / "autodesk/insights/usage" / CONTEXT / "2026-10-22.csv").exists()
    # the fake server saw the PAT and the secret only where they belong
    assert fake_aps.bearers and all(b.startswith("eyJ-token-") for b in fake_aps.bearers)


def test_a_refused_pull_warns_and_lets_the_run_go_on(
    api_env: dict[str, str], tmp_path: Path, fake_aps: FakeInsights
) -> None:
    settings = _settings(tmp_path)
    settings.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse)) as con:
        write_cursors(con, "insights_usage", {CONTEXT: "2026-10-01"})
    fake_aps.fail("GET", "/insights/v1/contexts", 403, body={"errorCode": "AUTH-001"}, times=9)
    defs = build_extract_definitions(api_env, http_policy=fast_policy())
    result = _materialize(defs, settings)
    assert result.success  # the daily run is not stopped by an API
    metadata = result.asset_materializations_for_node("landing__autodesk_insights")[0].metadata
    assert metadata["status"].value == "failed"
    assert metadata["error"].value.startswith(
        "Autodesk Insights: GET /insights/v1/contexts: HTTP 403 (AUTH-001); a permission or plan "
        "is missing"
    )
    assert metadata[f"cursor/insights_usage/{CONTEXT}"].value == "2026-10-01"  # not moved
    assert _checks(result)["landing/autodesk_insights"] == (False, "WARN")
    assert len(fake_aps.calls("GET", "/insights/v1/contexts")) == 1  # permanent: no retry
    with duckdb.connect(str(settings.warehouse)) as con:
        assert read_cursors(con, "insights_usage") == {CONTEXT: "2026-10-01"}


def test_transient_failures_are_retried_by_the_retry_policy(
    api_env: dict[str, str], tmp_path: Path, fake_graph: FakeGraph
) -> None:
    settings = _settings(tmp_path)
    env = {k: v for k, v in api_env.items() if not k.startswith("FLEXLENS_APS_")}
    defs = build_extract_definitions(
        env,
        retry_policy=dg.RetryPolicy(max_retries=1, delay=0),
        http_policy=fast_policy(max_attempts=1),
    )
    assert [a.key for a in defs.assets] == [GRAPH_KEY]
    fake_graph.fail("GET", "/v1.0/users", 503, body={"error": {"code": "serviceUnavailable"}})
    result = _materialize(defs, settings)
    assert result.success
    kinds = [e.event_type_value for e in result.all_events if e.step_key == "landing__graph_users"]
    assert "STEP_UP_FOR_RETRY" in kinds
    metadata = result.asset_materializations_for_node("landing__graph_users")[0].metadata
    assert metadata["status"].value == "ok"

    # failing on the last retry too: reported, not raised
    fake_graph.fail(
        "GET", "/v1.0/users", 503, body={"error": {"code": "serviceUnavailable"}}, times=2
    )
    result = _materialize(defs, settings)
    assert result.success
    metadata = result.asset_materializations_for_node("landing__graph_users")[0].metadata
    assert metadata["status"].value == "failed"
    assert "HTTP 503 (serviceUnavailable); gave up after 1 attempt(s)" in metadata["error"].value
    assert _checks(result)["landing/graph_users"] == (False, "WARN")
    assert INSIGHTS_KEY not in {a.key for a in defs.assets}


# --------------------------------------------------------------------------------------------
# the command line


def test_cli_extract_pulls_into_the_landing_folder(
    api_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = tmp_path / "landing"
    warehouse = tmp_path / "w.duckdb"
    base = ["--landing", str(landing), "--warehouse", str(warehouse)]
    assert cli.main(["extract", "insights", *base]) == 0
    out = capsys.readouterr().out
    assert f"flexlens extract insights: landing {landing}" in out
    assert f"usage team {CONTEXT}: days " in out and "cursor 2026-10-22" in out
    assert "usage: 3 rows, 3 file(s) written, 0 unchanged" in out
    assert "download(s): 1 file(s) written, 0 unchanged, 2 kept unread" in out
    assert cli.main(["extract", "graph", *base]) == 0
    out = capsys.readouterr().out
    assert "users: 5 in 1 page(s) -> directory/graph/users_" in out
    with duckdb.connect(str(warehouse)) as con:
        assert read_cursors(con, "insights_usage") == {CONTEXT: "2026-10-22"}
        assert set(read_cursors(con, "graph_users")) == {"all"}
    for secret in (CLIENT_SECRET, PAT, GRAPH_SECRET):
        assert secret not in out


def test_cli_extract_without_credentials_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("FLEXLENS_APS_CLIENT_ID", "FLEXLENS_APS_CLIENT_SECRET", "FLEXLENS_APS_PAT"):
        monkeypatch.delenv(name, raising=False)
    code = cli.main(
        [
            "extract",
            "insights",
            "--landing",
            str(tmp_path / "l"),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
        ]
    )
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "flexlens: error: Autodesk Insights is off: set FLEXLENS_APS_CLIENT_ID and "
        "FLEXLENS_APS_CLIENT_SECRET (and FLEXLENS_APS_PAT) to pull from it"
    )


def test_cli_extract_failure_is_a_one_line_error(
    api_env: dict[str, str],
    fake_graph: FakeGraph,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_graph.users_permitted = False
    code = cli.main(
        [
            "extract",
            "graph",
            "--landing",
            str(tmp_path / "l"),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("flexlens: error: Microsoft Graph: GET ")
    assert err.endswith("application permission User.Read.All with admin consent")


# --------------------------------------------------------------------------------------------
# the daily job with both APIs configured


def test_daily_job_pulls_then_loads_what_it_pulled(
    api_env: dict[str, str],
    fake_graph: FakeGraph,
    tmp_path: Path,
) -> None:
    from orchestration.definitions import build_definitions
    from orchestration.defs.ingest.assets import AS_OF_TAG

    fake_graph.users = [make_user(n) for n in range(1, 4)]
    settings = _settings(tmp_path)
    settings.landing_dir.mkdir(parents=True)
    defs = build_definitions(
        settings, settings_resource=FlexlensSettings.of(settings), environ=api_env
    )
    job = defs.resolve_job_def("daily_pipeline")
    # the pulls and the loads of the daily job (dbt and the export are another test's business)
    selection = [
        dg.AssetKey.from_user_string(k)
        for k in (
            "raw/run_context",
            "landing/autodesk_insights",
            "landing/graph_users",
            "raw/autodesk_assignments",
            "raw/autodesk_subscriptions",
            "raw/autodesk_token_usage",
            "raw/directory_people",
        )
    ]
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=selection, tags={AS_OF_TAG: AS_OF}
        )
    assert result.success
    started = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    assert started.index("landing__autodesk_insights") < started.index("load_autodesk")
    assert started.index("landing__graph_users") < started.index("load_directory")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        pulled_usage = con.execute(
            "select day_used, email, tokens_used from raw.autodesk_token_usage "
            "where _source_file like 'autodesk/insights/usage/%' order by 1"
        ).fetchall()
        seats = con.execute("select count(*) from raw.autodesk_assignments").fetchall()[0][0]
        people = con.execute(
            "select count(*) from raw.directory_people where _source_file like 'directory/graph/%'"
        ).fetchall()[0][0]
        cursors = set(con.execute("select source, scope from raw.extract_cursors").fetchall())
    assert pulled_usage == [
        ("2026-10-20", "ana@example.com", "30"),
        ("2026-10-21", "ana@example.com", "31"),
        ("2026-10-22", "ana@example.com", "32"),
    ]
    assert (seats, people) == (2, 3)
    assert cursors == {
        ("insights_usage", CONTEXT),
        ("insights_exports", "all"),
        ("graph_users", "all"),
    }
