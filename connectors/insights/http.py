"""HTTP for the API connectors: timeouts, retries, backoff, a time budget and clear errors.

Both API clients (``connectors.insights.client`` and ``connectors.graph.client``) send every call
through one :class:`HttpSession`, which

* puts a timeout on every call (connect and read, never more than the time budget left);
* retries connection errors, timeouts and 5xx answers with exponential backoff and jitter;
* honours ``Retry-After`` on 429 (and on a 5xx that sends one), seconds or an HTTP date;
* keeps the whole pull inside a bounded total time (``HttpPolicy.total_seconds``): a wait that
  would go past it fails at once with :class:`ApiTimeoutError` instead of sleeping;
* turns answers into :class:`ApiError` subclasses whose messages name the call, the status and
  what to do, and never a secret: registered secrets are masked, URLs are logged without their
  query string (a pre-signed download URL carries its signature there).

The clients own authentication (tokens, 401 renewal) and paging; this module knows neither.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import requests

logger = logging.getLogger(__name__)

MESSAGE_MAX_CHARS = 300  # of an API's own error text quoted in an exception


# --------------------------------------------------------------------------------------------
# Errors


class ApiError(Exception):
    """A failure talking to an API. ``retryable`` says whether trying later may help."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ApiConfigError(ApiError):
    """The connector is not configured: a required environment variable is missing or bad."""


class ApiAuthError(ApiError):
    """Credentials refused (401 after one renewal, a refused token request) or a permission or
    plan missing (403). The message says which."""


class ApiRequestError(ApiError):
    """The API refused the request itself (a 4xx other than 401/403/429)."""


class ApiResponseError(ApiError):
    """An answer the connector cannot use: not JSON, or not the documented shape."""


class ApiPageLoopError(ApiResponseError):
    """Paging does not advance: the same next link (or the same page) came back twice."""


class ApiUnavailableError(ApiError):
    """5xx, 429 or connection errors went on past the retries."""

    retryable = True


class ApiTimeoutError(ApiError):
    """The time budget ran out: a slow endpoint, a long ``Retry-After``, or an asynchronous
    query or export that never finished."""

    retryable = True


class ApiJobFailedError(ApiError):
    """An asynchronous query or export ended in ERROR (or EXPIRED again after a resubmit)."""

    retryable = True


# --------------------------------------------------------------------------------------------
# Policy and clock


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts, retries and time budget of one pull (every value in seconds)."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 6  # tries of one call, the first included
    backoff_initial: float = 1.0  # first retry waits 0.5-1x this, then doubling
    backoff_max: float = 60.0
    total_seconds: float = 1800.0  # the whole pull, every call, wait and poll included
    poll_initial: float = 2.0  # first wait between two polls of an asynchronous job
    poll_max: float = 15.0
    job_max_seconds: float = 900.0  # one asynchronous query or export, submit to finish


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class Rng(Protocol):
    """What the backoff needs of a random generator (``random.Random`` has it)."""

    def random(self) -> float: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# --------------------------------------------------------------------------------------------
# Helpers


def safe_url(url: str) -> str:
    """``url`` without its query string and fragment (which may hold a signature or token)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def origin(url: str) -> tuple[str, str]:
    """Scheme and host:port of a URL, for same-origin checks."""
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_detail(response: requests.Response) -> str:
    """The API's own words for an error: APS (``errorCode``, ``developerMessage``), OAuth
    (``error``, ``error_description``) or Graph (``error.code``, ``error.message``) bodies."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, Mapping):
        return ""
    parts: list[str] = []
    error = body.get("error")
    if isinstance(error, Mapping):  # Microsoft Graph
        parts += [str(error.get(k)) for k in ("code", "message") if error.get(k)]
    elif isinstance(error, str):  # OAuth 2 token endpoints
        parts.append(error)
        if body.get("error_description"):
            parts.append(str(body["error_description"]).splitlines()[0])
    for key in ("errorCode", "developerMessage", "message", "title", "detail"):  # APS, others
        value = body.get(key)
        if isinstance(value, str) and value.strip() and value.strip() not in parts:
            parts.append(value.strip())
    text = ": ".join(parts)
    return text[:MESSAGE_MAX_CHARS]


class _NoQueryStrings(logging.Filter):
    """Drops query strings from urllib3's request lines (DEBUG): a pre-signed download URL
    carries its signature there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                a.split("?", 1)[0] + "?..." if isinstance(a, str) and "?" in a else a
                for a in record.args
            )
        return True


_URLLIB3_FILTER = _NoQueryStrings()


def _mask_urllib3_queries() -> None:
    pool_logger = logging.getLogger("urllib3.connectionpool")
    if _URLLIB3_FILTER not in pool_logger.filters:
        pool_logger.addFilter(_URLLIB3_FILTER)


# --------------------------------------------------------------------------------------------
# The session


class HttpSession:
    """Sends the calls of one pull; see the module docstring for what it guarantees."""

    def __init__(
        self,
        api: str,
        policy: HttpPolicy | None = None,
        *,
        clock: Clock | None = None,
        rng: Rng | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.api = api
        self.policy = policy or HttpPolicy()
        self.clock = clock or SystemClock()
        self._rng: Rng = rng or random.Random()
        self._session = session or requests.Session()
        self._started = self.clock.monotonic()
        self._secrets: set[str] = set()
        _mask_urllib3_queries()

    # secrets ---------------------------------------------------------------------------------

    def add_secret(self, value: str | None) -> None:
        """Mask ``value`` in every message this session (and its client) writes."""
        if value and len(value) >= 4:
            self._secrets.add(value)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    # time ------------------------------------------------------------------------------------

    def elapsed(self) -> float:
        return self.clock.monotonic() - self._started

    def remaining(self) -> float:
        return self.policy.total_seconds - self.elapsed()

    def wait(self, seconds: float, why: str) -> None:
        """Sleep ``seconds`` unless that would pass the time budget (then fail now)."""
        seconds = max(0.0, seconds)
        if seconds > self.remaining():
            raise ApiTimeoutError(
                f"{self.api}: {why}; waiting {seconds:.1f} s more would pass the total time "
                f"budget of {self.policy.total_seconds:.0f} s for one pull"
            )
        self.clock.sleep(seconds)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: 0.5-1x ``backoff_initial * 2**(attempt-1)``."""
        ceiling = min(self.policy.backoff_max, self.policy.backoff_initial * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self._rng.random())

    # calls -----------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        follow_redirects: bool = False,
    ) -> requests.Response:
        """One call, retried on connection errors, timeouts, 429 and 5xx.

        Redirects are followed only when asked (downloads): requests would carry custom headers
        such as ``ADSK-PAT`` to another host. Returns the first answer that is neither 429 nor
        5xx (the caller judges 4xx); raises :class:`ApiUnavailableError` /
        :class:`ApiTimeoutError` when retries or time run out.
        """
        what = f"{method} {safe_url(url)}"
        policy = self.policy
        attempt = 0
        while True:
            attempt += 1
            left = self.remaining()
            if left <= 0:
                raise ApiTimeoutError(
                    f"{self.api}: {what}: the total time budget of {policy.total_seconds:.0f} s "
                    "for one pull is used up"
                )
            timeout = (min(policy.connect_timeout, left), min(policy.read_timeout, left))
            retry_after: float | None = None
            try:
                response = self._session.request(
                    method,
                    url,
                    headers=dict(headers or {}),
                    params=params,
                    json=json_body,
                    data=data,
                    auth=auth,
                    timeout=timeout,
                    allow_redirects=follow_redirects,
                )
            except requests.Timeout as exc:
                kind = "connect" if isinstance(exc, requests.ConnectTimeout) else "read"
                problem = f"no answer within {timeout[1] if kind == 'read' else timeout[0]:g} s"
                problem += f" ({kind} timeout)"
                failure: type[ApiError] = ApiTimeoutError
                status = None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                problem = f"connection failed ({type(exc).__name__})"
                failure = ApiUnavailableError
                status = None
            else:
                status = response.status_code
                if status != 429 and status < 500:
                    return response
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                detail = error_detail(response)
                problem = f"HTTP {status}" + (f" ({detail})" if detail else "")
                failure = ApiUnavailableError
                response.close()
            problem = self.redact(problem)
            if attempt >= policy.max_attempts:
                raise failure(
                    f"{self.api}: {what}: {problem}; gave up after {attempt} attempt(s)",
                    status=status,
                )
            delay = retry_after if retry_after is not None else self.backoff(attempt)
            source = "Retry-After" if retry_after is not None else "backoff"
            logger.warning(
                "%s: %s: %s; retry %d/%d in %.1f s (%s)",
                self.api,
                what,
                problem,
                attempt,
                policy.max_attempts - 1,
                delay,
                source,
            )
            self.wait(delay, f"{what}: {problem}")

    def json_of(self, response: requests.Response, what: str) -> Any:
        """The JSON body of a successful answer, else :class:`ApiResponseError` (no body text:
        it might hold a token)."""
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no Content-Type")
            raise ApiResponseError(
                f"{self.api}: {what}: HTTP {response.status_code} answer is not valid JSON "
                f"({kind}, {len(response.content)} bytes)",
                status=response.status_code,
            ) from None

    def failure(self, response: requests.Response, what: str, *, hint: str = "") -> ApiError:
        """The exception for a 4xx answer (401/403 as :class:`ApiAuthError`)."""
        status = response.status_code
        detail = error_detail(response)
        text = f"{self.api}: {what}: HTTP {status}"
        if detail:
            text += f" ({detail})"
        if hint:
            text += f"; {hint}"
        text = self.redact(text)
        if status in (401, 403):
            return ApiAuthError(text, status=status)
        return ApiRequestError(text, status=status)

    def access_token(
        self, response: requests.Response, what: str, *, hint: str, default_lifetime: float
    ) -> tuple[str, float]:
        """Read a client-credentials token answer (both APIs use the same OAuth shape): the
        token, redacted from logs and errors from now on, and its lifetime in seconds (the
        default when `expires_in` is missing or not a number). A refused request raises
        :class:`ApiAuthError` carrying `hint`."""
        if response.status_code >= 400:
            error = self.failure(response, what, hint=hint)
            raise ApiAuthError(str(error), status=response.status_code)
        body = self.json_of(response, what)
        token = body.get("access_token") if isinstance(body, Mapping) else None
        if not isinstance(token, str) or not token:
            raise ApiResponseError(
                f"{self.api}: {what}: no access_token in the answer ({describe_json(body)})"
            )
        self.add_secret(token)
        expires_in = body.get("expires_in")
        try:
            lifetime = float(expires_in) if expires_in is not None else default_lifetime
        except (TypeError, ValueError):
            lifetime = default_lifetime
        return token, lifetime


def describe_json(value: Any) -> str:
    """A short description of a JSON value's shape, for shape errors (never its content)."""
    if isinstance(value, Mapping):
        keys = ", ".join(sorted(str(k) for k in value)[:8])
        return f"an object with keys [{keys}]"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return f"a {type(value).__name__}"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
