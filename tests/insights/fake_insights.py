"""A stand-in for APS authentication and the Insights API on a real local HTTP server.

It follows ``shared/spec/insights-api.md`` section 12: the token route checks HTTP Basic and
``grant_type``; Insights routes need ``Authorization: Bearer`` (401 with the APS error body
otherwise) and, in PAT mode, ``ADSK-PAT``; usage queries and exports go SUBMITTED -> RUNNING ->
COMPLETED after a configurable number of polls; pages are sliced by ``offset``/``limit``;
downloads are plain unauthenticated URLs that refuse an ``Authorization`` header (like a
pre-signed storage URL). Lenient where the sources disagree: the team as ``context`` or
``contextId`` in the body or the query string, a missing Content-Type, missing ``where``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.insights.helpers import Fault, FaultBook, json_response

CLIENT_ID = "test-app-id"
CLIENT_SECRET = "Sup3r-Secret-Client-Value"
PAT = "pat-Very-Secret-Token-123"
SIGNATURE = "SIG-very-secret-signature"

USERS_CSV = (
    "Email,First name,Last name,Product,Access option,Assigned date,Unassigned date,Team,"
    "Last accessed\n"
    "ana@example.com,Ana,Ader,Revit,Single user,2026-01-05,,New York Office,2026-10-30\n"
    "bo@example.com,Bo,Berg,AutoCAD,Flex,2026-02-01,,New York Office,2026-10-29\n"
)
SEAT_USAGE_CSV = (
    "access_option,autodesk_id,day_used,email,first_name,hashed_autodesk_id,last_name,"
    "offering_name,product_name,team_alias,version\n"
    "Single user,ABC,2026-10-30,ana@example.com,Ana,ff75,Ader,Revit,Revit,New York Office,2026\n"
)
USAGE_REPORT_CSV = "product_name,unique_users,days_used\nRevit,1,20\n"

_WHERE_FROM = re.compile(r"usageDate\s*>=\s*'(\d{4}-\d{2}-\d{2})'")
_WHERE_TO = re.compile(r"usageDate\s*<=\s*'(\d{4}-\d{2}-\d{2})'")


@dataclass
class Query:
    id: str
    columns: list[str]
    rows: list[list[Any]]
    polls: int = 0
    body: dict[str, Any] = field(default_factory=dict)
    context: str | None = None


@dataclass
class Export:
    id: str
    body: dict[str, Any]
    polls: int = 0


class FakeInsights:
    """The fake server's state; tests change its switches and read what it saw."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.faults = FaultBook()
        self.lock = threading.Lock()
        self.require_pat = True
        self.expires_in: Any = 3599
        self.tokens_issued: list[str] = []
        self.valid_tokens: set[str] = set()
        self.expire_tokens_at_call: int | None = None  # after N Insights calls: all expire
        self.insights_calls = 0
        self.contexts: list[dict[str, Any]] = [
            {
                "contextId": "4865648",
                "alias": "New York Office",
                "reportingBenefits": ["ReportingAPIAccess", "ReportingFlexUsage", "InsightsTeam"],
            }
        ]
        self.usage: dict[str, list[dict[str, Any]]] = {"4865648": []}
        self.forbidden_contexts: set[str] = set()
        self.query_polls_before_done = 1
        self.query_never_finishes = False
        self.page_limit_cap = 100
        self.ignore_offset = False  # a broken server: always the first page
        self.echo_requested_offset = True
        self.queries: dict[str, Query] = {}
        self.export_polls_before_done = 1
        self.exports: dict[str, Export] = {}
        self.files: dict[str, str] = {
            "USERS": USERS_CSV,
            "USAGE": SEAT_USAGE_CSV,
            "USAGE_REPORT": USAGE_REPORT_CSV,
        }
        self.downloads_seen: list[dict[str, str]] = []
        self.log: list[tuple[str, str, str]] = []  # method, path, query string
        self.bearers: list[str] = []  # the token of every Insights call, in order
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    # helpers for tests -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def fail(self, method: str, path_prefix: str, status: int = 500, **kwargs: Any) -> None:
        self.faults.add(Fault(method, path_prefix, status, **kwargs))

    def add_usage(self, context: str, rows: list[dict[str, Any]]) -> None:
        self.usage.setdefault(context, []).extend(rows)

    def calls(self, method: str, prefix: str) -> list[tuple[str, str, str]]:
        return [c for c in self.log if c[0] == method and c[1].startswith(prefix)]

    # dispatch --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.log.append((request.method, request.path, request.query_string.decode()))
        injected = self.faults.take(request)
        if injected is not None:
            return injected
        path = request.path
        if path == "/authentication/v2/token" and request.method == "POST":
            return self._token(request)
        if path.startswith("/files/"):
            return self._file(request)
        if path.startswith("/insights/v1/"):
            refused = self._check_auth(request)
            if refused is not None:
                return refused
            return self._insights(request, path.removeprefix("/insights/v1"))
        return json_response({"developerMessage": "not found"}, 404)

    def _token(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if header != f"Basic {expected}":
            return json_response(
                {
                    "developerMessage": "The client_id specified does not have access to the api "
                    "product",
                    "errorCode": "AUTH-001",
                    "moreInfo": "https://aps.autodesk.com/en/docs/oauth/v2/developers_guide/",
                },
                401,
            )
        if request.form.get("grant_type") != "client_credentials" or "data:read" not in (
            request.form.get("scope") or ""
        ):
            return json_response({"developerMessage": "bad grant", "errorCode": "AUTH-008"}, 400)
        with self.lock:
            token = f"eyJ-token-{len(self.tokens_issued) + 1}-secretpart"
            self.tokens_issued.append(token)
            self.valid_tokens.add(token)
        return json_response(
            {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
        )

    def _check_auth(self, request: Request) -> Response | None:
        with self.lock:
            self.insights_calls += 1
            if self.expire_tokens_at_call is not None and (
                self.insights_calls == self.expire_tokens_at_call
            ):
                self.valid_tokens.clear()
            header = request.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ")
            self.bearers.append(token)
            valid = header.startswith("Bearer ") and token in self.valid_tokens
        if not valid:
            return json_response(
                {
                    "developerMessage": "Access token provided is invalid or expired.",
                    "moreInfo": "https://aps.autodesk.com/en/docs/oauth/v2/developers_guide/",
                    "errorCode": "AUTH-006",
                },
                401,
            )
        if self.require_pat and request.headers.get("ADSK-PAT") != PAT:
            return json_response(
                {"developerMessage": "Missing or invalid PAT", "errorCode": "AUTH-010"}, 403
            )
        return None

    def _insights(self, request: Request, path: str) -> Response:
        method = request.method
        if method == "GET" and path == "/contexts":
            return json_response(self.contexts)
        if method == "POST" and path == "/usage-queries":
            return self._submit_query(request)
        match = re.fullmatch(r"/usage-queries/([0-9a-f]{64})", path)
        if method == "GET" and match:
            return self._query_page(request, match.group(1))
        if method == "POST" and path == "/exports":
            return self._submit_export(request)
        match = re.fullmatch(r"/exports/([0-9a-f-]{36})", path)
        if method == "GET" and match:
            return self._export(match.group(1))
        return json_response({"developerMessage": f"no route {method} {path}"}, 404)

    # usage queries ---------------------------------------------------------------------------

    def _submit_query(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")  # Content-Type not required
        context = (
            body.get("contextId")
            or body.get("context")
            or request.args.get("contextId")
            or request.args.get("context")
        )
        if context in self.forbidden_contexts:
            return json_response(
                {"developerMessage": "No reporting access to this team", "errorCode": "AUTH-010"},
                403,
            )
        fields = list(body.get("fields") or []) + list(body.get("metrics") or [])
        where = body.get("where") or ""
        low = _WHERE_FROM.search(where)
        high = _WHERE_TO.search(where)
        rows = []
        for row in self.usage.get(context or "", []):
            value = row.get("usageDate")
            day = (
                datetime.fromtimestamp(value / 1000, UTC).date().isoformat()
                if isinstance(value, int)
                else str(value)[:10]
            )
            if low and day < low.group(1):
                continue
            if high and day > high.group(1):
                continue
            rows.append([row.get(f) for f in fields])
        query_id = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
        self.queries[query_id] = Query(query_id, fields, rows, body=body, context=context)
        return json_response({"id": query_id, "status": "SUBMITTED", "startTime": 1636578859})

    def _query_page(self, request: Request, query_id: str) -> Response:
        query = self.queries.get(query_id)
        if query is None:
            return json_response({"developerMessage": "unknown query"}, 404)
        query.polls += 1
        if self.query_never_finishes or query.polls <= self.query_polls_before_done:
            status = "SUBMITTED" if query.polls == 1 else "RUNNING"
            return json_response({"id": query_id, "status": status})
        offset = int(request.args.get("offset", 0))
        limit = min(int(request.args.get("limit", 100)), self.page_limit_cap)
        used = 0 if self.ignore_offset else offset
        return json_response(
            {
                "id": query_id,
                "status": "COMPLETED",
                "pagination": {
                    "totalResults": len(query.rows),
                    "offset": offset if self.echo_requested_offset else used,
                    "limit": limit,
                },
                "columns": query.columns,
                "rows": query.rows[used : used + limit],
            }
        )

    # exports ---------------------------------------------------------------------------------

    def _export_object(self, export: Export, status: str) -> dict[str, Any]:
        downloads = []
        if status == "COMPLETED":
            downloads = [
                {
                    "type": report,
                    "downloadURL": self.server.url_for(f"/files/{export.id}/{report}.csv")
                    + f"?sig={SIGNATURE}",
                }
                for report in export.body.get("reports", [])
            ]
        return {
            "id": export.id,
            "timestamp": "2026-10-31T22:10:56Z",
            "downloads": downloads,
            "status": status,
            "outputFormat": export.body.get("outputFormat"),
            "teamId": None,
            "teamName": None,
            "reports": export.body.get("reports", []),
        }

    def _submit_export(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")
        if not body.get("reports") or not body.get("outputFormat"):
            return json_response({"developerMessage": "reports and outputFormat required"}, 400)
        export = Export(str(uuid.uuid4()), body)
        self.exports[export.id] = export
        return json_response(self._export_object(export, "SUBMITTED"))

    def _export(self, export_id: str) -> Response:
        export = self.exports.get(export_id)
        if export is None:
            return json_response({"developerMessage": "unknown export"}, 404)
        export.polls += 1
        done = export.polls > self.export_polls_before_done
        return json_response(self._export_object(export, "COMPLETED" if done else "SUBMITTED"))

    def _file(self, request: Request) -> Response:
        self.downloads_seen.append(
            {
                "path": request.path,
                "authorization": request.headers.get("Authorization", ""),
                "pat": request.headers.get("ADSK-PAT", ""),
            }
        )
        if request.headers.get("Authorization") or request.headers.get("ADSK-PAT"):
            return Response("<Error>Only one auth mechanism allowed</Error>", status=400)
        if request.args.get("sig") != SIGNATURE:
            return Response("<Error>AccessDenied</Error>", status=403)
        report = request.path.rsplit("/", 1)[-1].removesuffix(".csv")
        content = self.files.get(report)
        if content is None:
            return Response("<Error>NoSuchKey</Error>", status=404)
        return Response(content, content_type="text/csv")


def usage_row(
    day: date | str,
    email: str,
    product: str,
    tokens: int | float | str,
    *,
    feature: str = "RVT",
    team: str = "New York Office",
) -> dict[str, Any]:
    """A usage line as Insights would hold it (the fields the client asks for)."""
    return {
        "usageDate": day.isoformat() if isinstance(day, date) else day,
        "emailAddress": email,
        "firstName": email.split("@")[0].title(),
        "lastName": "Tester",
        "hashedUserId": hashlib.sha1(email.encode()).hexdigest(),
        "productName": product,
        "featureId": feature,
        "teamName": team,
        "tokens": tokens,
    }
