"""Test helpers shared by the API connector tests (tests/insights, tests/graph)."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import urllib3.util.connection
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors.insights.http import HttpPolicy


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps (no real waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


class FixedRandom:
    """``random.random()`` always 1.0: the backoff is exactly its ceiling, so tests know it."""

    def random(self) -> float:
        return 1.0


def fast_policy(**changes: Any) -> HttpPolicy:
    """Short real timeouts (a slow endpoint fails fast); waits go through the fake clock."""
    values: dict[str, Any] = {
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "max_attempts": 4,
        "backoff_initial": 1.0,
        "backoff_max": 8.0,
        "total_seconds": 600.0,
        "poll_initial": 2.0,
        "poll_max": 8.0,
        "job_max_seconds": 120.0,
    }
    values.update(changes)
    return HttpPolicy(**values)


def guard_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every connection that is not to this machine (no test may reach the internet)."""
    original = urllib3.util.connection.create_connection

    def local_only(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        host = address[0]
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise AssertionError(f"a test tried to reach {host}:{address[1]}")
        return original(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", local_only)


@contextmanager
def local_server() -> Iterator[HTTPServer]:
    """A real HTTP server on 127.0.0.1, threaded (a slow handler does not block the next call)."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


@dataclass
class Fault:
    """An answer a fake server gives instead of the real one, ``times`` times."""

    method: str
    path_prefix: str
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    delay: float = 0.0  # seconds the handler stalls first (a slow endpoint)
    raw: bytes | None = None  # a non-JSON body
    after: int = 0  # matching requests let through before the fault starts


class FaultBook:
    """Faults to inject, matched by method and path prefix, in the order added."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.release = threading.Event()  # set at teardown: stalled handlers return at once
        self.lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def take(self, request: Request) -> Response | None:
        with self.lock:
            for fault in self.faults:
                if (
                    fault.times > 0
                    and fault.method == request.method
                    and request.path.startswith(fault.path_prefix)
                ):
                    if fault.after > 0:
                        fault.after -= 1
                        continue
                    fault.times -= 1
                    break
            else:
                return None
        if fault.delay:
            self.release.wait(fault.delay)
        if fault.raw is not None:
            return Response(fault.raw, status=fault.status, headers=fault.headers)
        return json_response(fault.body or {}, fault.status, fault.headers)


Handler = Callable[[Request], Response]
