"""Real HTTP servers on 127.0.0.1 for the run-level tests: a programmable JSON service (what a
re-execution hits) and a webhook receiver that keeps every POST (what an alert reaches)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Service:
    """``answers[path] = (status code, JSON body)``; ``refuse`` answers every POST with it."""

    port: int = 0
    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)
    refuse: int | None = None
    fail_first: int = 0  # answer this many POSTs with 503 before accepting
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(state: Service) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            code, body = state.answers.get(self.path, (404, {"error": "not found"}))
            self._reply(code, body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            with state.lock:
                if state.refuse is not None:
                    self._reply(state.refuse, {"error": "refused"})
                    return
                if state.fail_first > 0:
                    state.fail_first -= 1
                    self._reply(503, {"error": "busy"})
                    return
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"raw": raw.decode("utf-8", "replace")}
            with state.arrived:
                state.posts.append(body)
                state.arrived.notify_all()
            self._reply(200, {"ok": True})

    return Handler


@contextmanager
def serve() -> Iterator[Service]:
    state = Service()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
