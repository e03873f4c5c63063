"""The Insights client against a fake APS server: auth, polling, paging and every failure mode."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from connectors.insights.client import InsightsClient, InsightsConfig
from connectors.insights.http import (
    ApiAuthError,
    ApiConfigError,
    ApiJobFailedError,
    ApiPageLoopError,
    ApiResponseError,
    ApiTimeoutError,
    ApiUnavailableError,
    parse_retry_after,
)
from tests.insights.fake_insights import (
    CLIENT_SECRET,
    PAT,
    SIGNATURE,
    FakeInsights,
    usage_row,
)
from tests.insights.helpers import FakeClock, FixedRandom, fast_policy

CONTEXT = "4865648"
MakeClient = Callable[..., InsightsClient]


def _rows(n: int) -> list[dict]:
    return [
        usage_row(f"2026-10-{1 + i % 28:02d}", f"user{i}@example.com", "Revit", 10 + i % 7)
        for i in range(n)
    ]


def _query(client: InsightsClient):
    return client.usage_query(
        fields=["usageDate", "emailAddress", "productName", "tokens"],
        where="usageDate >= '2026-10-01'",
        context_id=CONTEXT,
    )


# --------------------------------------------------------------------------------------------
# configuration and auth


def test_config_needs_both_credentials_and_hides_secrets() -> None:
    with pytest.raises(ApiConfigError) as caught:
        InsightsConfig.from_env({"FLEXLENS_APS_CLIENT_ID": "x"})
    assert str(caught.value) == (
        "Autodesk Insights is off: set FLEXLENS_APS_CLIENT_SECRET (and FLEXLENS_APS_PAT) to pull "
        "from it"
    )
    config = InsightsConfig.from_env(
        {"FLEXLENS_APS_CLIENT_ID": "id", "FLEXLENS_APS_CLIENT_SECRET": CLIENT_SECRET}
    )
    assert config.base_url == "https://developer.api.autodesk.com"
    assert config.pat is None
    assert CLIENT_SECRET not in repr(config)


def test_token_is_cached_and_every_call_carries_bearer_and_pat(
    fake_aps: FakeInsights, insights_client: MakeClient
) -> None:
    client = insights_client()
    first = client.contexts()
    second = client.contexts()
    assert first == second
    assert [(c.context_id, c.alias) for c in first] == [(CONTEXT, "New York Office")]
    assert "ReportingAPIAccess" in first[0].benefits
    assert len(fake_aps.tokens_issued) == 1  # one token for both calls
    assert fake_aps.calls("GET", "/insights/v1/contexts") == [
        ("GET", "/insights/v1/contexts", ""),
        ("GET", "/insights/v1/contexts", ""),
    ]


def test_wrong_client_secret_is_a_clear_error_without_the_secret(
    fake_aps: FakeInsights, aps_env: dict[str, str], clock: FakeClock
) -> None:
    env = {**aps_env, "FLEXLENS_APS_CLIENT_SECRET": "Wrong-Secret-Value-42"}
    client = InsightsClient(InsightsConfig.from_env(env), policy=fast_policy(), clock=clock)
    with pytest.raises(ApiAuthError) as caught:
        client.contexts()
    message = str(caught.value)
    assert message.startswith(
        "Autodesk Insights: POST /authentication/v2/token: HTTP 401 (AUTH-001: The client_id "
        "specified does not have access to the api product); the token request was refused: "
        "check FLEXLENS_APS_CLIENT_ID and FLEXLENS_APS_CLIENT_SECRET"
    )
    assert "Wrong-Secret-Value-42" not in message
    assert caught.value.status == 401
    assert clock.sleeps == []  # a refused token is not retried


def test_401_even_with_a_fresh_token_names_what_to_check(
    fake_aps: FakeInsights, insights_client: MakeClient
) -> None:
    body = {
        "developerMessage": "Access token provided is invalid or expired.",
        "errorCode": "AUTH-006",
    }
    fake_aps.fail("GET", "/insights/v1/contexts", 401, body=body, times=2)
    with pytest.raises(ApiAuthError) as caught:
        insights_client().contexts()
    assert str(caught.value) == (
        "Autodesk Insights: GET /insights/v1/contexts: HTTP 401 (AUTH-006: Access token provided "
        "is invalid or expired.); refused even with a fresh token: check that the APS app "
        "(FLEXLENS_APS_CLIENT_ID) has the Insights API and that FLEXLENS_APS_PAT is a valid, "
        "unexpired personal access token"
    )
    assert len(fake_aps.tokens_issued) == 2  # renewed exactly once


def test_403_says_which_permission_or_plan_is_missing(
    fake_aps: FakeInsights, insights_client: MakeClient
) -> None:
    fake_aps.fail(
        "GET",
        "/insights/v1/contexts",
        403,
        body={
            "developerMessage": "The client_id specified does not have access to the api product",
            "errorCode": "AUTH-001",
        },
    )
    with pytest.raises(ApiAuthError) as caught:
        insights_client().contexts()
    message = str(caught.value)
    assert message.startswith("Autodesk Insights: GET /insights/v1/contexts: HTTP 403 (AUTH-001: ")
    assert "Premium plan (Business Success Plan, benefit ReportingAPIAccess)" in message
    assert "'Premium Reporting' scope" in message
    assert caught.value.status == 403


def test_missing_pat_is_reported_as_the_likely_cause(
    fake_aps: FakeInsights, aps_env: dict[str, str], clock: FakeClock
) -> None:
    env = {k: v for k, v in aps_env.items() if k != "FLEXLENS_APS_PAT"}
    fake_aps.fail("GET", "/insights/v1/contexts", 401, body={"errorCode": "AUTH-012"}, times=2)
    client = InsightsClient(InsightsConfig.from_env(env), policy=fast_policy(), clock=clock)
    with pytest.raises(ApiAuthError) as caught:
        client.contexts()
    assert str(caught.value).endswith(
        "FLEXLENS_APS_PAT: none is set, and the 2-legged mode needs a personal access token with "
        "the 'Premium Reporting' scope"
    )


# --------------------------------------------------------------------------------------------
# usage queries: polling and paging


def test_usage_query_polls_until_completed_then_reads_every_page(
    fake_aps: FakeInsights, insights_client: MakeClient, clock: FakeClock
) -> None:
    fake_aps.add_usage(CONTEXT, _rows(250))
    fake_aps.query_polls_before_done = 3
    result = _query(insights_client())
    assert result.columns == ["usageDate", "emailAddress", "productName", "tokens"]
    assert len(result.rows) == 250
    assert result.rows[0] == ["2026-10-01", "user0@example.com", "Revit", 10]
    assert result.rows[249] == ["2026-10-26", "user249@example.com", "Revit", 14]
    assert (result.pages, result.polls) == (3, 4)  # SUBMITTED, RUNNING, RUNNING, COMPLETED
    assert clock.sleeps == [2.0, 3.0, 4.5]  # poll waits grow by 1.5x
    gets = [q for _, _, q in fake_aps.calls("GET", "/insights/v1/usage-queries/")]
    assert gets == ["offset=0&limit=100"] * 4 + ["offset=100&limit=100", "offset=200&limit=100"]
    (post,) = fake_aps.calls("POST", "/insights/v1/usage-queries")
    assert post[2] == f"offset=0&limit=100&contextId={CONTEXT}&context={CONTEXT}"
    (query,) = fake_aps.queries.values()
    assert query.body == {
        "fields": ["usageDate", "emailAddress", "productName", "tokens"],
        "metrics": [],
        "where": "usageDate >= '2026-10-01'",
        "orderBy": "",
        "contextId": CONTEXT,
    }


def test_smaller_pages_than_asked_are_followed_by_row_count(
    fake_aps: FakeInsights, insights_client: MakeClient
) -> None:
    fake_aps.add_usage(CONTEXT, _rows(95))
    fake_aps.query_polls_before_done = 0
    fake_aps.page_limit_cap = 40  # the server pages by 40 whatever the client asks
    result = _query(insights_client())
    assert len(result.rows) == 95
    assert result.pages == 3
    assert [r[1] for r in result.rows] == [f"user{i}@example.com" for i in range(95)]


def test_a_query_finished_inline_is_read_without_polling(
    fake_aps: FakeInsights, insights_client: MakeClient, clock: FakeClock
) -> None:
    inline = {
        "id": "a" * 64,
        "status": "COMPLETED",
        "pagination": {"totalResults": 2, "offset": 0, "limit": 100},
        "columns": ["productName", "uniqueUsers"],
        "rows": [["AutoCAD", 12], ["Revit", 7]],
    }
    fake_aps.fail("POST", "/insights/v1/usage-queries", 200, body=inline)
    result = insights_client().usage_query(fields=["productName"], metrics=["uniqueUsers"])
    assert result.rows == [["AutoCAD", 12], ["Revit", 7]]
    assert result.polls == 0
    assert fake_aps.calls("GET", "/insights/v1/usage-queries/") == []
    assert clock.sleeps == []


def test_token_expiring_mid_run_is_renewed_once_and_paging_goes_on(
    fake_aps: FakeInsights, insights_client: MakeClient
) -> None:
    fake_aps.add_usage(CONTEXT, _rows(250))
    fake_aps.query_polls_before_done = 0
    # calls: 1 POST, 2 GET page 0, 3 GET page 100 -> the token expires here
    fake_aps.expire_tokens_at_call = 3
    result = _query(insights_client())
    assert len(result.rows) == 250
    assert len(fake_aps.tokens_issued) == 2
    offsets = [q for _, _, q in fake_aps.calls("GET", "/insights/v1/usage-queries/")]
    # the refused page is asked again with the new token, then paging continues
    assert offsets == [
        "offset=0&limit=100",
        "offset=100&limit=100",
        "offset=100&limit=100",
        "offset=200&limit=100",
    ]
    first, second = fake_aps.tokens_issued
    assert fake_aps.bearers == [first, first, first, second, second]


def test_token_is_renewed_before_it_expires_during_a_long_wait(
    fake_aps: FakeInsights, insights_client: MakeClient, clock: FakeClock
) -> None:
    fake_aps.add_usage(CONTEXT, _rows(3))
    fake_aps.expires_in = 120  # renewed after 108 s (10 % margin)
    fake_aps.query_polls_before_done = 20
    result = insights_client(job_max_seconds=600).usage_query(
        fields=["usageDate"], context_id=CONTEXT
    )
    assert len(result.rows) == 3
    assert sum(clock.sleeps) > 120
    assert len(fake_aps.tokens_issued) >= 2
    refused = [t for t in fake_aps.log if t[1] == "/authentication/v2/token"]
    assert len(refused) == len(fake_aps.tokens_issued)  # no 401 was needed to renew


def test_query_that_never_finishes_fails_after_the_bounded_wait(
    fake_aps: FakeInsights, insights_client: MakeClient, clock: FakeClock
) -> None:
    fake_aps.query_never_finishes = True
    with pytest.raises(ApiTimeoutError) as caught:
        _query(insights_client(job_max_seconds=30))
    message = str(caught.value)
    assert message.startswith("Autodesk Insights: usage query ")
    assert message.endswith(
        "is still RUNNING after 6 poll(s) (24 s); it did not finish within 30 s"
    )
    assert clock.sleeps == [2.0, 3.0, 4.5, 6.75, 8.0]
    assert caught.value.retryable


def test_query_in_error_fails_and_an_expired_one_is_submitted_again(
    fake_aps: FakeInsights, insights_client: MakeClient
) -> None:
    fake_aps.add_usage(CONTEXT, _rows(5))
    fake_aps.fail("GET", "/insights/v1/usage-queries/", 200, body={"status": "EXPIRED"})
    result = _query(insights_client())
    assert len(result.rows) == 5
    assert len(fake_aps.calls("POST", "/insights/v1/usage-queries")) == 2

    fake_aps.fail("GET", "/insights/v1/usage-queries/", 200, body={"status": "ERROR"})
    with pytest.raises(
        ApiJobFailedError, match=r"usage query [0-9a-f]{64} ended with status ERROR"
    ):
        _query(insights_client())


@pytest.mark.parametrize("echo_requested_offset", [False, True])
def test_a_page_loop_is_an_error(
    fake_aps: FakeInsights, insights_client: MakeClient, echo_requested_offset: bool
) -> None:
    fake_aps.add_usage(CONTEXT, _rows(250))
    fake_aps.query_polls_before_done = 0
    fake_aps.ignore_offset = True  # always serves the first page
    fake_aps.echo_requested_offset = echo_requested_offset
    with pytest.raises(ApiPageLoopError) as caught:
        _query(insights_client())
    expected = (
        "the page at offset 100 repeats the page before it"
        if echo_requested_offset
        else "asked for offset 100, the page says offset 0"
    )
    assert str(caught.value).endswith(expected)
    assert len(fake_aps.calls("GET", "/insights/v1/usage-queries/")) == 2


# --------------------------------------------------------------------------------------------
# retries, timeouts, malformed answers


def test_429_waits_exactly_retry_after(
    fake_aps: FakeInsights, insights_client: MakeClient, clock: FakeClock
) -> None:
    fake_aps.fail(
        "GET",
        "/insights/v1/contexts",
        429,
        body={"developerMessage": "Quota limit exceeded."},
        headers={"Retry-After": "7"},
        times=2,
    )
    assert [c.context_id for c in insights_client().contexts()] == [CONTEXT]
    assert clock.sleeps == [7.0, 7.0]
    assert len(fake_aps.calls("GET", "/insights/v1/contexts")) == 3


def test_retry_after_as_http_date_and_missing() -> None:
    now = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("25") == 25.0
    assert parse_retry_after("Sun, 01 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Sun, 01 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_500_then_success_backs_off_exponentially(
    fake_aps: FakeInsights, insights_client: MakeClient, clock: FakeClock
) -> None:
    fake_aps.fail("GET", "/insights/v1/contexts", 500, body={"developerMessage": "boom"}, times=2)
    assert [c.context_id for c in insights_client().contexts()] == [CONTEXT]
    assert clock.sleeps == [1.0, 2.0]  # backoff ceiling with the jitter at its top


def test_jitter_keeps_the_backoff_between_half_and_full(aps_env: dict[str, str]) -> None:
    import random

    client = InsightsClient(InsightsConfig.from_env(aps_env), rng=random.Random(3))
    waits = [client.http.backoff(n) for n in (1, 2, 3, 4, 10)]
    ceilings = [1.0, 2.0, 4.0, 8.0, 60.0]
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert len(set(waits)) == 5


def test_5xx_that_never_ends_gives_up_with_the_status(
    fake_aps: FakeInsights, insights_client: MakeClient, clock: FakeClock
) -> None:
    fake_aps.fail(
        "GET", "/insights/v1/contexts", 503, body={"developerMessage": "unavailable"}, times=9
    )
    with pytest.raises(ApiUnavailableError) as caught:
        insights_client(max_attempts=4).contexts()
    assert str(caught.value) == (
        "Autodesk Insights: GET "
        f"{fake_aps.base_url}/insights/v1/contexts: HTTP 503 (unavailable); gave up after 4 "
        "attempt(s)"
    )
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_retry_after_beyond_the_time_budget_fails_at_once(
    fake_aps: FakeInsights, insights_client: MakeClient, clock: FakeClock
) -> None:
    fake_aps.fail("GET", "/insights/v1/contexts", 429, headers={"Retry-After": "3600"})
    with pytest.raises(ApiTimeoutError) as caught:
        insights_client(total_seconds=600).contexts()
    assert "waiting 3600.0 s more would pass the total time budget of 600 s" in str(caught.value)
    assert clock.sleeps == []


def test_slow_endpoint_hits_the_timeout(
    fake_aps: FakeInsights, insights_client: MakeClient
) -> None:
    fake_aps.fail("GET", "/insights/v1/contexts", 200, body=[], delay=10.0, times=2)
    with pytest.raises(ApiTimeoutError) as caught:
        insights_client(read_timeout=0.3, max_attempts=2).contexts()
    assert str(caught.value) == (
        f"Autodesk Insights: GET {fake_aps.base_url}/insights/v1/contexts: no answer within "
        "0.3 s (read timeout); gave up after 2 attempt(s)"
    )


def test_connection_refused_is_retried_then_reported(
    aps_env: dict[str, str], clock: FakeClock
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**aps_env, "FLEXLENS_APS_BASE_URL": f"http://127.0.0.1:{port}"}
    client = InsightsClient(
        InsightsConfig.from_env(env),
        policy=fast_policy(max_attempts=3),
        clock=clock,
        rng=FixedRandom(),
    )
    with pytest.raises(ApiUnavailableError) as caught:
        client.contexts()
    assert str(caught.value) == (
        f"Autodesk Insights: POST http://127.0.0.1:{port}/authentication/v2/token: connection "
        "failed (ConnectionError); gave up after 3 attempt(s)"
    )
    assert clock.sleeps == [1.0, 2.0]


def test_malformed_json_is_a_clear_error(
    fake_aps: FakeInsights, insights_client: MakeClient
) -> None:
    fake_aps.fail(
        "GET",
        "/insights/v1/contexts",
        200,
        raw=b"<html>maintenance</html>",
        headers={"Content-Type": "text/html"},
    )
    with pytest.raises(ApiResponseError) as caught:
        insights_client().contexts()
    assert str(caught.value) == (
        "Autodesk Insights: GET /insights/v1/contexts: HTTP 200 answer is not valid JSON "
        "(text/html, 24 bytes)"
    )


def test_unexpected_json_shape_is_a_clear_error(
    fake_aps: FakeInsights, insights_client: MakeClient
) -> None:
    fake_aps.fail("GET", "/insights/v1/contexts", 200, body={"contexts": []})
    with pytest.raises(ApiResponseError) as caught:
        insights_client().contexts()
    assert str(caught.value) == (
        "Autodesk Insights: GET /insights/v1/contexts: expected an array of teams, got an object "
        "with keys [contexts]"
    )


# --------------------------------------------------------------------------------------------
# exports


def test_export_is_polled_and_downloaded_without_auth_headers(
    fake_aps: FakeInsights, insights_client: MakeClient
) -> None:
    client = insights_client()
    created = client.create_export(
        reports=["USERS", "USAGE"],
        start=datetime(2026, 10, 1, tzinfo=UTC),
        end=datetime(2026, 10, 31, 23, 59, 59, 999000, tzinfo=UTC),
    )
    assert created["status"] == "SUBMITTED"
    done = client.wait_export(created["id"])
    assert [d["type"] for d in done["downloads"]] == ["USERS", "USAGE"]
    content = client.download(done["downloads"][0]["downloadURL"])
    assert content.decode().startswith("Email,First name,Last name,Product,Access option")
    assert fake_aps.downloads_seen == [
        {"path": f"/files/{created['id']}/USERS.csv", "authorization": "", "pat": ""}
    ]
    (export,) = fake_aps.exports.values()
    assert export.body == {
        "outputFormat": "CSV",
        "reports": ["USERS", "USAGE"],
        "startDate": "2026-10-01T00:00:00.000Z",
        "endDate": "2026-10-31T23:59:59.999Z",
    }


# --------------------------------------------------------------------------------------------
# secrets


def test_secrets_never_reach_logs_or_exception_texts(
    fake_aps: FakeInsights,
    insights_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3's request lines included
    messages: list[str] = []
    fake_aps.add_usage(CONTEXT, _rows(150))
    fake_aps.query_polls_before_done = 0
    fake_aps.expire_tokens_at_call = 3
    fake_aps.fail("POST", "/insights/v1/usage-queries", 500, times=1)
    client = insights_client()
    _query(client)  # token renewal and a retry on the way
    export = client.wait_export(client.create_export(reports=["USERS"])["id"])
    fake_aps.fail("GET", "/files/", 403, raw=b"<Error>expired</Error>")
    scenarios = [
        lambda: client.download(export["downloads"][0]["downloadURL"]),
        lambda: fake_aps.fail("GET", "/insights/v1/contexts", 401, times=2) or client.contexts(),
        lambda: fake_aps.fail("GET", "/insights/v1/contexts", 403) or client.contexts(),
        lambda: fake_aps.fail("GET", "/insights/v1/contexts", 503, times=9) or client.contexts(),
    ]
    for scenario in scenarios:
        with pytest.raises(Exception) as caught:  # noqa: B017, PT011 - each raises its own type
            scenario()
        messages.append(str(caught.value))
        messages.append(repr(caught.value))
    # what this code logs, urllib3 included; the fake server's own access log is not ours
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")]
    text = "\n".join(logged + messages) + repr(client.config)
    assert "HTTP 403; the download URL has expired" in text  # the scenarios did run
    for secret in (CLIENT_SECRET, PAT, SIGNATURE, *fake_aps.tokens_issued):
        assert secret not in text
    assert json.dumps(CLIENT_SECRET) not in text
