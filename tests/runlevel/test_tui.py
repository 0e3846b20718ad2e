"""The run-level views in the TUI: compare (C), history with its onset (H), export (X)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forensics_tui.ui.screens.compare import CompareScreen
from forensics_tui.ui.screens.history import HistoryScreen
from forensics_tui.ui.screens.main import MainScreen
from forensics_tui.ui.widgets.calls_pane import CallsPane
from forensics_tui.ui.widgets.pick_list import PickList
from tests.runlevel.conftest import failed, ok, run
from tests.ui.conftest import make_app, wait_for

SIZE = (120, 36)
EVIL = "fetch[bold red]x\x1b[31m"  # markup and an escape sequence in a tool name


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    v1, v2 = {"agent_version": "1.4.0"}, {"agent_version": "1.5.0"}
    run(root, "20260101_000000", [ok(EVIL, {"q": 1}), ok("notify")], labels=v1)
    run(root, "20260102_000000", [ok(EVIL, {"q": 1}), ok("notify")], labels=v1)
    calls = [ok("login"), failed(EVIL, {"q": 1}), ok("notify")]
    run(root, "20260103_000000", calls, labels=v2)
    return root


async def _ready(pilot: Any) -> MainScreen:
    app = pilot.app
    await wait_for(pilot, lambda: len(app.screen.rows) > 0)
    await wait_for(pilot, lambda: app.screen.settled, timeout=15)
    return app.screen


def _screen_text(screen: Any) -> str:
    info = str(screen.query_one("#picker-info").render())
    items = screen.query_one(PickList)
    lines = [items.render_item_line(i, 0, 110).plain for i in range(len(items.items))]
    return info + "\n" + "\n".join(lines)


async def test_compare_history_and_export_from_the_main_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORENSICS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.chdir(tmp_path)
    app = make_app(_root(tmp_path), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        main = await _ready(pilot)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded, timeout=10)
        result = screen.comparison
        assert (result.a, result.b) == ("20260103_000000", "20260102_000000")
        first = result.first_divergence
        assert first is not None and first.tool == "login" and first.state == "only in A"
        text = _screen_text(screen)
        assert "first divergence" in text and "only in A" in text
        assert "[bold red]" in text and "\x1b" not in text  # shown literally, escaped
        await pilot.press("enter")  # jump to the first divergence
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        calls = main.query_one(CallsPane)
        await wait_for(pilot, lambda: calls.current is not None and calls.current.tool == "login")
        await pilot.press("down")
        await wait_for(pilot, lambda: calls.current.tool == EVIL)
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        hist = app.screen
        await wait_for(pilot, lambda: hist.loaded, timeout=10)
        onset = hist.history.onset
        assert onset is not None and onset.run_id == "20260103_000000"
        assert [(c.what, c.path) for c in onset.changed] == [("label", "agent_version")]
        text = _screen_text(hist)
        assert 'label agent_version: "1.4.0" → "1.5.0"' in text
        assert text.count("▶") == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("X")
        await wait_for(pilot, lambda: main.last_export is not None, timeout=10)
        assert main.last_export.parent == tmp_path
        # an earlier run answered the same input well: the test expects that answer back
    assert "the tool must now give the known-good answer" in main.last_export.read_text()


async def test_the_reexecution_dialog_shows_the_grade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forensics_tui.core.config import Config
    from forensics_tui.ui.screens.reexec import ReexecScreen, result_lines
    from tests.runlevel.servers import serve

    monkeypatch.setenv("FORENSICS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("FORENSICS_REEXEC_ALLOW_HOSTS", raising=False)
    with serve() as service:
        service.answers["/stock"] = (200, {"sku": "A-1", "qty": 5})
        replay = {"kind": "http", "method": "GET", "url": service.url("/stock"), "headers": {}}
        root = tmp_path / "root"
        call = failed("get_stock", {"sku": "A-1"}) | {"replay": replay}
        run(root, "20260101_000000", [call])
        config = Config()
        config.reexec_allow_hosts = [f"127.0.0.1:{service.port}"]
        app = make_app(root, config=config, watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await _ready(pilot)
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, ReexecScreen))
            screen = app.screen
            await wait_for(pilot, lambda: screen.state == "confirm", timeout=10)
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.state == "done", timeout=15)
            assert screen.result.grade.grade == "recovered"
            lines = [line.plain for line in result_lines(screen.result, 300)]
            assert any(line.startswith("grade: recovered (was HTTP 503") for line in lines), lines


async def test_compare_with_another_run_picked_with_b(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forensics_tui.ui.screens.run_picker import RunPickerScreen

    monkeypatch.setenv("FORENSICS_CONFIG", str(tmp_path / "none.toml"))
    app = make_app(_root(tmp_path), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded, timeout=10)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, RunPickerScreen))
        picker = app.screen
        await wait_for(pilot, lambda: picker.loaded)
        picker.query_one(PickList).cursor = 2  # the runs after "last known-good", newest first
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded, timeout=10)
        assert screen.other == "20260101_000000"
        assert screen.comparison.b == "20260101_000000"
