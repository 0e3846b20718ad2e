"""Pilot tests: the filter bar and its language, one-key status filters, broken-fixture rows,
and hostile payload text staying plain text."""

from __future__ import annotations

from forensics_tui.core.model import BROKEN
from forensics_tui.ui.query import QueryError, parse_query
from forensics_tui.ui.widgets.calls_pane import CallsPane
from forensics_tui.ui.widgets.detail_pane import DetailPane
from forensics_tui.ui.widgets.filter_bar import FilterBar
from forensics_tui.ui.widgets.payload_view import PayloadView
from forensics_tui.ui.widgets.status_line import StatusLine

from .conftest import make_app, plain_text, rows_ready, wait_for

SIZE = (120, 36)


async def test_filter_bar_language_across_all_runs(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        await pilot.press("s")  # search all runs: scope "all" and the filter bar focused
        bar = app.screen.query_one(FilterBar)
        assert bar.display and app.focused is bar.input
        await pilot.press(*"status:error tool:post_*", "enter")
        rows = app.screen.rows.rows
        assert len(rows) == 3
        assert {c.run_id for c in rows} == {
            "20260306_090000",
            "20260307_090000",
            "20260308_090000",
        }
        assert isinstance(app.focused, CallsPane)
        assert app.screen.query_one(StatusLine).filter_text == "status:error tool:post_*"
        await pilot.press("c")
        assert len(app.screen.rows) == 40


async def test_free_text_and_bad_filter_text(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        await pilot.press("a", "slash", *"tag_ticket")
        await wait_for(pilot, lambda: len(app.screen.rows) == 24)
        await pilot.press("ctrl+u", *"status:bogus")
        error = app.screen.query_one("#filter-error")
        assert "unknown status" in str(error.render())
        assert len(app.screen.rows) > 0  # the last valid filter stays applied


async def test_one_key_status_filters_toggle(corpus_copy) -> None:
    app = make_app(corpus_copy("v1"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        await pilot.press("a", "x")
        assert {c.status for c in app.screen.rows.rows} == {"error"}
        await pilot.press("S")
        assert {c.status for c in app.screen.rows.rows} == {"skipped"}
        await pilot.press("S")
        assert len(app.screen.rows) == 40


def test_query_language() -> None:
    query = parse_query("status:fail -tool:tag_* run:2026030[67]* 503")
    assert query.statuses() == frozenset({"error", "timeout", BROKEN})
    try:
        parse_query("status:nope")
    except QueryError as exc:
        assert "nope" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("bad status accepted")


async def test_broken_fixtures_are_error_rows_with_reasons(corpus_copy) -> None:
    app = make_app(corpus_copy("bad"), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await rows_ready(pilot, app)
        rows = app.screen.rows.rows
        broken = [c for c in rows if c.status == BROKEN]
        assert len(broken) == 6
        assert all(c.problem for c in broken)
        calls = app.screen.query_one(CallsPane)
        index = next(i for i, c in enumerate(rows) if c.path.name == "000002_truncated.json")
        line = calls.render_item_line(index, 0, 100).plain
        assert "000002_truncated.json" in line and "truncated" in line.split(".json", 1)[1]
        calls.set_cursor(index)
        detail = app.screen.query_one(DetailPane)
        await wait_for(pilot, lambda: app.screen.settled)
        await pilot.press("3")
        error = detail.query_one("#view-error", PayloadView)
        await wait_for(pilot, lambda: "problem" in plain_text(error))
        assert "truncated" in plain_text(error)
        await pilot.press("5")
        raw = detail.query_one("#view-raw", PayloadView)
        assert '"tool": "trunc"' in plain_text(raw)  # the readable head of the truncated file
        # the hostile but valid fixture stays navigable, its markup shown as text
        calls.set_cursor(0)
        await pilot.press("1")
        view = detail.query_one("#view-input", PayloadView)
        await wait_for(pilot, lambda: "[@click=app.quit]" in plain_text(view))
        await pilot.press("2")
        output = detail.query_one("#view-output", PayloadView)
        await wait_for(pilot, lambda: "clipboard" in plain_text(output))
        text = plain_text(output)
        assert "\\u001b]52;" in text and "\x1b" not in text
        assert "\\x9b31mred" in text and "\x9b" not in text
        assert "fetch\\u202eexe.txt" in calls.render_item_line(0, 0, 100).plain
