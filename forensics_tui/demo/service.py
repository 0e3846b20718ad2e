"""A real HTTP service on 127.0.0.1 that plays the demo agent's tools, with injectable faults.

Three APIs behind one port: a warehouse API (``GET /warehouse/stock``), a records API
(``POST /records/upsert``) and a notification webhook (``POST /notify``).  Every endpoint wants
``Authorization: Bearer <token>``.  Faults are set per endpoint with ``set_faults`` and apply to
the next matching requests, so the demo can script a history of runs and then leave the service
healthy for re-execution.  Standard library only: the demo must run on a fresh machine.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FAULTS", "DemoService", "Fault"]

FAULTS = ("timeout", "unauthorized", "token_expired", "schema_drift", "rate_limited", "unavailable")

_CATALOGUE = [
    {"sku": "WID-100", "name": "widget", "qty": 140, "location": "A1"},
    {"sku": "WID-200", "name": "widget xl", "qty": 12, "location": "A2"},
    {"sku": "GAD-310", "name": "gadget", "qty": 0, "location": "B4"},
    {"sku": "GAD-320", "name": "gadget mini", "qty": 77, "location": "B5"},
    {"sku": "SPR-001", "name": "sprocket", "qty": 930, "location": "C1"},
    {"sku": "SPR-002", "name": "sprocket fine", "qty": 410, "location": "C1"},
    {"sku": "BOL-050", "name": "bolt m5", "qty": 5200, "location": "D7"},
    {"sku": "BOL-080", "name": "bolt m8", "qty": 3100, "location": "D7"},
    {"sku": "NUT-050", "name": "nut m5", "qty": 4800, "location": "D8"},
]


@dataclass(slots=True)
class Fault:
    """A fault on one endpoint: ``kind`` for the requests numbered in ``on`` (1-based), or all."""

    kind: str
    on: frozenset[int] | None = None
    delay_s: float = 1.5


@dataclass
class _State:
    faults: dict[str, Fault] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    notifications: int = 0


class DemoService:
    """The demo's tool backend.  ``with DemoService() as svc: svc.base_url``."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or "demo-" + secrets.token_urlsafe(18)
        self._state = _State()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.latency_s = 0.0  # added to every tool request, so live calls are visibly in flight

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> DemoService:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="demo-service", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> DemoService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "service not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- faults ----------------------------------------------------------------------------
    def set_faults(self, faults: dict[str, Fault] | None = None) -> None:
        """Replace the fault plan (keys: ``stock``, ``upsert``, ``notify``) and reset counters."""
        with self._lock:
            self._state.faults = dict(faults or {})
            self._state.hits = {}

    @contextmanager
    def faults(self, faults: dict[str, Fault]) -> Iterator[None]:
        self.set_faults(faults)
        try:
            yield
        finally:
            self.set_faults(None)

    @property
    def requests(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._state.requests)

    def _fault_for(self, endpoint: str, method: str, path: str) -> Fault | None:
        with self._lock:
            self._state.requests.append((method, path))
            hit = self._state.hits.get(endpoint, 0) + 1
            self._state.hits[endpoint] = hit
            fault = self._state.faults.get(endpoint)
        if fault is None or (fault.on is not None and hit not in fault.on):
            return None
        return fault

    def _next_notification(self) -> int:
        with self._lock:
            self._state.notifications += 1
            return 9000 + self._state.notifications


def _make_handler(service: DemoService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "demo-tools/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            return  # the demo's output belongs to the agent, not to access logs

        def _send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Request-Id", secrets.token_hex(8))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): nothing to answer

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw or b"null")
            except ValueError:
                return None

        def _authorised(self) -> bool:
            return self.headers.get("Authorization") == f"Bearer {service.token}"

        def _dispatch(self, method: str) -> None:
            url = urlsplit(self.path)
            route = {
                ("GET", "/warehouse/stock"): ("stock", self._stock),
                ("POST", "/records/upsert"): ("upsert", self._upsert),
                ("POST", "/notify"): ("notify", self._notify),
                ("GET", "/health"): ("health", None),
            }.get((method, url.path))
            if route is None:
                self._send(404, {"error": "not_found", "path": url.path})
                return
            endpoint, action = route
            body = self._body() if method == "POST" else None
            if action is None:
                self._send(200, {"ok": True})
                return
            fault = service._fault_for(endpoint, method, url.path)
            if service.latency_s:
                time.sleep(service.latency_s)
            if fault is not None and fault.kind == "timeout":
                time.sleep(fault.delay_s)
            if (fault is not None and fault.kind == "unauthorized") or not self._authorised():
                self._send(
                    401,
                    {"error": "unauthorized", "detail": "bearer token rejected"},
                    {"WWW-Authenticate": 'Bearer realm="demo"'},
                )
                return
            if fault is not None and fault.kind == "token_expired":
                self._send(200, {"error": "token_expired", "detail": "session token expired"})
                return
            if fault is not None and fault.kind == "rate_limited":
                self._send(
                    429, {"error": "rate_limited", "detail": "slow down"}, {"Retry-After": "12"}
                )
                return
            if fault is not None and fault.kind == "unavailable":
                self._send(503, {"error": "upstream_unavailable", "detail": "smtp relay down"})
                return
            drift = fault is not None and fault.kind == "schema_drift"
            action(parse_qs(url.query), body, drift)

        def _stock(self, query: dict[str, list[str]], _body: Any, drift: bool) -> None:
            prefix = (query.get("prefix") or [""])[0]
            items = [dict(item) for item in _CATALOGUE if item["sku"].startswith(prefix)]
            if drift:  # a new API version: qty renamed and sent as a string, location nested
                for item in items:
                    item["quantity"] = str(item.pop("qty"))
                    item["location"] = {"aisle": item["location"][0], "bay": item["location"][1:]}
            self._send(200, {"items": items, "count": len(items), "warehouse": "north"})

        def _upsert(self, _query: dict[str, list[str]], body: Any, _drift: bool) -> None:
            records = body.get("records") if isinstance(body, dict) else None
            if not isinstance(records, list):
                self._send(422, {"error": "invalid_payload", "detail": "records must be a list"})
                return
            self._send(200, {"upserted": len(records), "batch": body.get("batch")})

        def _notify(self, _query: dict[str, list[str]], body: Any, _drift: bool) -> None:
            if not isinstance(body, dict) or "text" not in body:
                self._send(422, {"error": "invalid_payload", "detail": "text is required"})
                return
            self._send(201, {"delivered": True, "id": service._next_notification()})

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

    return Handler
