"""Forensics in the TUI over the v1 corpus: patterns, findings, the Diff tab, post-mortems.

The corpus has known answers: ``post_reply`` failed with a 503 in three runs in a row (a
promoted pattern), ``crm_lookup`` answered 200 with ``token_expired`` in ``20260303``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forensics_tui.ui.labels import run_label
from forensics_tui.ui.screens.findings import FindingsScreen
from forensics_tui.ui.screens.main import MainScreen
from forensics_tui.ui.screens.patterns import PatternsScreen
from forensics_tui.ui.screens.run_picker import RunPickerScreen
from forensics_tui.ui.widgets.calls_pane import CallsPane
from forensics_tui.ui.widgets.detail_pane import DetailPane
from forensics_tui.ui.widgets.payload_view import PayloadView
from forensics_tui.ui.widgets.pick_list import PickList
from forensics_tui.ui.widgets.runs_pane import RunsPane

from .conftest import make_app, wait_for

SIZE = (120, 36)
AUTH_RUN = "20260303_090000"


async def _ready(pilot: Any) -> MainScreen:
    app = pilot.app
    await wait_for(pilot, lambda: len(app.screen.rows) > 0)
    await wait_for(pilot, lambda: app.findings and app.screen.settled, timeout=10)
    return app.screen


def _diff_text(screen: MainScreen) -> str:
    view = screen.query_one("#view-diff", PayloadView)
    return "\n".join(line.plain for line, _ in view.lines)


async def _diff_settled(pilot: Any, screen: MainScreen, needle: str) -> str:
    await wait_for(pilot, lambda: screen.settled and needle in _diff_text(screen), timeout=10)
    return _diff_text(screen)


async def test_patterns_promoted_first_and_enter_jumps_to_latest(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PatternsScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded)
        first = screen.patterns[0]
        assert first.promoted and first.tool == "post_reply" and first.run_count == 3
        assert all(not p.promoted for p in screen.patterns[1:])
        assert "★" in screen.query_one(PickList).render_item_line(0, 0, 100).plain
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        calls = app.screen.query_one(CallsPane)
        await wait_for(pilot, lambda: calls.current.call_id == first.latest_call_id)
        assert app.screen.query_one(RunsPane).scope == first.last_seen


async def test_findings_of_a_run_jump_to_the_call(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        main = await _ready(pilot)
        main.state.set_scope(AUTH_RUN)
        await pilot.pause()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FindingsScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded)
        kinds = [item.lines[0].plain for item in screen.query_one(PickList).items]
        assert any("auth_expiry" in k for k in kinds)
        target = next(i for i, k in enumerate(kinds) if "auth_expiry" in k)
        screen.query_one(PickList).set_cursor(target)
        call_id = screen.query_one(PickList).items[target].value[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        calls = main.query_one(CallsPane)
        await wait_for(pilot, lambda: calls.current.call_id == call_id)
        assert calls.current.tool == "crm_lookup"


async def test_runs_pane_counts_findings_and_shows_compact_names(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        main = await _ready(pilot)
        runs = main.query_one(RunsPane)
        index = runs.index_of(AUTH_RUN)
        assert runs.finding_counts.get(AUTH_RUN, 0) >= 1
        assert "⚑" in runs.render_item_line(index, 1, 40).plain
        assert runs.finding_counts.get("20260301_090000", 0) == 0


async def test_diff_tab_modes_and_picking_a_run(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        main = await _ready(pilot)
        main.state.set_scope(AUTH_RUN)
        await pilot.pause()
        calls = main.query_one(CallsPane)
        crm = next(i for i, c in enumerate(main.rows.rows) if c.tool == "crm_lookup")
        calls.set_cursor(crm)
        await pilot.press("6")
        text = await _diff_settled(pilot, main, "Root cause")
        assert "last known-good run · unified" in text
        assert "Comparing: run_20260302_090000 vs run_20260303_090000" in text
        await pilot.press("d")
        text = await _diff_settled(pilot, main, "side-by-side")
        assert "baseline: run" in text and "│" in text and "Root cause" in text
        width = main.query_one("#view-diff", PayloadView).scrollable_content_region.width
        assert max(len(line) for line in text.splitlines()) <= width  # wrapped, not cut
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, RunPickerScreen))
        picker = app.screen
        await wait_for(pilot, lambda: picker.loaded)
        items = picker.query_one(PickList).items
        target = next(i for i, item in enumerate(items) if item.value == "20260301_090000")
        picker.query_one(PickList).set_cursor(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        crm_call = main.rows.rows[crm]
        assert main.state.diff_choice(crm_call).run_id == "20260301_090000"
        text = await _diff_settled(pilot, main, "(for this call")
        assert "Diff against run 20260301_090000 (for this call" in text
        assert "baseline: run 20260301_090000" in text
        await pilot.press("D")  # back to the default
        await wait_for(pilot, lambda: isinstance(app.screen, RunPickerScreen))
        await wait_for(pilot, lambda: app.screen.loaded)
        app.screen.query_one(PickList).set_cursor(0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: main.state.diff_choice(crm_call).run_id is None)
        await _diff_settled(pilot, main, "last known-good run")


async def test_postmortem_is_written_under_the_root(corpus_copy) -> None:
    root = corpus_copy("v1")
    app = make_app(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        main = await _ready(pilot)
        main.state.set_scope(AUTH_RUN)
        await pilot.pause()
        await pilot.press("M")
        await wait_for(pilot, lambda: main.last_postmortem is not None, timeout=10)
        path = main.last_postmortem
        assert path == root / ".postmortems" / f"{AUTH_RUN}.md"
        text = Path(path).read_text(encoding="utf-8")
        assert AUTH_RUN in text and "crm_lookup" in text
        await wait_for(pilot, lambda: any(str(path) in str(n.message) for n in app._notifications))
        assert len(main.runs) == 8  # the post-mortem is not mistaken for a run


def test_run_label_is_compact_and_keeps_short_ids() -> None:
    long_id = "20261127_145633_914877_7a3b2c"
    assert run_label(long_id, "2026-11-27T14:56:33.914877+00:00") == "11-27 14:56:33 7a3b"
    assert run_label(long_id, None, short=True) == "14:56:33 7a3b"
    assert run_label("20260303_090000", None) == "20260303_090000"
    assert run_label("x" * 40) == "x" * 8  # no timestamp: a pasteable piece of the id
    assert "\x1b" not in run_label("\x1b]0;owned\x07" + "a" * 30)


async def test_detail_header_keeps_the_full_run_id(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        main = await _ready(pilot)
        header = main.query_one(DetailPane).query_one("#detail-header")
        await wait_for(pilot, lambda: "20260308_090000" in header.render().plain)
