"""Pilot tests: selection, detail, navigation between panes and runs, failures, help, keys."""

from __future__ import annotations

from forensics_tui.core.config import Config
from forensics_tui.ui.screens.help import HelpScreen
from forensics_tui.ui.view_model import ALL_RUNS
from forensics_tui.ui.widgets.calls_pane import CallsPane
from forensics_tui.ui.widgets.detail_pane import DetailPane
from forensics_tui.ui.widgets.payload_view import PayloadView
from forensics_tui.ui.widgets.runs_pane import RunsPane

from .conftest import make_app, plain_text, rows_ready, wait_for

SIZE = (120, 36)


async def test_runs_newest_first_and_newest_selected(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        runs = app.screen.query_one(RunsPane)
        assert runs.scope_at(0) == ALL_RUNS
        ids = [runs.scope_at(i) for i in range(1, 9)]
        assert ids == sorted(ids, reverse=True)
        assert runs.scope == "20260308_090000"
        assert app.screen.rows.rows[0].tool == "crm_lookup"
        assert len(app.screen.rows) == 5


async def test_cursor_moves_and_detail_follows(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        calls = app.screen.query_one(CallsPane)
        detail = app.screen.query_one(DetailPane)
        await pilot.press("j")
        assert calls.cursor == 1
        await wait_for(pilot, lambda: detail.call is not None and detail.call.seq == 2)
        await pilot.press("k", "G")
        assert calls.cursor == 4
        await wait_for(pilot, lambda: detail.call is not None and detail.call.seq == 5)
        await pilot.press("enter")
        assert isinstance(app.focused, PayloadView)
        await pilot.press("3")
        assert detail.active_tab == "error"
        error = detail.query_one("#view-error", PayloadView)
        await wait_for(pilot, lambda: "503" in plain_text(error))
        assert app.focused is error
        await pilot.press("escape")
        assert isinstance(app.focused, CallsPane)
        await pilot.press("escape")
        assert isinstance(app.focused, RunsPane)


async def test_runs_navigation_with_brackets_and_all_runs(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        runs = app.screen.query_one(RunsPane)
        await pilot.press("left_square_bracket")
        assert runs.scope == "20260307_090000"
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert runs.scope == "20260305_090000"
        await pilot.press("right_square_bracket")
        assert runs.scope == "20260306_090000"
        assert {c.run_id for c in app.screen.rows.rows} == {"20260306_090000"}
        await pilot.press("a")
        assert runs.scope == ALL_RUNS
        await wait_for(pilot, lambda: len(app.screen.rows) == 40)
        times = [c.ts for c in app.screen.rows.rows]
        assert times == sorted(times)


async def test_next_and_previous_failure(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(app.screen.rows) == 40)
        calls = app.screen.query_one(CallsPane)
        await pilot.press("g")
        visited = []
        for _ in range(12):
            before = calls.cursor
            await pilot.press("n")
            if calls.cursor == before:
                break
            visited.append(calls.cursor)
        assert visited == sorted(visited)
        rows = app.screen.rows.rows
        stops = [rows[i] for i in visited]
        assert all(c.status == "error" or c.call_id in app.findings for c in stops)
        assert [c.run_id for c in stops if c.status == "error"] == [
            "20260306_090000",
            "20260307_090000",
            "20260308_090000",
        ]
        await pilot.press("N")
        assert calls.cursor == visited[-2]


async def test_help_screen_lists_every_binding_id(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        from forensics_tui.ui.keys import all_keys

        table = app.screen.table
        from rich.console import Console

        console = Console(width=200, record=True)
        console.print(table)
        text = console.export_text()
        for info in all_keys():
            assert info.binding.id in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_keymap_from_config_remaps_a_binding(corpus_copy) -> None:
    config = Config(keys={"next-failure": "v"})
    app = make_app(corpus_copy("v1"), watch=False, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        calls = app.screen.query_one(CallsPane)
        await pilot.press("v")
        assert calls.current is not None and calls.current.status == "error"


async def test_command_palette_offers_every_action(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        titles = {cmd.title for cmd in app.get_system_commands(app.screen)}
        for wanted in ("Next failure", "Filter", "Follow", "Copy value", "Help", "Earlier run"):
            assert wanted in titles
        for wanted in ("Re-execute", "Patterns", "Findings", "Diff against run…"):
            assert wanted in titles
        assert not any("Cancel" in t or t == "Close" for t in titles)  # dialog keys stay there
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "All runs")
        command.callback()
        await pilot.pause()
        assert app.screen.query_one(RunsPane).scope == ALL_RUNS


async def test_findings_badges_diff_tab_and_n_stops_at_silent_failures(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(app.screen.rows) == 40)
        await wait_for(pilot, lambda: bool(app.findings), timeout=10)
        calls = app.screen.query_one(CallsPane)
        await pilot.press("g", "n")
        first = calls.current
        # 20260303's crm_lookup: status ok, but {"error": "token_expired"} in a 200
        assert first is not None and first.status == "ok" and first.run_id == "20260303_090000"
        assert "⚑" in calls.render_item_line(calls.cursor, 0, 110).plain
        await wait_for(pilot, lambda: app.screen.settled)
        await pilot.press("6")
        diff = app.screen.query_one(DetailPane).query_one("#view-diff", PayloadView)
        await wait_for(pilot, lambda: "auth_expiry" in plain_text(diff))
        assert "Root cause" in plain_text(diff)
