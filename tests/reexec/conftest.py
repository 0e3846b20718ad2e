"""Real local HTTP servers (127.0.0.1, one thread each) that count what they receive, and a
factory writing fixture files to disk the way an agent would."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core.reexec import ReexecPolicy

SECRET = "s3cr3t-token-value-9f8e7d"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LocalServer:
    """A tiny HTTP service: the path picks the behaviour; every request is kept."""

    server: ThreadingHTTPServer
    requests: list[Seen] = field(default_factory=list)
    redirect_to: str = ""

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(state: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, code: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, dict(self.headers.items()), body)
            state.requests.append(seen)
            path = self.path.split("?")[0]
            if path.startswith("/ok"):
                payload = {"customer": "C-1042", "tier": "gold", "method": self.command}
                self._reply(200, json.dumps(payload).encode())
            elif path == "/echo":  # a careless server that reflects the credential
                auth = self.headers.get("Authorization", "")
                self._reply(200, json.dumps({"you_sent": auth}).encode())
            elif path == "/401":
                self._reply(401, b'{"error": "unauthorized"}')
            elif path == "/500":
                self._reply(500, b"internal error", "text/plain")
            elif path == "/slow":
                time.sleep(3)
                with contextlib.suppress(OSError):  # the client gave up long ago
                    self._reply(200, b"{}")
            elif path == "/trickle":  # each byte well within the read timeout, forever in total
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                with contextlib.suppress(OSError):
                    for _ in range(200):
                        self.wfile.write(b".")
                        time.sleep(0.05)
            elif path == "/redirect":
                self.send_response(302)
                self.send_header("Location", state.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/big":
                self._reply(200, b"x" * 200_000, "text/plain")
            else:
                self._reply(404, b'{"error": "not found"}')

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    return Handler


def _start() -> LocalServer:
    state = LocalServer(server=None)  # type: ignore[arg-type]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.server = server
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return state


@pytest.fixture
def server() -> Iterator[LocalServer]:
    state = _start()
    yield state
    state.server.shutdown()
    state.server.server_close()


@pytest.fixture
def other_server() -> Iterator[LocalServer]:
    state = _start()
    yield state
    state.server.shutdown()
    state.server.server_close()


@pytest.fixture
def closed_port() -> int:
    """A port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_fixture(
    root: Path,
    *,
    run_id: str = "20260303_090000",
    seq: int = 1,
    tool: str = "crm_lookup",
    status: str = "error",
    input: Any = None,
    output: Any = None,
    replay: dict[str, Any] | None = None,
    redacted: list[str] | None = None,
) -> Path:
    """Write one format-1 fixture file (and its run manifest) the way the recorder would."""
    run_dir = root / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    manifest = run_dir / "run.json"
    if not manifest.exists():
        manifest.write_text(
            json.dumps(
                {
                    "format": 1,
                    "run_id": run_id,
                    "started_at": "2026-03-03T09:00:00+00:00",
                    "ended_at": "2026-03-03T09:01:00+00:00",
                    "status": "failed",
                    "agent": "support-bot",
                    "task": "triage",
                }
            )
        )
    data = {
        "format": 1,
        "run_id": run_id,
        "call_id": f"{run_id}-{seq:06d}",
        "seq": seq,
        "tool": tool,
        "status": status,
        "input": input if input is not None else {"customer": "C-1042"},
        "output": output if output is not None else {"status_code": 401, "body": "expired"},
        "error": {"type": "HTTPStatusError", "message": "401 Unauthorized", "traceback": ""}
        if status == "error"
        else None,
        "ts": f"2026-03-03T09:00:{seq:02d}.000000+00:00",
        "ended_at": f"2026-03-03T09:00:{seq:02d}.250000+00:00",
        "duration_ms": 250.0,
        "replay": replay,
        "redacted": redacted or [],
        "meta": {"host": "worker-3"},
    }
    path = run_dir / f"{seq:06d}_{tool}.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def http_replay(url: str, method: str = "GET", **extra: Any) -> dict[str, Any]:
    headers = extra.pop("headers", {"Authorization": "[REDACTED]", "Accept": "application/json"})
    return {"kind": "http", "method": method, "url": url, "headers": headers, **extra}


def policy_for(*hosts: str, env: dict[str, str] | None = None, **kw: Any) -> ReexecPolicy:
    env = {"FORENSICS_SECRET_AUTHORIZATION": f"Bearer {SECRET}"} if env is None else env
    kw.setdefault("timeout_s", 2.0)
    return ReexecPolicy(allow_hosts=hosts, env=env, **kw)


def all_bytes_under(root: Path) -> bytes:
    """Every file under root, dot-files (the audit log, temp files) included."""
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())
