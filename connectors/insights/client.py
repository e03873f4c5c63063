"""The Autodesk Insights API client (``/insights/v1``): auth, asynchronous jobs and paging.

Wire shapes, with their sources and what is unconfirmed: ``shared/spec/insights-api.md``.

* Auth: a 2-legged token from ``POST /authentication/v2/token`` (HTTP Basic with the client id
  and secret, ``grant_type=client_credentials``, scopes ``data:read data:write``), sent as
  ``Authorization: Bearer`` with the personal access token as ``ADSK-PAT`` on every Insights call.
  The token is cached until shortly before ``expires_in`` runs out, and renewed once on a 401.
* ``GET /contexts``: the teams the caller reports on.
* Usage: ``POST /usage-queries`` then ``GET /usage-queries/:id`` until COMPLETED (bounded wait),
  then the pages (``offset``/``limit``, at most 100) of ``columns`` + ``rows``.
* Exports: ``POST /exports`` then ``GET /exports/:id`` until COMPLETED, then each
  ``downloads[].downloadURL`` fetched without any auth header (a pre-signed URL).

Every call goes through :class:`connectors.insights.http.HttpSession` (timeouts, retries, time
budget). Secrets never reach a log line or an exception text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import requests

from connectors.insights.http import (
    ApiConfigError,
    ApiError,
    ApiJobFailedError,
    ApiPageLoopError,
    ApiResponseError,
    ApiTimeoutError,
    Clock,
    HttpPolicy,
    HttpSession,
    Rng,
    describe_json,
    safe_url,
)

logger = logging.getLogger(__name__)

ENV_BASE_URL = "FLEXLENS_APS_BASE_URL"
ENV_CLIENT_ID = "FLEXLENS_APS_CLIENT_ID"
ENV_CLIENT_SECRET = "FLEXLENS_APS_CLIENT_SECRET"
ENV_PAT = "FLEXLENS_APS_PAT"
DEFAULT_BASE_URL = "https://developer.api.autodesk.com"

TOKEN_PATH = "/authentication/v2/token"
API_PATH = "/insights/v1"
SCOPES = "data:read data:write"
PAGE_SIZE = 100  # the documented default and the largest page the issue allows
DEFAULT_EXPIRES_IN = 600.0  # assumed token lifetime when a token answer gives none

API_NAME = "Autodesk Insights"

DONE = "COMPLETED"
WORKING = frozenset({"SUBMITTED", "RUNNING"})
FAILED = "ERROR"
EXPIRED = "EXPIRED"

_HINT_403 = (
    "a permission or plan is missing: Insights answers only for admins of teams on the Premium "
    "plan (Business Success Plan, benefit ReportingAPIAccess); the personal access token "
    "(FLEXLENS_APS_PAT) must belong to such an admin and carry the 'Premium Reporting' scope, "
    "and the APS app (FLEXLENS_APS_CLIENT_ID) needs access to the Insights API "
    "(errorCode AUTH-001: it has none)"
)


@dataclass(frozen=True)
class InsightsConfig:
    """Where and how to reach Insights; secrets are kept out of ``repr``."""

    client_id: str
    client_secret: str = field(repr=False)
    pat: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> InsightsConfig:
        missing = [name for name in (ENV_CLIENT_ID, ENV_CLIENT_SECRET) if not environ.get(name)]
        if missing:
            raise ApiConfigError(
                f"{API_NAME} is off: set {' and '.join(missing)} (and {ENV_PAT}) to pull from it"
            )
        base = (environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL).strip().rstrip("/")
        if not base.lower().startswith(("http://", "https://")):
            raise ApiConfigError(f"{ENV_BASE_URL} must be an http(s) URL, not {base!r}")
        return cls(
            client_id=environ[ENV_CLIENT_ID].strip(),
            client_secret=environ[ENV_CLIENT_SECRET].strip(),
            pat=(environ.get(ENV_PAT) or "").strip() or None,
            base_url=base,
        )


def insights_configured(environ: Mapping[str, str]) -> bool:
    """Whether the credentials that turn the Insights pull on are set."""
    return bool(environ.get(ENV_CLIENT_ID) and environ.get(ENV_CLIENT_SECRET))


@dataclass(frozen=True)
class Context:
    """A team the caller can report on (``GET /contexts``)."""

    context_id: str
    alias: str
    benefits: tuple[str, ...]


@dataclass(frozen=True)
class UsageResult:
    """Every row of one finished usage query."""

    query_id: str
    columns: list[str]
    rows: list[list[Any]]
    pages: int
    polls: int


class _QueryExpired(Exception):
    pass


class DownloadExpiredError(ApiError):
    """A download URL no longer answers (it is transient): fetch the export again."""


class InsightsClient:
    """One pull's client: a token, a time budget and the calls of the Insights API."""

    def __init__(
        self,
        config: InsightsConfig,
        *,
        policy: HttpPolicy | None = None,
        clock: Clock | None = None,
        session: requests.Session | None = None,
        rng: Rng | None = None,
    ) -> None:
        self.config = config
        self.http = HttpSession(API_NAME, policy, clock=clock, rng=rng, session=session)
        self.http.add_secret(config.client_secret)
        self.http.add_secret(config.pat)
        self._token: str | None = None
        self._token_expires_at = 0.0
        self.token_requests = 0
        if not config.pat:
            logger.info("%s: no %s set; calls go without an ADSK-PAT header", API_NAME, ENV_PAT)

    # auth ------------------------------------------------------------------------------------

    def _fetch_token(self) -> str:
        what = f"POST {TOKEN_PATH}"
        response = self.http.request(
            "POST",
            self.config.base_url + TOKEN_PATH,
            headers={"Accept": "application/json"},
            data={"grant_type": "client_credentials", "scope": SCOPES},
            auth=(self.config.client_id, self.config.client_secret),
        )
        self.token_requests += 1
        token, lifetime = self.http.access_token(
            response,
            what,
            hint=f"the token request was refused: check {ENV_CLIENT_ID} and "
            f"{ENV_CLIENT_SECRET} (an APS app with access to the Insights API)",
            default_lifetime=DEFAULT_EXPIRES_IN,
        )
        self._token = token
        self._token_expires_at = self.http.clock.monotonic() + lifetime - min(60.0, lifetime / 10)
        logger.info("%s: new token, valid %.0f s", API_NAME, lifetime)
        return token

    def _headers(self) -> dict[str, str]:
        token = self._token
        if token is None or self.http.clock.monotonic() >= self._token_expires_at:
            token = self._fetch_token()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if self.config.pat:
            headers["ADSK-PAT"] = self.config.pat
        return headers

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """One Insights call (``path`` under ``/insights/v1``); its JSON answer."""
        what = f"{method} {API_PATH}{path}"
        url = self.config.base_url + API_PATH + path
        response = self.http.request(
            method, url, headers=self._headers(), params=params, json_body=json_body
        )
        if response.status_code == 401:
            logger.info("%s: %s: 401, renewing the token once", API_NAME, what)
            self._token = None
            response = self.http.request(
                method, url, headers=self._headers(), params=params, json_body=json_body
            )
        status = response.status_code
        if 200 <= status < 300:
            return self.http.json_of(response, what)
        if status == 401:
            pat = (
                f"that {ENV_PAT} is a valid, unexpired personal access token"
                if self.config.pat
                else f"{ENV_PAT}: none is set, and the 2-legged mode needs a personal access "
                "token with the 'Premium Reporting' scope"
            )
            raise self.http.failure(
                response,
                what,
                hint="refused even with a fresh token: check that the APS app "
                f"({ENV_CLIENT_ID}) has the Insights API and {pat}",
            )
        if status == 403:
            raise self.http.failure(response, what, hint=_HINT_403)
        raise self.http.failure(response, what)

    # contexts --------------------------------------------------------------------------------

    def contexts(self) -> list[Context]:
        body = self.call("GET", "/contexts")
        if not isinstance(body, list):
            raise ApiResponseError(
                f"{API_NAME}: GET {API_PATH}/contexts: expected an array of teams, got "
                f"{describe_json(body)}"
            )
        found: list[Context] = []
        for item in body:
            if not isinstance(item, Mapping) or item.get("contextId") in (None, ""):
                raise ApiResponseError(
                    f"{API_NAME}: GET {API_PATH}/contexts: a team without contextId "
                    f"({describe_json(item)})"
                )
            benefits = item.get("reportingBenefits")
            found.append(
                Context(
                    context_id=str(item["contextId"]),
                    alias=str(item.get("alias") or ""),
                    benefits=tuple(str(b) for b in benefits) if isinstance(benefits, list) else (),
                )
            )
        return found

    # usage queries ---------------------------------------------------------------------------

    def usage_query(
        self,
        *,
        fields: Sequence[str],
        metrics: Sequence[str] = (),
        where: str = "",
        order_by: str = "",
        context_id: str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> UsageResult:
        """Run one usage query to the end and return all its rows.

        A query whose results EXPIRED before they were read is submitted once more.
        """
        page_size = max(1, min(PAGE_SIZE, page_size))
        body: dict[str, Any] = {
            "fields": list(fields),
            "metrics": list(metrics),
            "where": where,
            "orderBy": order_by,
        }
        params: dict[str, Any] = {"offset": 0, "limit": page_size}
        if context_id:
            body["contextId"] = context_id
            # the reference page names it contextId, the tutorial context (insights-api.md 4)
            params.update(contextId=context_id, context=context_id)
        for submission in (1, 2):
            created = self.call("POST", "/usage-queries", params=params, json_body=body)
            if not isinstance(created, Mapping):
                raise ApiResponseError(
                    f"{API_NAME}: POST {API_PATH}/usage-queries: expected a query object, got "
                    f"{describe_json(created)}"
                )
            query_id = str(created.get("id") or "")
            try:
                if created.get("status") == DONE and "rows" in created:
                    first, polls = created, 0  # finished inline (seen in older samples)
                else:
                    if not query_id:
                        raise ApiResponseError(
                            f"{API_NAME}: POST {API_PATH}/usage-queries: no query id in the "
                            f"answer ({describe_json(created)})"
                        )
                    first, polls = self._wait_query(query_id, page_size)
                columns, rows, pages = self._read_pages(query_id, first, page_size)
            except _QueryExpired:
                if submission == 2:
                    raise ApiJobFailedError(
                        f"{API_NAME}: usage query {query_id} EXPIRED twice before its results "
                        "were read"
                    ) from None
                logger.warning("%s: usage query %s EXPIRED; submitting again", API_NAME, query_id)
                continue
            logger.info(
                "%s: usage query %s: %d rows in %d page(s) after %d poll(s)",
                API_NAME,
                query_id,
                len(rows),
                pages,
                polls,
            )
            return UsageResult(query_id, columns, rows, pages, polls)
        raise AssertionError("unreachable")

    def _poll_delays(self) -> Iterator[float]:
        delay = self.http.policy.poll_initial
        while True:
            yield delay
            delay = min(self.http.policy.poll_max, delay * 1.5)

    def _wait_job(
        self, kind: str, job_id: str, fetch: Callable[[], Any]
    ) -> tuple[Mapping[str, Any], int]:
        """Poll ``fetch()`` until the job is COMPLETED; bounded by ``job_max_seconds``."""
        clock = self.http.clock
        started = clock.monotonic()
        limit = self.http.policy.job_max_seconds
        polls = 0
        delays = self._poll_delays()
        while True:
            body = fetch()
            polls += 1
            if not isinstance(body, Mapping):
                raise ApiResponseError(
                    f"{API_NAME}: {kind} {job_id}: expected an object, got {describe_json(body)}"
                )
            status = body.get("status")
            if status == DONE:
                return body, polls
            if status == FAILED:
                raise ApiJobFailedError(f"{API_NAME}: {kind} {job_id} ended with status ERROR")
            if status == EXPIRED:
                raise _QueryExpired()
            if status not in WORKING:
                raise ApiResponseError(f"{API_NAME}: {kind} {job_id}: unknown status {status!r}")
            delay = next(delays)
            waited = clock.monotonic() - started
            if waited + delay > limit:
                raise ApiTimeoutError(
                    f"{API_NAME}: {kind} {job_id} is still {status} after {polls} poll(s) "
                    f"({waited:.0f} s); it did not finish within {limit:.0f} s"
                )
            self.http.wait(delay, f"{kind} {job_id} still {status}")

    def _wait_query(self, query_id: str, page_size: int) -> tuple[Mapping[str, Any], int]:
        return self._wait_job(
            "usage query",
            query_id,
            lambda: self.call(
                "GET", f"/usage-queries/{query_id}", params={"offset": 0, "limit": page_size}
            ),
        )

    def _read_pages(
        self, query_id: str, page: Mapping[str, Any], page_size: int
    ) -> tuple[list[str], list[list[Any]], int]:
        what = f"usage query {query_id}"
        columns = page.get("columns") or []
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise ApiResponseError(f"{API_NAME}: {what}: columns is not an array of names")
        rows: list[list[Any]] = []
        offset = 0
        pages = 0
        previous: list[Any] | None = None
        while True:
            pages += 1
            page_rows = page.get("rows") or []
            if not isinstance(page_rows, list):
                raise ApiResponseError(f"{API_NAME}: {what}: rows is {describe_json(page_rows)}")
            if (page.get("columns") or columns) != columns:
                raise ApiResponseError(f"{API_NAME}: {what}: the columns changed between pages")
            pagination = page.get("pagination")
            pagination = pagination if isinstance(pagination, Mapping) else {}
            echoed = pagination.get("offset")
            if isinstance(echoed, int) and echoed != offset:
                raise ApiPageLoopError(
                    f"{API_NAME}: {what}: asked for offset {offset}, the page says offset {echoed}"
                )
            if page_rows and page_rows == previous:
                raise ApiPageLoopError(
                    f"{API_NAME}: {what}: the page at offset {offset} repeats the page before it"
                )
            for row in page_rows:
                if isinstance(row, Mapping):  # tolerate rows as objects
                    row = [row.get(c) for c in columns]
                rows.append(row if isinstance(row, list) else [row])
            offset += len(page_rows)
            total = pagination.get("totalResults")
            if isinstance(total, int):
                if offset >= total:
                    break
                if not page_rows:
                    raise ApiPageLoopError(
                        f"{API_NAME}: {what}: empty page at offset {offset} of {total} rows"
                    )
            elif len(page_rows) < page_size:
                break
            if pages > 100_000:
                raise ApiPageLoopError(f"{API_NAME}: {what}: more than 100000 pages")
            previous = page_rows
            page = self.call(
                "GET", f"/usage-queries/{query_id}", params={"offset": offset, "limit": page_size}
            )
            if not isinstance(page, Mapping):
                raise ApiResponseError(f"{API_NAME}: {what}: page is {describe_json(page)}")
            if page.get("status") == EXPIRED:
                raise _QueryExpired()
            if page.get("status") not in (DONE, None):
                raise ApiResponseError(
                    f"{API_NAME}: {what}: page at offset {offset} has status {page.get('status')!r}"
                )
        return list(columns), rows, pages

    # exports ---------------------------------------------------------------------------------

    def create_export(
        self,
        *,
        reports: Sequence[str],
        output_format: str = "CSV",
        start: datetime | None = None,
        end: datetime | None = None,
        team_id: str | None = None,
    ) -> Mapping[str, Any]:
        body: dict[str, Any] = {"outputFormat": output_format, "reports": list(reports)}
        if team_id:
            body["teamId"] = team_id
        if start is not None and end is not None:
            body["startDate"] = _iso_z(start)
            body["endDate"] = _iso_z(end)
        if "USAGE_REPORT" in reports:
            body["usageReports"] = ["USAGE_REPORT_BY_PRODUCT"]
            body["filters"] = {}
        created = self.call("POST", "/exports", json_body=body)
        if not isinstance(created, Mapping) or not created.get("id"):
            raise ApiResponseError(
                f"{API_NAME}: POST {API_PATH}/exports: no export id in the answer "
                f"({describe_json(created)})"
            )
        logger.info("%s: export %s submitted (%s)", API_NAME, created["id"], ", ".join(reports))
        return created

    def get_export(self, export_id: str) -> Mapping[str, Any]:
        body = self.call("GET", f"/exports/{export_id}")
        if not isinstance(body, Mapping):
            raise ApiResponseError(
                f"{API_NAME}: GET {API_PATH}/exports/{export_id}: {describe_json(body)}"
            )
        return body

    def wait_export(self, export_id: str) -> Mapping[str, Any]:
        """The export once COMPLETED, with its ``downloads``."""
        try:
            body, polls = self._wait_job("export", export_id, lambda: self.get_export(export_id))
        except _QueryExpired:
            raise ApiJobFailedError(f"{API_NAME}: export {export_id} EXPIRED") from None
        downloads = body.get("downloads")
        if not isinstance(downloads, list) or not all(
            isinstance(d, Mapping) and isinstance(d.get("downloadURL"), str) for d in downloads
        ):
            raise ApiResponseError(
                f"{API_NAME}: export {export_id}: downloads is not an array of objects with "
                "downloadURL"
            )
        logger.info(
            "%s: export %s COMPLETED after %d poll(s), %d download(s)",
            API_NAME,
            export_id,
            polls,
            len(downloads),
        )
        return body

    def download(self, url: str) -> bytes:
        """A download URL's content, fetched with no auth header (the URL is pre-signed)."""
        absolute = urljoin(self.config.base_url + "/", url)
        what = f"GET {safe_url(absolute)}"
        response = self.http.request("GET", absolute, headers={}, follow_redirects=True)
        if response.status_code in (401, 403, 404, 410):
            raise DownloadExpiredError(
                f"{API_NAME}: {what}: HTTP {response.status_code}; the download URL has expired",
                status=response.status_code,
            )
        if response.status_code >= 300:
            raise self.http.failure(response, what)
        return response.content


def _iso_z(value: datetime) -> str:
    text = value.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
