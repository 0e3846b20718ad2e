"""SVG snapshot tests (pytest-textual-snapshot): main screen, detail tabs, error rows, help.

Deterministic by construction: a frozen clock, the corpus copied under a fixed directory name
(the root label shows only that name), no file watching, and every screenshot taken once the
detail pane has finished loading.  Update with ``pytest tests/ui --snapshot-update``.
"""

from __future__ import annotations

import pytest

from .conftest import make_app, wait_for


def _app(corpus_copy, name: str):
    return make_app(corpus_copy(name), watch=False)


def _settle_after(*keys: str):
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: len(app.screen.rows) > 0)
        # the whole scan and its findings, before a modal (help) hides the main screen's state
        await wait_for(pilot, lambda: getattr(app.screen, "settled", True))
        for key in keys:
            await pilot.press(key)
            await wait_for(pilot, lambda: getattr(app.screen, "settled", True))
        await wait_for(pilot, lambda: getattr(app.screen, "settled", True))
        await pilot.pause()

    return run_before


def test_main_screen(snap_compare, corpus_copy) -> None:
    assert snap_compare(
        _app(corpus_copy, "v1"), terminal_size=(120, 36), run_before=_settle_after()
    )


def test_main_screen_80x24(snap_compare, corpus_copy) -> None:
    assert snap_compare(
        _app(corpus_copy, "v1"), terminal_size=(80, 24), run_before=_settle_after("a")
    )


@pytest.mark.parametrize("tab", ["1", "2", "3", "4", "5"])
def test_detail_tabs(snap_compare, corpus_copy, tab: str) -> None:
    # run 20260303: crm_lookup answered HTTP 200 with {"error": "token_expired"}
    keys = ["left_square_bracket"] * 5 + ["enter", tab]
    assert snap_compare(
        _app(corpus_copy, "v1"), terminal_size=(120, 36), run_before=_settle_after(*keys)
    )


def test_error_tab_of_failed_call(snap_compare, corpus_copy) -> None:
    assert snap_compare(
        _app(corpus_copy, "v1"),
        terminal_size=(120, 36),
        run_before=_settle_after("G", "enter", "3"),
    )


def test_tree_view(snap_compare, corpus_copy) -> None:
    keys = ["left_square_bracket"] * 5 + ["enter", "2", "t"]
    assert snap_compare(
        _app(corpus_copy, "v1"), terminal_size=(120, 36), run_before=_settle_after(*keys)
    )


def test_error_rows_and_hostile_fixture(snap_compare, corpus_copy) -> None:
    assert snap_compare(
        _app(corpus_copy, "bad"), terminal_size=(120, 36), run_before=_settle_after("enter", "2")
    )


def test_help_screen(snap_compare, corpus_copy) -> None:
    assert snap_compare(
        _app(corpus_copy, "v1"), terminal_size=(120, 36), run_before=_settle_after("question_mark")
    )


def test_help_screen_80x24(snap_compare, corpus_copy) -> None:
    assert snap_compare(
        _app(corpus_copy, "v1"), terminal_size=(80, 24), run_before=_settle_after("question_mark")
    )


def test_full_screen_diff_80x24(snap_compare, corpus_copy) -> None:
    # run 20260303 (five runs back): crm_lookup's silent auth failure, its Diff tab full screen
    keys = ["left_square_bracket"] * 5 + ["6", "Z"]
    assert snap_compare(
        _app(corpus_copy, "v1"), terminal_size=(80, 24), run_before=_settle_after(*keys)
    )


def test_filter_in_status_line_120x40(snap_compare, corpus_copy) -> None:
    keys = ["s", *"finding:auth_expiry", "enter"]
    assert snap_compare(
        _app(corpus_copy, "v1"), terminal_size=(120, 40), run_before=_settle_after(*keys)
    )
