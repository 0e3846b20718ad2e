"""Re-execution from the TUI, against a real HTTP server on 127.0.0.1 that counts requests.

``r`` opens the confirmation; Esc sends nothing; Enter sends a GET once and the new run arrives
through the watcher; a POST needs the method typed (a wrong word sends nothing); a host off the
allowlist is refused in place.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from forensics_tui.core.config import Config
from forensics_tui.ui.screens.main import MainScreen
from forensics_tui.ui.screens.reexec import ReexecScreen
from forensics_tui.ui.widgets.calls_pane import CallsPane
from forensics_tui.ui.widgets.status_line import StatusLine

from .conftest import make_app, wait_for
from .fixtures_writer import write_call, write_manifest

SIZE = (120, 36)
RUN = "20260310_120000"


class Counter:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                seen.append((self.command, self.path))
                body = json.dumps({"hits": 7, "method": self.command}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _handle

        return Handler


@pytest.fixture(autouse=True)
def _only_the_config_allowlist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORENSICS_REEXEC_ALLOW_HOSTS", raising=False)


@pytest.fixture
def counter() -> Iterator[Counter]:
    state = Counter()
    thread = threading.Thread(target=state.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()


def _root(tmp_path: Path, port: int) -> Path:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN, status="ok")
    base = f"http://127.0.0.1:{port}"
    write_call(root, RUN, 1, "search", replay={"kind": "http", "method": "GET", "url": f"{base}/s"})
    post = {"kind": "http", "method": "POST", "url": f"{base}/notify", "json": {"to": "ops"}}
    write_call(root, RUN, 2, "notify", replay=post)
    far = {"kind": "http", "method": "GET", "url": "http://203.0.113.9/elsewhere"}
    write_call(root, RUN, 3, "lookup", replay=far)
    return root


def _app(root: Path, port: int):
    config = Config()
    config.reexec_allow_hosts = [f"127.0.0.1:{port}"]
    return make_app(root, config=config)


async def _open(pilot: Any, seq: int) -> ReexecScreen:
    app = pilot.app
    await wait_for(pilot, lambda: len(app.screen.rows) == 3)
    await wait_for(pilot, lambda: app.screen.query_one(StatusLine).watch_state == "watching")
    calls = app.screen.query_one(CallsPane)
    calls.follow = False
    calls.set_cursor(seq - 1)
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(app.screen, ReexecScreen))
    screen = app.screen
    await wait_for(pilot, lambda: screen.state not in ("preparing",))
    return screen


def _text(screen: ReexecScreen, widget: str) -> str:
    return str(screen.query_one(f"#reexec-{widget}", Static).render())


async def test_cancel_sends_nothing(tmp_path: Path, counter: Counter) -> None:
    app = _app(_root(tmp_path, counter.port), counter.port)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, 1)
        assert screen.state == "confirm"
        assert f"GET http://127.0.0.1:{counter.port}/s" in _text(screen, "request")
        assert "curl" in _text(screen, "curl")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.pause(0.2)
    assert counter.requests == []


async def test_get_confirm_sends_once_and_the_new_run_appears(
    tmp_path: Path, counter: Counter
) -> None:
    app = _app(_root(tmp_path, counter.port), counter.port)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, 1)
        assert not screen.request.needs_typed_confirmation
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.state == "done", timeout=10)
        assert counter.requests == [("GET", "/s")]
        result = screen.result
        assert result.status == "ok" and result.new_run_id
        shown = _text(screen, "result")
        assert result.new_run_id in shown
        assert "Root cause" in shown  # the diff against the original, with its verdict
        await pilot.press("o")  # open the new call: it arrives through the watcher
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_for(pilot, lambda: app.screen.runs.get(result.new_run_id) is not None)
        calls = app.screen.query_one(CallsPane)
        await wait_for(pilot, lambda: calls.current is not None)
        await wait_for(pilot, lambda: calls.current.call_id == result.new_call_id)
    assert len(counter.requests) == 1


async def test_post_needs_the_method_typed(tmp_path: Path, counter: Counter) -> None:
    app = _app(_root(tmp_path, counter.port), counter.port)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, 2)
        assert screen.request.needs_typed_confirmation
        assert "NOT IDEMPOTENT" in _text(screen, "warning")
        box = screen.query_one("#reexec-word", Input)
        assert box.display and box.has_focus
        await pilot.press("enter")  # nothing typed
        await wait_for(pilot, lambda: "Nothing typed" in _text(screen, "hint"))
        assert "Type POST" in _text(screen, "hint") and "'nothing'" not in _text(screen, "hint")
        await pilot.press(*"PUT", "enter")  # the wrong word
        await wait_for(pilot, lambda: "'PUT' is not POST" in _text(screen, "hint"))
        assert screen.state == "confirm"
        assert "nothing was sent" in _text(screen, "hint")
        assert counter.requests == []
        box.value = ""
        await pilot.press(*"post", "enter")  # the method, in any case
        await wait_for(pilot, lambda: screen.state == "done", timeout=10)
        assert counter.requests == [("POST", "/notify")]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_refused_host_shows_the_reason(tmp_path: Path, counter: Counter) -> None:
    app = _app(_root(tmp_path, counter.port), counter.port)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, 3)
        assert screen.state == "refused"
        assert "allowlist" in _text(screen, "request")
        await pilot.press("enter")  # nothing to send
        await pilot.pause(0.2)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
    assert counter.requests == []
