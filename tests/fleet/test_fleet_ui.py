"""The fleet view over a real stream: hosts pane, host in run names, a silent host flagged."""

from __future__ import annotations

import time
from pathlib import Path

from forensics_tui.capture import Recorder
from forensics_tui.core.sources.base import HostState
from forensics_tui.core.sources.nats_conn import NatsOptions
from forensics_tui.core.sources.nats_source import NatsSource
from forensics_tui.core.sources.runner import SourceRunner
from forensics_tui.ui.fleet_app import FleetApp
from forensics_tui.ui.labels import run_label
from forensics_tui.ui.widgets.hosts_pane import HostsPane, host_lines
from tests.fleet.conftest import start_shipper, stream_calls, wait_for


def test_host_lines_flag_silent_hosts_first_and_escape_names() -> None:
    now = 1000.0
    hosts = [
        HostState("web-1", last_call=now - 2, last_heartbeat=now - 1, backlog=3),
        HostState("db\x1b[31m", last_call=now - 90, last_heartbeat=now - 80),
        HostState("new-host"),
    ]
    lines = [line.plain for line in host_lines(hosts, now, silent_after_s=30)]
    assert lines[0].startswith("⚠ db\\x1b[31m SILENT 80s")
    assert lines[1].startswith("⚠ new-host   SILENT never")
    assert lines[2] == "● web-1      call 2s hb 1s +3"


def test_fleet_run_labels_keep_the_host() -> None:
    assert run_label("web-1:20261127_145633_914877_7a3b2c", None).startswith("web-1 11-27 14:56")
    assert run_label("20261127_145633_914877_7a3b2c", None) == "11-27 14:56:33 7a3b"


async def test_fleet_view_shows_hosts_and_flags_a_silent_one(nats_server, tmp_path: Path) -> None:
    root = tmp_path / "root"
    rec = Recorder(root, run_id="20261204_100000_000001_abcdef", agent="a")
    rec.record("search", {"q": 1}, {"hits": [1]})
    ship = start_shipper(nats_server.url, root, "web-1")
    try:
        wait_for(lambda: stream_calls(nats_server.url), what="the stream")
        source = NatsSource(NatsOptions(nats_server.url), "FORENSICS", mirror_root=tmp_path / "m")
        runner = SourceRunner(source).start()
        app = FleetApp(
            source.root, hosts=runner.hosts, source_error=lambda: runner.error, silent_after_s=1.5
        )
        try:
            async with app.run_test(size=(120, 30)) as pilot:

                async def shows(text: str, timeout: float = 20.0) -> str:
                    deadline = time.monotonic() + timeout
                    while time.monotonic() < deadline:
                        await pilot.pause(0.1)
                        panes = app.screen.query(HostsPane)
                        if panes:
                            panes.first().refresh_hosts()
                            rendered = str(panes.first().render())
                            if text in rendered:
                                return rendered
                    raise AssertionError(f"{text!r} never shown")

                assert "● web-1" in await shows("web-1 call")
                rec.record("charge", {"n": 2}, None, status="error", error="declined")
                deadline = time.monotonic() + 20
                while len(app.feed.store.calls()) < 2 and time.monotonic() < deadline:
                    await pilot.pause(0.1)
                calls = app.feed.store.calls()
                assert [c.run_id for c in calls] == ["web-1:20261204_100000_000001_abcdef"] * 2
                label = app.state.label(calls[0].run_id, short=True)  # the calls' run column
                assert label == "web-1 10:00:00 abcd"
                ship.terminate()
                ship.wait(10)
                assert "SILENT" in await shows("⚠ web-1")
        finally:
            runner.stop()
    finally:
        ship.kill()
        ship.wait(10)


async def test_findings_wait_until_the_mirror_has_caught_up(tmp_path: Path) -> None:
    """While a first open copies the fleet into the mirror, no analysis runs over the part that
    arrived; once the source has caught up, findings are computed."""
    import threading

    root = tmp_path / "mirror"
    rec = Recorder(root, run_id="web-1:20261204_100000_000001_abcdef", agent="a")
    rec.record("charge", {"n": 2}, None, status="error", error="declined")
    rec.end()
    caught_up = threading.Event()
    app = FleetApp(root, hosts=list, caught_up=caught_up.is_set)
    async with app.run_test(size=(120, 30)) as pilot:
        deadline = time.monotonic() + 20
        while not app.state.scan_complete and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert app.state.scan_complete
        await pilot.pause(1.0)  # past the analysis delay
        assert not app._answered and app.analysis_enabled is None  # no "large root" verdict
        caught_up.set()
        deadline = time.monotonic() + 20
        while not app._answered and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert app._answered
