"""An operator's habits, each checked through Pilot the way a person presses keys.

Zoom and resize from any pane, scoped diff choices, ``n`` across runs, analysis filters, local
time with its zone, dialogs that fit 80x24, and keys that are never cut from the footer, the
help screen or the command palette.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from textual.widgets import Input

from forensics_tui.core.config import Config
from forensics_tui.ui.screens.help import HelpScreen
from forensics_tui.ui.screens.main import MainScreen
from forensics_tui.ui.screens.run_picker import RunPickerScreen
from forensics_tui.ui.widgets.calls_pane import CallsPane
from forensics_tui.ui.widgets.detail_pane import DetailPane
from forensics_tui.ui.widgets.payload_view import PayloadView
from forensics_tui.ui.widgets.pick_list import PickList
from forensics_tui.ui.widgets.status_line import StatusLine

from .conftest import make_app, rows_ready, wait_for
from .test_reexec import Counter, _app, _open, _root, counter  # noqa: F401 (fixture)

WIDE = (120, 36)
SMALL = (80, 24)
AUTH_RUN = "20260303_090000"


async def _settled(pilot: Any) -> MainScreen:
    app = pilot.app
    await rows_ready(pilot, app)
    await wait_for(pilot, lambda: app.findings and app.screen.settled, timeout=10)
    return app.screen


def _diff_text(screen: MainScreen) -> str:
    view = screen.query_one("#view-diff", PayloadView)
    return "\n".join(line.plain for line, _ in view.lines)


async def test_zoom_from_the_detail_pane_full_screen_detail_and_resizing(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SMALL) as pilot:
        main = await _settled(pilot)
        detail = main.query_one(DetailPane)
        await pilot.press("enter")  # into the detail pane
        assert detail in app.focused.ancestors_with_self
        await pilot.press("z")
        assert main.maximized is detail
        await pilot.pause()
        assert detail.size.height >= SMALL[1] - 3  # the whole screen, not 5 lines
        await pilot.press("escape")
        assert main.maximized is None
        await pilot.press("escape")  # back in the calls pane
        await pilot.press("Z")  # the detail full screen from the calls pane
        assert main.maximized is detail
        await pilot.press("Z")
        assert main.maximized is None
        left = main.query_one("#left")
        before = left.size.width
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert left.size.width == before + 4
        calls = main.query_one(CallsPane)
        height = calls.size.height
        await pilot.press("plus")
        await pilot.pause()
        assert calls.size.height > height


async def test_diff_choice_sticks_to_its_call_and_the_header_says_so(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=WIDE) as pilot:
        main = await _settled(pilot)
        main.state.set_scope(AUTH_RUN)
        await pilot.pause()
        calls = main.query_one(CallsPane)
        calls.set_cursor(0)
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, RunPickerScreen))
        picker = app.screen
        await wait_for(pilot, lambda: picker.loaded)
        items = picker.query_one(PickList).items
        picker.query_one(PickList).set_cursor(
            next(i for i, item in enumerate(items) if item.value == "20260301_090000")
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_for(pilot, lambda: "(for this call" in _diff_text(main), timeout=10)
        await pilot.press("j")  # the next call of the same run
        await wait_for(pilot, lambda: main.settled and calls.cursor == 1, timeout=10)
        await wait_for(pilot, lambda: "last known-good" in _diff_text(main), timeout=10)
        await pilot.press("right_square_bracket")  # another run: its calls keep their baseline
        await wait_for(pilot, lambda: main.settled and main.state.scope != AUTH_RUN)
        await wait_for(pilot, lambda: "last known-good" in _diff_text(main), timeout=10)


async def test_n_on_first_open_walks_into_older_runs(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=WIDE) as pilot:
        main = await _settled(pilot)
        calls = main.query_one(CallsPane)
        await pilot.press("G")  # at the end of the newest run, past its only failure
        seen = []
        for _ in range(4):
            await pilot.press("n")
            await wait_for(pilot, lambda: calls.current is not None)
            seen.append((main.state.scope, calls.current.seq))
        runs = [scope for scope, _ in seen]
        assert runs == sorted(runs, reverse=True)  # newest first
        assert runs[0] == "20260307_090000"  # crossed into the run before
        assert all(main.state.flagged(main.rows[calls.cursor]) for _ in [0])
        await pilot.press("N")
        assert (main.state.scope, calls.current.seq) == seen[-2]


async def test_filter_by_finding_kind_is_shown_in_the_status_line(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SMALL) as pilot:
        main = await _settled(pilot)
        await pilot.press("s", *"finding:auth_expiry", "enter")
        await wait_for(pilot, lambda: len(main.rows) == 1)
        assert main.rows[0].run_id == AUTH_RUN and main.rows[0].status == "ok"
        status = main.query_one(StatusLine).render().plain
        assert "finding:auth_expiry" in status


async def test_saved_filter_from_the_config(corpus_copy) -> None:
    config = Config(timezone="UTC", filters={"replies": "tool:post_* status:fail"})
    app = make_app(corpus_copy("v1"), watch=False, config=config)
    async with app.run_test(size=WIDE) as pilot:
        main = await _settled(pilot)
        await pilot.press("s", *"@replies", "enter")
        await wait_for(pilot, lambda: len(main.rows) == 3)
        assert {c.tool for c in main.rows.rows} == {"post_reply"}


async def test_times_in_the_configured_zone_with_its_marker(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False, config=Config(timezone="Asia/Kolkata"))
    async with app.run_test(size=WIDE) as pilot:
        main = await _settled(pilot)
        calls = main.query_one(CallsPane)
        assert "IST" in str(calls.border_title)
        assert "14:30:01" in calls.render_item_line(0, 0, 100).plain  # 09:00:01Z
        runs = main.query_one("#runs")
        runs_line = runs.render_item_line(1, 1, 60).plain
        assert "2d ago" in runs_line  # relative age of a recent run (the clock is frozen)


async def test_reexec_dialog_prompt_fits_80x24(tmp_path: Path, counter: Counter) -> None:  # noqa: F811
    app = _app(_root(tmp_path, counter.port), counter.port)
    async with app.run_test(size=SMALL) as pilot:
        screen = await _open(pilot, 2)
        await pilot.pause()
        box = screen.query_one("#reexec-word", Input)
        hint = screen.query_one("#reexec-hint")
        body = screen.query_one("#reexec-body")
        for widget in (box, hint, screen.query_one("#reexec-warning")):
            region = widget.region
            assert region.height > 0 and region.bottom <= body.region.bottom
            assert region.bottom <= SMALL[1]
        await pilot.press(*"post", "enter")
        await wait_for(pilot, lambda: screen.state == "done", timeout=10)
    assert counter.requests == [("POST", "/notify")]


async def test_every_dialog_fits_80x24(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SMALL) as pilot:
        await _settled(pilot)
        for key in ("p", "e", "D", "question_mark"):
            await pilot.press(key)
            await wait_for(pilot, lambda: not isinstance(app.screen, MainScreen))
            await pilot.pause()
            body = app.screen.query_one("#picker-body, #help-body")
            assert body.region.bottom <= SMALL[1] and body.region.right <= SMALL[0]
            assert body.region.height >= 10
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_keys_are_not_cut_in_footer_help_and_palette(corpus_copy) -> None:
    from textual.widgets._footer import FooterKey

    root = corpus_copy("v1")
    for size in (SMALL, WIDE):
        app = make_app(root, watch=False)
        async with app.run_test(size=size) as pilot:
            await _settled(pilot)
            keys = {k.key_display or k.key: k for k in app.screen.query(FooterKey)}
            for wanted in ("?", "q", "/", "n"):
                assert wanted in keys, sorted(keys)
                assert keys[wanted].region.right <= size[0] and keys[wanted].region.width > 0
            commands = list(app.get_system_commands(app.screen))
            helps = {c.title: c.help for c in commands}
            assert helps["Earlier run"].startswith("key: [")
            assert not any("_square_bracket" in (c.help or "") for c in commands)
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
            console = Console(width=size[0] - 6, record=True)
            console.print(app.screen.table)
            text = console.export_text()
            for title in ("Views, filters and forensics", "Patterns, findings and run picker"):
                assert title in text
            assert "previous-failure" in text and "command-palette" in text  # ids whole


async def test_unified_diff_lines_fit_beside_the_scrollbar(corpus_copy) -> None:
    root = corpus_copy("v1")
    for size in (SMALL, WIDE):
        app = make_app(root, watch=False)
        async with app.run_test(size=size) as pilot:
            main = await _settled(pilot)
            main.state.set_scope(AUTH_RUN)
            await pilot.pause()
            await pilot.press("6")
            await wait_for(pilot, lambda m=main: m.settled and "Comparing" in _diff_text(m), 10)
            view = main.query_one("#view-diff", PayloadView)
            room = view.scrollable_content_region.width - 1  # the cursor gutter
            widest = max(line.cell_len for line, _ in view.lines)
            assert widest <= room, (size, widest, room)
