"""A stand-in for Entra ID's token endpoint and Microsoft Graph ``/v1.0/users`` on a real local
HTTP server: client-credentials tokens (form body, ``scope={base}/.default``), ``$select``,
``$top`` (at most 999) and opaque ``$skiptoken`` next links, Graph error bodies, 403 for
``signInActivity`` without AuditLog.Read.All / a P1 licence."""

from __future__ import annotations

import base64
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.insights.helpers import Fault, FaultBook, json_response

TENANT = "contoso-tenant-0001"
CLIENT_ID = "graph-app-id"
CLIENT_SECRET = "Graph~Secret~Value~987654"


def make_user(n: int) -> dict[str, Any]:
    """A Graph user object (every field of the $select, signInActivity included)."""
    created = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=n)
    return {
        "id": f"00000000-0000-0000-0000-{n:012d}",
        "userPrincipalName": f"user{n}@contoso.example",
        "mail": f"User{n}@Contoso.example",
        "displayName": f"User {n}",
        "givenName": "User",
        "surname": str(n),
        "department": ["Design", "Engineering", "Site"][n % 3],
        "country": "GB",
        "officeLocation": "London",
        "jobTitle": "Architect",
        "accountEnabled": n % 10 != 0,
        "createdDateTime": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "employeeLeaveDateTime": None,
        "onPremisesSamAccountName": f"user{n}",
        "signInActivity": {
            "lastSignInDateTime": f"2026-11-2{n % 9}T08:15:00Z",
            "lastNonInteractiveSignInDateTime": None,
        },
    }


def _skiptoken(offset: int) -> str:
    return "RFNwdAIAAQAAAD" + base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    raw = token.removeprefix("RFNwdAIAAQAAAD")
    return int(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()[1:])


class FakeGraph:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.faults = FaultBook()
        self.lock = threading.Lock()
        self.users: list[dict[str, Any]] = [make_user(n) for n in range(1, 6)]
        self.page_cap = 999
        self.sign_in_permitted = True
        self.leave_permitted = True
        self.users_permitted = True
        self.loop_after_page: int | None = None  # that page links back to itself
        self.foreign_next = False
        self.expires_in: Any = 3599
        self.tokens_issued: list[str] = []
        self.valid_tokens: set[str] = set()
        self.token_forms: list[dict[str, str]] = []
        self.expire_tokens_at_call: int | None = None
        self.graph_calls = 0
        self.log: list[tuple[str, str, str]] = []
        self.bearers: list[str] = []
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def fail(self, method: str, path_prefix: str, status: int = 500, **kwargs: Any) -> None:
        self.faults.add(Fault(method, path_prefix, status, **kwargs))

    def user_calls(self) -> list[str]:
        return [q for m, p, q in self.log if m == "GET" and p == "/v1.0/users"]

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.log.append((request.method, request.path, request.query_string.decode()))
        injected = self.faults.take(request)
        if injected is not None:
            return injected
        if request.method == "POST" and request.path == f"/{TENANT}/oauth2/v2.0/token":
            return self._token(request)
        if request.method == "GET" and request.path == "/v1.0/users":
            return self._users(request)
        return json_response({"error": {"code": "Request_ResourceNotFound", "message": "?"}}, 404)

    def _token(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.token_forms.append({k: v for k, v in form.items() if k != "client_secret"})
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return json_response(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. Ensure "
                    "the secret being sent in the request is the client secret value.\r\n"
                    "Trace ID: 0a1b\r\nCorrelation ID: 2c3d",
                    "error_codes": [7000215],
                },
                401,
            )
        if form.get("grant_type") != "client_credentials" or form.get("scope") != (
            f"{self.base_url}/.default"
        ):
            return json_response(
                {"error": "invalid_scope", "error_description": "AADSTS70011: bad scope"}, 400
            )
        with self.lock:
            token = f"eyJ0eXAi-graph-{len(self.tokens_issued) + 1}-sig"
            self.tokens_issued.append(token)
            self.valid_tokens.add(token)
        return json_response(
            {
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "ext_expires_in": self.expires_in,
                "access_token": token,
            }
        )

    def _users(self, request: Request) -> Response:
        with self.lock:
            self.graph_calls += 1
            if self.expire_tokens_at_call == self.graph_calls:
                self.valid_tokens.clear()
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            self.bearers.append(token)
            valid = token in self.valid_tokens
        if not valid:
            return json_response(
                {
                    "error": {
                        "code": "InvalidAuthenticationToken",
                        "message": "Access token has expired or is not yet valid.",
                    }
                },
                401,
            )
        select = [f for f in request.args.get("$select", "").split(",") if f]
        if not self.users_permitted:
            return json_response(
                {
                    "error": {
                        "code": "Authorization_RequestDenied",
                        "message": "Insufficient privileges to complete the operation.",
                    }
                },
                403,
            )
        if "signInActivity" in select and not self.sign_in_permitted:
            return json_response(
                {
                    "error": {
                        "code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                        "message": "Neither tenant is B2C or tenant doesn't have premium license",
                    }
                },
                403,
            )
        if "employeeLeaveDateTime" in select and not self.leave_permitted:
            return json_response(
                {
                    "error": {
                        "code": "Authorization_RequestDenied",
                        "message": "Insufficient privileges to complete the operation.",
                    }
                },
                403,
            )
        top = min(int(request.args.get("$top", 100)), self.page_cap)
        offset = _offset(request.args["$skiptoken"]) if "$skiptoken" in request.args else 0
        page = [
            {k: v for k, v in u.items() if not select or k in select}
            for u in self.users[offset : offset + top]
        ]
        body: dict[str, Any] = {
            "@odata.context": f"{self.base_url}/v1.0/$metadata#users({','.join(select)})",
            "value": page,
        }
        number = offset // top + 1
        if offset + top < len(self.users):
            nxt = offset if self.loop_after_page == number else offset + top
            host = "http://graph.attacker.example" if self.foreign_next else self.base_url
            body["@odata.nextLink"] = (
                f"{host}/v1.0/users?$select={','.join(select)}&$top={top}"
                f"&$skiptoken={_skiptoken(nxt)}"
            )
        return json_response(body)
