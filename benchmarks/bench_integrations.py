"""Integration overhead and the write floor, for ``bench_capture.py`` (importable helpers).

* floor: the least any capture can cost here: encode a fixture-sized dict and write it through
  a temp file + rename, no sequence, no checks, no redaction.  Reported so that the capture's
  µs per call can be read against what this machine can do at the time of the run.
* integration overhead: µs a call costs through an integration minus the same call through
  ``@checkpoint`` (the bare two-phase call: a pending fixture, then the final one).  LangChain's
  ``ForensicsMiddleware.wrap_tool_call`` and an httpx request captured by ``integrations.http``
  (through the real ``HTTPTransport``, whose connection pool answers from memory, minus the
  same request uncaptured) are measured.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from forensics_tui.capture import Recorder, checkpoint, serialize


class FloorCase:
    """Encode + temp-file write + rename of a fixture-sized dict: the machine's floor."""

    def __init__(self, base: Path, backend: str, fixture: dict[str, Any]) -> None:
        self.backend = backend
        self.dir = base / f"floor-{backend}"
        self.dir.mkdir()
        self.fixture = fixture
        self.names = itertools.count()
        self.samples: list[float] = []

    def one(self) -> None:
        data = serialize.dumps(self.fixture)
        n = next(self.names)
        tmp = f"{self.dir}/.{n}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.close(fd)
        os.replace(tmp, f"{self.dir}/{n:06d}.json")


class FakePool:
    """An httpcore connection pool that answers every request from memory."""

    def __init__(self, httpcore: Any, body: bytes) -> None:
        self.httpcore, self.body = httpcore, body

    def handle_request(self, request: Any) -> Any:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(self.body)),
        ]
        return self.httpcore.Response(200, headers=headers, content=self.body)

    def close(self) -> None:
        return None


def integration_cases(base: Path, tool: str, inp: dict, out: dict) -> dict[str, Any]:
    """name -> zero-argument callable recording one call that way (those installed)."""
    cases: dict[str, Any] = {}
    bare_rec = Recorder(base, "bare")

    @checkpoint(tool, recorder=bare_rec)
    def bare(**kwargs: Any) -> dict:
        return out

    cases["bare @checkpoint"] = lambda: bare(**inp)
    try:
        from forensics_tui.integrations.langchain import ForensicsMiddleware
    except ImportError:
        pass
    else:
        middleware = ForensicsMiddleware(Recorder(base, "langchain"))
        request = SimpleNamespace(tool_call={"name": tool, "args": inp, "id": "call_1"})
        cases["langchain middleware"] = lambda: middleware.wrap_tool_call(request, lambda r: out)
    try:
        import httpcore
        import httpx
    except ImportError:
        return cases
    import json

    body = json.dumps(out).encode()
    transport = httpx.HTTPTransport()
    transport._pool = FakePool(httpcore, body)
    client = httpx.Client(transport=transport)
    url = "http://api.example.com/v1/crm/lookup?customer=C-1042"
    cases["httpx uncaptured"] = lambda: client.get(url)
    http_rec = Recorder(base, "http")
    cases["httpx captured"] = lambda: client.get(url)
    cases["httpx captured"].install = lambda: _install(http_rec)
    return cases


def _install(recorder: Recorder) -> Any:
    from forensics_tui.integrations import http

    http.install(recorder, clients=("httpx",))
    return http.uninstall
