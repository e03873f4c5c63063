"""The Microsoft Graph client: a client-credentials token and the paged ``/v1.0/users`` list.

* Token: ``POST {FLEXLENS_GRAPH_LOGIN_URL}/{tenant}/oauth2/v2.0/token`` with ``client_id``,
  ``client_secret``, ``grant_type=client_credentials`` and
  ``scope={FLEXLENS_GRAPH_BASE_URL}/.default`` in the form body (what MSAL does, without its
  instance discovery, so any host works). Cached until shortly before ``expires_in`` runs out;
  renewed once on a 401.
* Users: ``GET /v1.0/users?$select=...&$top=999``, then every ``@odata.nextLink`` to the end. A
  next link seen twice is a page loop (an error); a next link to another host is refused (the
  token would go there).
* ``signInActivity`` needs the AuditLog.Read.All permission (and an Entra ID P1/P2 licence),
  ``employeeLeaveDateTime`` User-LifeCycleInfo.Read.All: when Graph answers 403 to a ``$select``
  with them, the list is read without them (one at a time) and the result says so.

Every call goes through :class:`connectors.insights.http.HttpSession` (timeouts, retries on 5xx
and connection errors, 429 ``Retry-After``, a time budget).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from connectors.insights.http import (
    ApiAuthError,
    ApiConfigError,
    ApiPageLoopError,
    ApiResponseError,
    Clock,
    HttpPolicy,
    HttpSession,
    Rng,
    describe_json,
    origin,
    safe_url,
)

logger = logging.getLogger(__name__)

ENV_BASE_URL = "FLEXLENS_GRAPH_BASE_URL"
ENV_LOGIN_URL = "FLEXLENS_GRAPH_LOGIN_URL"
ENV_TENANT_ID = "FLEXLENS_GRAPH_TENANT_ID"
ENV_CLIENT_ID = "FLEXLENS_GRAPH_CLIENT_ID"
ENV_CLIENT_SECRET = "FLEXLENS_GRAPH_CLIENT_SECRET"
DEFAULT_BASE_URL = "https://graph.microsoft.com"
DEFAULT_LOGIN_URL = "https://login.microsoftonline.com"
REQUIRED_ENV = (ENV_TENANT_ID, ENV_CLIENT_ID, ENV_CLIENT_SECRET)

API_NAME = "Microsoft Graph"
USERS_PATH = "/v1.0/users"
PAGE_SIZE = 999  # the largest page /users allows
DEFAULT_EXPIRES_IN = 600.0

# The directory fields of the landing contract (connectors.files.directory.GRAPH_FIELDS).
USER_FIELDS: tuple[str, ...] = (
    "id",
    "userPrincipalName",
    "mail",
    "displayName",
    "givenName",
    "surname",
    "department",
    "country",
    "officeLocation",
    "jobTitle",
    "accountEnabled",
    "createdDateTime",
    "employeeLeaveDateTime",
    "onPremisesSamAccountName",
)
SIGN_IN_FIELD = "signInActivity"
LEAVE_FIELD = "employeeLeaveDateTime"

_HINT_403 = (
    "a permission is missing: the app registration needs the Microsoft Graph application "
    "permission User.Read.All with admin consent"
)
_HINT_SIGN_IN = (
    "signInActivity needs the application permission AuditLog.Read.All and a Microsoft Entra ID "
    "P1/P2 licence"
)
_HINT_LEAVE = "employeeLeaveDateTime needs the application permission User-LifeCycleInfo.Read.All"

# fields that need a permission of their own: left out, in this order, when Graph answers 403
# (field -> (what stays empty without it, what it needs))
OPTIONAL_FIELDS: dict[str, tuple[str, str]] = {
    SIGN_IN_FIELD: ("last sign-in dates", _HINT_SIGN_IN),
    LEAVE_FIELD: ("leave dates", _HINT_LEAVE),
}


@dataclass(frozen=True)
class GraphConfig:
    """Where and how to reach Graph; the secret is kept out of ``repr``."""

    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    login_url: str = DEFAULT_LOGIN_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GraphConfig:
        missing = [name for name in REQUIRED_ENV if not environ.get(name)]
        if missing:
            raise ApiConfigError(f"{API_NAME} is off: set {', '.join(missing)} to pull from it")
        urls = {}
        for name, default in ((ENV_BASE_URL, DEFAULT_BASE_URL), (ENV_LOGIN_URL, DEFAULT_LOGIN_URL)):
            url = (environ.get(name) or default).strip().rstrip("/")
            if not url.lower().startswith(("http://", "https://")):
                raise ApiConfigError(f"{name} must be an http(s) URL, not {url!r}")
            urls[name] = url
        return cls(
            tenant_id=environ[ENV_TENANT_ID].strip(),
            client_id=environ[ENV_CLIENT_ID].strip(),
            client_secret=environ[ENV_CLIENT_SECRET].strip(),
            base_url=urls[ENV_BASE_URL],
            login_url=urls[ENV_LOGIN_URL],
        )


def graph_configured(environ: Mapping[str, str]) -> bool:
    """Whether the credentials that turn the Graph pull on are set."""
    return all(environ.get(name) for name in REQUIRED_ENV)


@dataclass(frozen=True)
class UsersResult:
    users: list[dict[str, Any]]
    pages: int
    sign_in_activity: bool  # False: read without signInActivity (permission or licence missing)
    fields: tuple[str, ...]  # the $select that answered
    dropped: tuple[str, ...] = ()  # optional fields left out after a 403


class GraphClient:
    """One pull's client: a token, a time budget and the users list."""

    def __init__(
        self,
        config: GraphConfig,
        *,
        policy: HttpPolicy | None = None,
        clock: Clock | None = None,
        session: requests.Session | None = None,
        rng: Rng | None = None,
    ) -> None:
        self.config = config
        self.http = HttpSession(API_NAME, policy, clock=clock, rng=rng, session=session)
        self.http.add_secret(config.client_secret)
        self._token: str | None = None
        self._token_expires_at = 0.0
        self.token_requests = 0

    # auth ------------------------------------------------------------------------------------

    def _fetch_token(self) -> str:
        tenant = quote(self.config.tenant_id, safe="")
        path = f"/{tenant}/oauth2/v2.0/token"
        what = f"POST {path}"
        response = self.http.request(
            "POST",
            self.config.login_url + path,
            headers={"Accept": "application/json"},
            data={
                "client_id": self.config.client_id,
                "client_secret": self.config.client_secret,
                "grant_type": "client_credentials",
                "scope": f"{self.config.base_url}/.default",
            },
        )
        self.token_requests += 1
        token, lifetime = self.http.access_token(
            response,
            what,
            hint=f"the token request was refused: check {ENV_TENANT_ID}, {ENV_CLIENT_ID} and "
            f"{ENV_CLIENT_SECRET} (an app registration with a client secret)",
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
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def get(self, url: str, *, hint_403: str = _HINT_403) -> Any:
        """GET a Graph URL (absolute, on the configured host); its JSON answer."""
        what = f"GET {safe_url(url)}"
        response = self.http.request("GET", url, headers=self._headers())
        if response.status_code == 401:
            logger.info("%s: %s: 401, renewing the token once", API_NAME, what)
            self._token = None
            response = self.http.request("GET", url, headers=self._headers())
        status = response.status_code
        if 200 <= status < 300:
            return self.http.json_of(response, what)
        if status == 401:
            raise self.http.failure(
                response,
                what,
                hint="refused even with a fresh token: check that the token is issued for "
                f"{self.config.base_url} and that the app registration is enabled",
            )
        if status == 403:
            raise self.http.failure(response, what, hint=hint_403)
        raise self.http.failure(response, what)

    # users -----------------------------------------------------------------------------------

    def users_url(self, fields: Sequence[str], page_size: int = PAGE_SIZE) -> str:
        select = ",".join(fields)
        return f"{self.config.base_url}{USERS_PATH}?$select={select}&$top={page_size}"

    def list_users(
        self,
        *,
        fields: Sequence[str] = USER_FIELDS,
        sign_in_activity: bool = True,
        page_size: int = PAGE_SIZE,
    ) -> UsersResult:
        """Every user, all pages read.

        ``signInActivity`` (and ``employeeLeaveDateTime``) need permissions of their own: when
        Graph answers 403, the list is asked again without them, one at a time, and the result
        names what was left out.
        """
        wanted = [*fields, SIGN_IN_FIELD] if sign_in_activity else list(fields)
        dropped: list[str] = []
        while True:
            first_url = self.users_url(wanted, page_size)
            droppable = [f for f in OPTIONAL_FIELDS if f in wanted]
            hint = "; ".join([_HINT_403, *(OPTIONAL_FIELDS[f][1] for f in droppable)])
            try:
                first = self.get(first_url, hint_403=hint)
                break
            except ApiAuthError as exc:
                if exc.status != 403 or not droppable:
                    raise
                field_name = droppable[0]
                empty, why = OPTIONAL_FIELDS[field_name]
                logger.warning(
                    "%s: users with %s refused (403); reading them without it, so %s stay empty "
                    "(%s)",
                    API_NAME,
                    field_name,
                    empty,
                    why,
                )
                wanted.remove(field_name)
                dropped.append(field_name)
        users: list[dict[str, Any]] = []
        seen = {first_url}
        page: Any = first
        pages = 0
        base_origin = origin(self.config.base_url)
        while True:
            pages += 1
            if not isinstance(page, Mapping) or not isinstance(page.get("value"), list):
                raise ApiResponseError(
                    f"{API_NAME}: GET {USERS_PATH} page {pages}: expected an object with a "
                    f"'value' array, got {describe_json(page)}"
                )
            skipped = sum(1 for u in page["value"] if not isinstance(u, dict))
            if skipped:
                raise ApiResponseError(
                    f"{API_NAME}: GET {USERS_PATH} page {pages}: {skipped} entries are not objects"
                )
            users.extend(page["value"])
            next_link = page.get("@odata.nextLink")
            if not next_link:
                break
            if not isinstance(next_link, str):
                raise ApiResponseError(f"{API_NAME}: @odata.nextLink on page {pages} is not text")
            if next_link in seen:
                raise ApiPageLoopError(
                    f"{API_NAME}: GET {USERS_PATH}: page {pages} links to a page already read "
                    f"({safe_url(next_link)}); the same next link came twice"
                )
            if origin(next_link) != base_origin:
                raise ApiResponseError(
                    f"{API_NAME}: @odata.nextLink on page {pages} points at another host "
                    f"({safe_url(next_link)}); refusing to send the token there"
                )
            seen.add(next_link)
            page = self.get(next_link)
        logger.info("%s: %d users in %d page(s)", API_NAME, len(users), pages)
        return UsersResult(users, pages, SIGN_IN_FIELD in wanted, tuple(wanted), tuple(dropped))
