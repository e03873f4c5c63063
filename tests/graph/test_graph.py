"""The Graph client and pull against a fake Entra ID + Graph server, read back by load_source."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from connectors.graph.client import USER_FIELDS, GraphClient, GraphConfig
from connectors.graph.extract import extract_users
from connectors.insights.http import (
    ApiAuthError,
    ApiConfigError,
    ApiPageLoopError,
    ApiResponseError,
    ApiTimeoutError,
    ApiUnavailableError,
)
from connectors.insights.state import read_cursors
from connectors.load import load_source
from orchestration.defs.extract.pulls import pull_graph
from orchestration.settings import Settings
from tests.graph.fake_graph import CLIENT_ID, CLIENT_SECRET, TENANT, FakeGraph, make_user
from tests.insights.helpers import FakeClock, fast_policy

MakeClient = Callable[..., GraphClient]
SELECT = ",".join(USER_FIELDS)
DAY = date(2026, 11, 29)


def _people(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select _source_file, snapshot_date, directory_kind, object_id, upn, email, "
        "display_name, department, enabled, created_at, last_logon_at, sam_account "
        "from raw.directory_people order by _source_file, _source_row"
    ).fetchall()


def test_config_needs_tenant_client_and_secret_and_hides_the_secret() -> None:
    with pytest.raises(ApiConfigError) as caught:
        GraphConfig.from_env({"FLEXLENS_GRAPH_CLIENT_ID": "x"})
    assert str(caught.value) == (
        "Microsoft Graph is off: set FLEXLENS_GRAPH_TENANT_ID, FLEXLENS_GRAPH_CLIENT_SECRET to "
        "pull from it"
    )
    config = GraphConfig.from_env(
        {
            "FLEXLENS_GRAPH_TENANT_ID": "t",
            "FLEXLENS_GRAPH_CLIENT_ID": "c",
            "FLEXLENS_GRAPH_CLIENT_SECRET": CLIENT_SECRET,
        }
    )
    assert (config.base_url, config.login_url) == (
        "https://graph.microsoft.com",
        "https://login.microsoftonline.com",
    )
    assert CLIENT_SECRET not in repr(config)


def test_users_across_several_pages_become_one_snapshot_the_directory_reader_loads(
    fake_graph: FakeGraph, graph_client: MakeClient, tmp_path: Path
) -> None:
    fake_graph.users = [make_user(n) for n in range(1, 2501)]
    landing = tmp_path / "landing"
    result = extract_users(graph_client(), landing, snapshot_date=DAY)
    assert (result.users, result.pages, result.sign_in_activity) == (2500, 3, True)
    assert result.path == "directory/graph/users_2026-11-29.json"
    calls = fake_graph.user_calls()
    assert calls[0] == f"$select={SELECT},signInActivity&$top=999"
    assert [c.rsplit("&", 1)[-1][:11] for c in calls[1:]] == ["$skiptoken="] * 2
    assert fake_graph.token_forms == [
        {
            "client_id": CLIENT_ID,
            "grant_type": "client_credentials",
            "scope": f"{fake_graph.base_url}/.default",
        }
    ]
    doc = json.loads((landing / result.path).read_text(encoding="utf-8"))
    assert list(doc) == ["value"]
    assert len({u["id"] for u in doc["value"]}) == 2500

    with duckdb.connect() as con:
        loaded = load_source(con, landing, "directory")
        assert (loaded.files_loaded, loaded.rows_loaded, loaded.rows_quarantined) == (1, 2500, 0)
        people = _people(con)
    assert people[9] == (
        "directory/graph/users_2026-11-29.json",
        "2026-11-29",
        "graph",
        "00000000-0000-0000-0000-000000000010",
        "user10@contoso.example",
        "User10@Contoso.example",
        "User 10",
        "Engineering",
        "false",
        "2020-01-11T00:00:00Z",
        "2026-11-21T08:15:00Z",
        "user10",
    )


def test_without_sign_in_permission_the_users_are_read_without_it_and_it_says_so(
    fake_graph: FakeGraph,
    graph_client: MakeClient,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_graph.sign_in_permitted = False
    result = extract_users(graph_client(), tmp_path, snapshot_date=DAY)
    assert (result.users, result.sign_in_activity) == (5, False)
    assert fake_graph.user_calls() == [
        f"$select={SELECT},signInActivity&$top=999",
        f"$select={SELECT}&$top=999",
    ]
    assert (
        "users with signInActivity refused (403); reading them without it, so last sign-in dates "
        "stay empty (signInActivity needs the application permission AuditLog.Read.All and a "
        "Microsoft Entra ID P1/P2 licence)"
    ) in caplog.text
    with duckdb.connect() as con:
        load_source(con, tmp_path, "directory")
        assert {row[10] for row in _people(con)} == {None}


def test_without_lifecycle_permission_leave_dates_are_left_out_too(
    fake_graph: FakeGraph, graph_env: dict[str, str], tmp_path: Path
) -> None:
    fake_graph.sign_in_permitted = False
    fake_graph.leave_permitted = False
    settings = Settings(landing_dir=tmp_path / "landing", warehouse=tmp_path / "w.duckdb")
    report = pull_graph(
        settings, GraphConfig.from_env(graph_env), now=datetime(2026, 11, 29, 8, tzinfo=UTC)
    )
    without_both = ",".join(f for f in USER_FIELDS if f != "employeeLeaveDateTime")
    assert fake_graph.user_calls() == [
        f"$select={SELECT},signInActivity&$top=999",
        f"$select={SELECT}&$top=999",
        f"$select={without_both}&$top=999",
    ]
    assert report.lines[1:] == [
        "signInActivity left out, last sign-in dates stay empty: signInActivity needs the "
        "application permission AuditLog.Read.All and a Microsoft Entra ID P1/P2 licence",
        "employeeLeaveDateTime left out, leave dates stay empty: employeeLeaveDateTime needs the "
        "application permission User-LifeCycleInfo.Read.All",
    ]
    assert report.metadata["fields_left_out"] == "signInActivity, employeeLeaveDateTime"
    assert report.metadata["users"] == 5


def test_no_user_read_permission_is_a_clear_error(
    fake_graph: FakeGraph, graph_client: MakeClient
) -> None:
    fake_graph.users_permitted = False
    with pytest.raises(ApiAuthError) as caught:
        graph_client().list_users()
    assert str(caught.value) == (
        f"Microsoft Graph: GET {fake_graph.base_url}/v1.0/users: HTTP 403 "
        "(Authorization_RequestDenied: Insufficient privileges to complete the operation.); a "
        "permission is missing: the app registration needs the Microsoft Graph application "
        "permission User.Read.All with admin consent"
    )


def test_a_refused_client_secret_is_a_clear_error_without_the_secret(
    fake_graph: FakeGraph, graph_env: dict[str, str], clock: FakeClock
) -> None:
    env = {**graph_env, "FLEXLENS_GRAPH_CLIENT_SECRET": "Not~The~Right~One~123"}
    client = GraphClient(GraphConfig.from_env(env), policy=fast_policy(), clock=clock)
    with pytest.raises(ApiAuthError) as caught:
        client.list_users()
    message = str(caught.value)
    assert message == (
        f"Microsoft Graph: POST /{TENANT}/oauth2/v2.0/token: HTTP 401 (invalid_client: "
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        "request is the client secret value.); the token request was refused: check "
        "FLEXLENS_GRAPH_TENANT_ID, FLEXLENS_GRAPH_CLIENT_ID and FLEXLENS_GRAPH_CLIENT_SECRET (an "
        "app registration with a client secret)"
    )
    assert "Not~The~Right~One~123" not in message


def test_a_page_loop_is_an_error_and_no_partial_snapshot_is_written(
    fake_graph: FakeGraph, graph_client: MakeClient, tmp_path: Path
) -> None:
    fake_graph.users = [make_user(n) for n in range(1, 30)]
    fake_graph.page_cap = 10
    fake_graph.loop_after_page = 2  # page 2 links to itself
    with pytest.raises(ApiPageLoopError) as caught:
        extract_users(graph_client(), tmp_path, snapshot_date=DAY)
    assert str(caught.value) == (
        "Microsoft Graph: GET /v1.0/users: page 2 links to a page already read "
        f"({fake_graph.base_url}/v1.0/users); the same next link came twice"
    )
    assert len(fake_graph.user_calls()) == 2
    assert not (tmp_path / "directory").exists()


def test_a_next_link_to_another_host_is_refused(
    fake_graph: FakeGraph, graph_client: MakeClient
) -> None:
    fake_graph.users = [make_user(n) for n in range(1, 30)]
    fake_graph.page_cap = 10
    fake_graph.foreign_next = True
    with pytest.raises(ApiResponseError) as caught:
        graph_client().list_users()
    assert str(caught.value) == (
        "Microsoft Graph: @odata.nextLink on page 1 points at another host "
        "(http://graph.attacker.example/v1.0/users); refusing to send the token there"
    )


def test_429_retry_after_and_500_then_success(
    fake_graph: FakeGraph, graph_client: MakeClient, clock: FakeClock
) -> None:
    fake_graph.users = [make_user(n) for n in range(1, 30)]
    fake_graph.page_cap = 10
    throttled = {"error": {"code": "TooManyRequests", "message": "Too many requests"}}
    fake_graph.fail("GET", "/v1.0/users", 429, body=throttled, headers={"Retry-After": "5"})
    fake_graph.fail("GET", "/v1.0/users", 500, body={"error": {"code": "generalException"}})
    result = graph_client().list_users()
    assert (len(result.users), result.pages) == (29, 3)
    assert clock.sleeps == [5.0, 2.0]  # Retry-After, then the 2nd backoff step
    assert len(fake_graph.user_calls()) == 5


def test_token_expiring_mid_run_is_renewed_once(
    fake_graph: FakeGraph, graph_client: MakeClient
) -> None:
    fake_graph.users = [make_user(n) for n in range(1, 30)]
    fake_graph.page_cap = 10
    fake_graph.expire_tokens_at_call = 2
    result = graph_client().list_users()
    assert len(result.users) == 29
    first, second = fake_graph.tokens_issued
    assert fake_graph.bearers == [first, first, second, second]


def test_slow_endpoint_hits_the_timeout(fake_graph: FakeGraph, graph_client: MakeClient) -> None:
    fake_graph.fail("GET", "/v1.0/users", 200, body={"value": []}, delay=10.0, times=2)
    with pytest.raises(ApiTimeoutError) as caught:
        graph_client(read_timeout=0.3, max_attempts=2).list_users()
    assert str(caught.value) == (
        f"Microsoft Graph: GET {fake_graph.base_url}/v1.0/users: no answer within 0.3 s "
        "(read timeout); gave up after 2 attempt(s)"
    )


def test_5xx_without_end_and_malformed_pages_are_clear_errors(
    fake_graph: FakeGraph, graph_client: MakeClient, clock: FakeClock
) -> None:
    fake_graph.fail(
        "GET", "/v1.0/users", 503, body={"error": {"code": "serviceUnavailable"}}, times=3
    )
    with pytest.raises(
        ApiUnavailableError, match=r"HTTP 503 \(serviceUnavailable\); gave up after 3"
    ):
        graph_client(max_attempts=3).list_users()
    fake_graph.fail(
        "GET", "/v1.0/users", 200, raw=b'{"value": [', headers={"Content-Type": "application/json"}
    )
    with pytest.raises(
        ApiResponseError, match=r"answer is not valid JSON \(application/json, 11 bytes\)"
    ):
        graph_client().list_users()
    fake_graph.fail("GET", "/v1.0/users", 200, body={"users": []})
    with pytest.raises(ApiResponseError) as caught:
        graph_client().list_users()
    assert str(caught.value) == (
        "Microsoft Graph: GET /v1.0/users page 1: expected an object with a 'value' array, got "
        "an object with keys [users]"
    )


def test_secrets_never_reach_logs_or_exception_texts(
    fake_graph: FakeGraph,
    graph_env: dict[str, str],
    graph_client: MakeClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_graph.expire_tokens_at_call = 1
    fake_graph.sign_in_permitted = False
    client = graph_client()
    client.list_users()
    messages = []
    fake_graph.fail("GET", "/v1.0/users", 401, body={"error": {"code": "x"}}, times=2)
    for make in (
        lambda: client.list_users(sign_in_activity=False),
        lambda: GraphClient(
            GraphConfig.from_env({**graph_env, "FLEXLENS_GRAPH_CLIENT_SECRET": "Wrong~Secret~1"}),
            policy=fast_policy(),
            clock=clock,
        ).list_users(),
    ):
        with pytest.raises(ApiAuthError) as caught:
            make()
        messages += [str(caught.value), repr(caught.value)]
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")]
    text = "\n".join(logged + messages) + repr(client.config)
    assert "refused even with a fresh token" in text
    for secret in (CLIENT_SECRET, "Wrong~Secret~1", *fake_graph.tokens_issued):
        assert secret not in text


def test_pull_writes_the_day_of_the_organisation_and_keeps_the_cursor(
    fake_graph: FakeGraph, graph_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings(
        timezone="Pacific/Auckland",
        landing_dir=tmp_path / "landing",
        warehouse=tmp_path / "warehouse.duckdb",
    )
    config = GraphConfig.from_env(graph_env)
    late_evening_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # already 30 Nov in Auckland
    first = pull_graph(settings, config, now=late_evening_utc)
    assert first.metadata["snapshot_file"] == "directory/graph/users_2026-11-30.json"
    assert first.metadata["cursor/graph_users/all"] == "2026-11-30"
    assert first.lines == ["users: 5 in 1 page(s) -> directory/graph/users_2026-11-30.json"]
    again = pull_graph(settings, config, now=late_evening_utc)
    assert again.lines == [
        "users: 5 in 1 page(s) -> directory/graph/users_2026-11-30.json (unchanged)"
    ]
    fake_graph.users = fake_graph.users[:4]  # someone left
    nextday = pull_graph(settings, config, now=datetime(2026, 12, 1, 1, tzinfo=UTC))
    assert nextday.metadata["users"] == 4
    with duckdb.connect(str(settings.warehouse)) as con:
        assert read_cursors(con, "graph_users") == {"all": "2026-12-01"}
        load_source(con, settings.landing_dir, "directory")
        per_snapshot = con.execute(
            "select snapshot_date, count(*) from raw.directory_people group by 1 order by 1"
        ).fetchall()
    assert per_snapshot == [("2026-11-30", 5), ("2026-12-01", 4)]
