"""A real HTTP service on 127.0.0.1 that injects the faults agents meet in production.

Each path has a behaviour (``ok``, ``timeout``, ``unauthorized``, ``token_expired``,
``rate_limited``, ``shape_changed``, ``server_error``, ``sse``, ``gzip``, ``echo``, and the
chunked streams ``gated`` and ``stalled``).  ``gated`` sends one NDJSON line, then waits for
``release_gate()`` before sending the rest and records in ``gate_opened_by_client`` whether the
client released it (it can only do so if the first line reached it unbuffered); ``stalled``
sends one line and then nothing until long past the clients' timeouts.  Tests
can change what a path does between runs with ``set_mode(path, mode)``, so the *same* tool call
hits a different fault in each run, as it would against a flaky upstream.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["FaultServer"]

TIMEOUT_SLEEP_S = 3.0  # well past the clients' timeouts in the tests (0.5 s)
GATE_WAIT_S = 10.0  # how long ``gated`` waits for the client before sending the rest anyway


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr log
        return

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "41")
        self.end_headers()

    def _send(
        self, code: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self, mode: str, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            self._chunk(b'{"n": 1}\n')
            if mode == "gated":
                self.server.gate_opened_by_client.append(self.server.gate.wait(GATE_WAIT_S))
            else:
                self.server.stopping.wait(TIMEOUT_SLEEP_S)
            self._chunk(b'{"n": 2}\n{"n": 3}\n')
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client gave up
            self.close_connection = True

    def _json(self, code: int, obj: Any, extra: dict[str, str] | None = None) -> None:
        self._send(code, json.dumps(obj).encode(), "application/json", extra)

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        self.server.hits.append((self.command, path))
        mode = self.server.modes.get(path) or path.strip("/").split("/")[0]
        if mode == "ok":
            self._json(200, {"items": [{"id": 1, "name": "alpha"}], "total": 1})
        elif mode == "timeout":
            self.server.stopping.wait(TIMEOUT_SLEEP_S)
            with contextlib.suppress(OSError):  # the client gave up long ago
                self._json(200, {"items": [], "total": 0})
        elif mode == "unauthorized":
            self._json(401, {"error": "unauthorized", "message": "bad credentials"})
        elif mode == "token_expired":
            self._json(200, {"error": "token_expired", "items": []})
        elif mode == "rate_limited":
            self._json(429, {"error": "rate limit exceeded"}, {"Retry-After": "30"})
        elif mode == "shape_changed":
            self._json(200, {"records": [{"id": "1", "label": "alpha"}], "count": "1"})
        elif mode == "server_error":
            self._json(500, {"error": "internal"})
        elif mode == "echo":
            self._send(200, body or b"{}", self.headers.get("Content-Type") or "text/plain")
        elif mode == "gzip":
            data = gzip.compress(json.dumps({"zipped": True}).encode())
            self._send(200, data, "application/json", {"Content-Encoding": "gzip"})
        elif mode == "sse":
            events = b"data: one\n\ndata: two\n\n"
            self._send(200, events, "text/event-stream")
        elif mode in ("gated", "stalled"):
            self._stream(mode, "application/x-ndjson")
        elif mode in ("gated_sse", "stalled_sse"):
            self._stream(mode.removesuffix("_sse"), "text/event-stream")
        elif mode == "text":
            self._send(200, b"plain words", "text/plain; charset=utf-8")
        else:
            self._json(404, {"error": "no such path"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # 20 concurrent connects must not overflow the listen backlog
    modes: dict[str, str]
    hits: list[tuple[str, str]]
    stopping: threading.Event
    gate: threading.Event
    gate_opened_by_client: list[bool]

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up is normal
            super().handle_error(request, client_address)


class FaultServer:
    """Start with ``with FaultServer() as srv:``; ``srv.url("/ok")`` gives a full URL."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.modes = {}
        self._server.hits = []
        self._server.stopping = threading.Event()
        self._server.gate = threading.Event()
        self._server.gate_opened_by_client = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def hits(self) -> list[tuple[str, str]]:
        return self._server.hits

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set_mode(self, path: str, mode: str) -> None:
        self._server.modes[path] = mode

    def release_gate(self) -> None:
        """Let a ``gated`` stream send the rest of its body."""
        self._server.gate.set()

    @property
    def gate_opened_by_client(self) -> list[bool]:
        return self._server.gate_opened_by_client

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.gate.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
