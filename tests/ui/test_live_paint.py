"""How a landing reaches the screen: its row first, the summaries after, nothing left behind.

The speed itself is measured in ``benchmarks/bench_live_latency.py``; these tests hold the
behaviour the fast path relies on: the row is in the calls pane when the state says so, the
runs pane and the status line catch up, the scroll range and scrollbar follow the item count
without a layout pass, and the heap freeze taken after the scan is released on exit.
"""

from __future__ import annotations

import gc
import threading

from textual.geometry import Region

from forensics_tui.ui.state import Change
from forensics_tui.ui.widgets.calls_pane import CallsPane
from forensics_tui.ui.widgets.runs_pane import RunsPane
from forensics_tui.ui.widgets.status_line import StatusLine

from .conftest import make_app, wait_for
from .fixtures_writer import write_call, write_manifest

SIZE = (120, 36)
RUN = "20260310_120000"
OTHER = "20260310_110000"


def _root_with_calls(tmp_path, count: int):
    """A fixture root whose run RUN already holds calls 1..count."""
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    for seq in range(1, count + 1):
        write_call(root, RUN, seq)
    return root


async def test_the_row_is_painted_before_the_summaries_which_then_catch_up(tmp_path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    write_manifest(root, OTHER, started_at="2026-03-10T11:00:00+00:00")
    write_call(root, RUN, 1)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        status = app.screen.query_one(StatusLine)
        calls = app.screen.query_one(CallsPane)
        runs = app.screen.query_one(RunsPane)
        await wait_for(pilot, lambda: status.watch_state == "watching" and status.total == 1)
        seen: list[tuple[int, int, int]] = []

        def at_notice(change: Change) -> None:  # runs right after the screen's own listener
            if change.added:
                seen.append((calls.item_count, status.shown, status.total))

        app.state.subscribe(at_notice)
        write_call(root, RUN, 2, "fetch")
        await wait_for(pilot, lambda: bool(seen))
        # When the state announced the row, the calls pane already had it; the counts had not
        # been touched yet (they are a frame of their own).
        assert seen[0] == (2, 1, 1)
        await wait_for(pilot, lambda: (status.shown, status.total) == (2, 2))
        # Landings in a run out of view: its summary and the total catch up, the rows do not.
        for seq in range(1, 6):
            write_call(root, OTHER, seq)
        await wait_for(pilot, lambda: status.total == 7)
        other = app.state.run(OTHER)
        assert other is not None and sum(other.counts.values()) == 5
        line = runs.render_item_line(runs.index_of(OTHER), 1, 60).plain
        assert "5" in line
        assert calls.item_count == 2 and status.shown == 2
        await wait_for(pilot, lambda: app.screen.settled)


async def test_scroll_range_and_scrollbars_follow_the_item_count(tmp_path) -> None:
    root = _root_with_calls(tmp_path, 40)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        calls = app.screen.query_one(CallsPane)
        runs = app.screen.query_one(RunsPane)
        status = app.screen.query_one(StatusLine)
        await wait_for(pilot, lambda: status.watch_state == "watching" and calls.item_count == 40)
        assert calls.follow
        for seq in range(41, 46):
            write_call(root, RUN, seq)
        await wait_for(pilot, lambda: calls.item_count == 45)
        await pilot.pause()
        height = calls.scrollable_content_region.height
        assert calls.virtual_size.height == 45
        assert calls.max_scroll_y == 45 - height
        assert calls.scroll_y == calls.max_scroll_y  # following: the newest row is in view
        assert calls.cursor == 44
        assert calls.vertical_scrollbar.window_virtual_size == 45
        # The runs pane has no scrollbar until its runs overflow it: one appears (a layout of
        # its own) and its range covers every run.
        assert not runs.show_vertical_scrollbar
        for hour in range(13, 13 + 20):
            run_id = f"20260310_{hour % 24:02d}0000"
            write_manifest(root, run_id, started_at=f"2026-03-1{hour // 24}T{hour % 24:02d}:00:00Z")
        await wait_for(pilot, lambda: len(app.state.runs) == 21)
        await wait_for(pilot, lambda: runs.show_vertical_scrollbar)
        assert runs.virtual_size.height == (21 + 1) * runs.LINES_PER_ITEM
        assert runs.vertical_scrollbar.window_virtual_size == runs.virtual_size.height


async def test_the_heap_freeze_taken_after_the_scan_is_released_on_exit(tmp_path) -> None:
    root = _root_with_calls(tmp_path, 1)
    gc.unfreeze()
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.scan_complete)
        await pilot.pause()
        assert gc.get_freeze_count() > 0  # startup's objects are out of the full GC's walk
    assert gc.get_freeze_count() == 0


async def test_counts_keep_up_with_a_steady_stream_into_another_run(tmp_path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    write_manifest(root, OTHER, started_at="2026-03-10T11:00:00+00:00")
    write_call(root, RUN, 1)
    app = make_app(root)
    stop = threading.Event()

    def stream() -> None:  # a landing every few ms until the test has what it waits for
        seq = 0
        while not stop.is_set() and seq < 5000:
            seq += 1
            write_call(root, OTHER, seq)
            stop.wait(0.005)

    async with app.run_test(size=SIZE) as pilot:
        status = app.screen.query_one(StatusLine)
        await wait_for(pilot, lambda: status.watch_state == "watching" and status.total == 1)
        writer = threading.Thread(target=stream, daemon=True)
        writer.start()
        try:
            # The runs pane repaints for every batch; the total must not wait for a pause.
            await wait_for(pilot, lambda: status.total > 20, timeout=10)
            assert writer.is_alive()
        finally:
            stop.set()
            writer.join(10)


def _marked_rows(pane: CallsPane) -> list[int]:
    """Rows whose painted line (as cached for the terminal) carries the cursor marker."""
    strips = pane.render_lines(Region(0, 0, pane.outer_size.width, pane.outer_size.height))
    top = pane.scrollable_content_region.y - pane.region.y  # the border above the rows
    rows = []
    for y, strip in enumerate(strips):
        text = strip.text
        if "▌" in text and top <= y < top + pane.scrollable_content_region.height:
            rows.append(int(pane.scroll_y) + y - top)
    return rows


async def test_cursor_moves_repaint_the_right_lines_in_a_scrolled_list(tmp_path) -> None:
    root = _root_with_calls(tmp_path, 40)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        calls = app.screen.query_one(CallsPane)
        await wait_for(pilot, lambda: calls.item_count == 40)
        await pilot.pause()
        assert calls.scroll_y > 0  # following: scrolled to the newest row
        assert _marked_rows(calls) == [39]
        await pilot.press("k", "k")
        await pilot.pause()
        assert _marked_rows(calls) == [37]  # the old cursor lines were repainted too
        write_call(root, RUN, 41)  # not following now: inserted below, nothing shifts
        await wait_for(pilot, lambda: calls.item_count == 41)
        await pilot.pause()
        assert _marked_rows(calls) == [37]
        await pilot.press("end")
        await pilot.pause()
        assert _marked_rows(calls) == [40]
