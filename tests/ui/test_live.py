"""Live updates on a real directory: the app watches tmp_path while fixtures are written."""

from __future__ import annotations

import pytest

from forensics_tui.ui.widgets.calls_pane import CallsPane
from forensics_tui.ui.widgets.runs_pane import RunsPane
from forensics_tui.ui.widgets.status_line import StatusLine

from .conftest import make_app, wait_for
from .fixtures_writer import write_call, write_manifest

SIZE = (120, 36)
RUN = "20260310_120000"


def _statuses(app) -> list[str]:
    return [c.status for c in app.screen.rows.rows]


async def test_new_fixtures_appear_pending_turns_final_and_deletes_are_marked(tmp_path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    write_call(root, RUN, 1)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.screen.rows) == 1)
        await wait_for(pilot, lambda: app.screen.query_one(StatusLine).watch_state == "watching")
        write_call(root, RUN, 2, "send_email", "pending")
        await wait_for(pilot, lambda: _statuses(app) == ["ok", "pending"])
        write_call(root, RUN, 2, "send_email", "error", error={"type": "SMTP", "message": "550"})
        await wait_for(pilot, lambda: _statuses(app) == ["ok", "error"])
        (root / RUN / "000001_search.json").unlink()
        await wait_for(pilot, lambda: app.screen.rows.rows[0].deleted)
        calls = app.screen.query_one(CallsPane)
        assert "deleted" in calls.render_item_line(0, 0, 100).plain
        assert len(app.screen.rows) == 2
        await pilot.press("k")  # the view keeps working on a deleted row
        await pilot.pause()


async def test_follow_mode_counts_missed_calls_and_end_resumes(tmp_path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    for seq in range(1, 4):
        write_call(root, RUN, seq)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.screen.rows) == 3)
        await wait_for(pilot, lambda: app.screen.query_one(StatusLine).watch_state == "watching")
        calls = app.screen.query_one(CallsPane)
        assert calls.follow  # the run is live: follow is on by default
        assert calls.cursor == 2
        write_call(root, RUN, 4)
        await wait_for(pilot, lambda: len(app.screen.rows) == 4)
        assert calls.cursor == 3
        await pilot.press("up")
        assert not calls.follow
        write_call(root, RUN, 5)
        write_call(root, RUN, 6)
        await wait_for(pilot, lambda: len(app.screen.rows) == 6)
        assert calls.cursor == 2
        assert calls.missed == 2
        assert app.screen.query_one(StatusLine).missed == 2
        await pilot.press("end")
        assert calls.follow and calls.missed == 0 and calls.cursor == 5
        await pilot.press("f")
        assert not calls.follow
        await pilot.press("f")
        assert calls.follow


async def test_new_run_appears_and_takes_over_when_following(tmp_path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    write_call(root, RUN, 1)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.screen.rows) == 1)
        await wait_for(pilot, lambda: app.screen.query_one(StatusLine).watch_state == "watching")
        newer = "20260310_130000"
        write_manifest(root, newer, started_at="2026-03-10T13:00:00+00:00")
        write_call(root, newer, 1, "fetch")
        runs = app.screen.query_one(RunsPane)
        await wait_for(pilot, lambda: runs.scope == newer)
        await wait_for(pilot, lambda: [c.tool for c in app.screen.rows.rows] == ["fetch"])


async def test_missing_root_waits_then_shows_calls(tmp_path) -> None:
    root = tmp_path / "not-yet"
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        status = app.screen.query_one(StatusLine)
        await wait_for(pilot, lambda: status.watch_state == "waiting")
        write_manifest(root, RUN)
        write_call(root, RUN, 1)
        await wait_for(pilot, lambda: len(app.screen.rows) == 1, timeout=10)
        await wait_for(pilot, lambda: status.watch_state == "watching")


async def test_lost_root_shows_banner_and_recovers(tmp_path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    write_call(root, RUN, 1)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        status = app.screen.query_one(StatusLine)
        await wait_for(pilot, lambda: status.watch_state == "watching")
        moved = tmp_path / "moved"
        root.rename(moved)
        await wait_for(pilot, lambda: status.watch_state == "lost", timeout=10)
        assert "WATCH LOST" in status.render().plain
        moved.rename(root)
        write_call(root, RUN, 2)
        await wait_for(pilot, lambda: status.watch_state == "watching", timeout=10)
        await wait_for(pilot, lambda: len(app.screen.rows) == 2, timeout=10)


@pytest.mark.slow
async def test_burst_of_5000_fixtures_all_appear(tmp_path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    write_call(root, RUN, 1)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(StatusLine).watch_state == "watching")
        for seq in range(2, 5001):
            write_call(root, RUN, seq)
        await wait_for(pilot, lambda: len(app.screen.rows) == 5000, timeout=60)
        calls = app.screen.query_one(CallsPane)
        assert calls.follow and calls.cursor == 4999
        await pilot.press("k")  # still responsive
        assert calls.cursor == 4998
