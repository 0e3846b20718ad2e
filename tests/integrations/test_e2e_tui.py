"""The last part of the bar: the TUI over the end-to-end roots shows what happened.

The real app opens each root the scenario recorded (pydantic-ai with ``integrations.http``, and
the MCP proxy; built once per session by ``conftest``) and the test checks what an on-call
engineer would see, through the app's widgets and view model like the UI tests do: every run
listed, each fault as a row with its status icon and finding badge, ``n`` stepping through
exactly the failures and findings, the Diff tab's verdict on the expired token, and the
recurring timeout promoted on the patterns screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core.model import Call
from forensics_tui.ui.screens.main import MainScreen
from forensics_tui.ui.screens.patterns import PatternsScreen
from forensics_tui.ui.view_model import ALL_RUNS
from forensics_tui.ui.widgets.calls_pane import CallsPane
from forensics_tui.ui.widgets.pick_list import PickList
from forensics_tui.ui.widgets.runs_pane import RunsPane
from tests.ui.conftest import make_app, wait_for
from tests.ui.test_forensics_views import _diff_settled, _ready

from .scenario import RUNS

pytestmark = pytest.mark.slow

SIZE = (120, 36)
WIDE = 200  # render rows this wide to read their whole preview (the pane itself is narrower)
HTTP_ITEMS = "http GET 127.0.0.1/api/items"
FAULTY = [run_id for run_id, mode in RUNS if mode != "ok"]
CLEAN = [run_id for run_id, mode in RUNS if mode == "ok"]


@dataclass(frozen=True)
class Row:
    """A row the operator must find: its status icon, finding kind (badge) and preview text."""

    icon: str
    text: str = ""
    kind: str | None = None


@dataclass(frozen=True)
class Expected:
    root: str  # the session fixture holding the root
    items_tool: str  # the tool that calls /api/items (its first call in a run)
    rows: dict[tuple[str, str], Row]
    stops: set[str]  # tools on which ``n`` stops in the faulty runs
    pattern: tuple[str, str, str]  # (tool, kind, message part) of the recurring timeout


AGENT = Expected(
    root="agent_root",
    items_tool="list_items",
    rows={
        ("run-02", "list_items"): Row("✓", "token_expired", "auth_expiry"),
        ("run-03", "list_items"): Row("⏱"),
        ("run-03", HTTP_ITEMS): Row("⏱", "ReadTimeout"),
        ("run-04", HTTP_ITEMS): Row("✗", "401"),
        ("run-05", HTTP_ITEMS): Row("✗", "429", "rate_limited"),
        ("run-06", "list_items"): Row("✓", "records", "schema_drift"),
    },
    stops={"list_items", HTTP_ITEMS},
    pattern=("list_items", "timeout", "timed out"),
)
MCP = Expected(
    root="mcp_root",
    items_tool="fetch_items",
    rows={
        ("run-02", "fetch_items"): Row("✓", "token_expired", "auth_expiry"),
        # only the server's message crosses the wire, and it says the upstream timed out: ⏱
        ("run-03", "fetch_items"): Row("⏱", "upstream timeout"),
        ("run-04", "fetch_items"): Row("✗", "401"),
        ("run-05", "fetch_items"): Row("✗", "429", "rate_limited"),
        ("run-06", "fetch_items"): Row("✓", "records", "schema_drift"),
    },
    stops={"fetch_items"},
    pattern=("fetch_items", "timeout", "upstream timeout"),
)


@pytest.fixture(params=[AGENT, MCP], ids=["pydantic-ai", "mcp-proxy"])
def expected(request: pytest.FixtureRequest) -> Expected:
    return request.param


@pytest.fixture
def root(expected: Expected, request: pytest.FixtureRequest) -> Path:
    """The session-wide root of ``expected`` (a sync fixture: it may run the scenario)."""
    return request.getfixturevalue(expected.root)


def _files(root: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_mtime_ns) for p in root.rglob("*"))


async def _all_runs(pilot: Any) -> MainScreen:
    main = await _ready(pilot)
    main.query_one(RunsPane).select_scope(ALL_RUNS)
    await wait_for(pilot, lambda: main.rows.scope == ALL_RUNS)
    return main


def _first_row(main: MainScreen, run_id: str, tool: str) -> int:
    return next(i for i, c in enumerate(main.rows.rows) if (c.run_id, c.tool) == (run_id, tool))


def _kinds(app: Any, call: Call) -> set[str]:
    return {f.kind for f in app.findings.get(call.call_id, ())}


async def test_runs_and_faulty_calls_are_listed(expected: Expected, root: Path) -> None:
    before = _files(root)
    app = make_app(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        main = await _all_runs(pilot)
        runs = main.query_one(RunsPane)
        assert [r.run_id for r in main.runs.order] == [run_id for run_id, _ in reversed(RUNS)]
        for run_id, _ in RUNS:
            head, counts = (runs.render_item_line(runs.index_of(run_id), n, 40) for n in (0, 1))
            assert run_id in head.plain
            flagged = runs.finding_counts.get(run_id, 0)
            assert (flagged > 0) == (run_id in FAULTY), run_id  # e.g. the skipped report step
            assert ("⚑" in counts.plain) == (run_id in FAULTY), counts.plain

        calls = main.query_one(CallsPane)
        for (run_id, tool), row in expected.rows.items():
            index = _first_row(main, run_id, tool)
            call = main.rows[index]
            shown = calls.render_item_line(index, 0, calls.scrollable_content_region.width).plain
            assert shown.split()[2] == row.icon, shown
            assert ("⚑" in shown) == (row.kind is not None), shown
            assert row.text in calls.render_item_line(index, 0, WIDE).plain
            if row.kind is not None:
                assert row.kind in _kinds(app, call)
        for index, call in enumerate(main.rows.rows):
            if call.run_id in CLEAN:
                line = calls.render_item_line(index, 0, WIDE).plain
                assert line.split()[2] == "✓" and "⚑" not in line, line
    assert _files(root) == before  # looking changes nothing under the root


async def test_next_failure_visits_exactly_the_faults(expected: Expected, root: Path) -> None:
    app = make_app(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        main = await _all_runs(pilot)
        calls = main.query_one(CallsPane)
        calls.set_cursor(0)
        await pilot.pause()
        order = [(c.run_id, c.tool) for c in main.rows.rows]
        # the first /api/items call (and its HTTP exchange) of every faulty run, in row order
        wanted = sorted(
            {order.index(k) for k in order if k[0] in FAULTY and k[1] in expected.stops}
        )
        visited: list[int] = []
        while True:
            await pilot.press("n")
            await pilot.pause()
            if visited and calls.cursor == visited[-1]:
                break  # the bell: no more failures or findings
            visited.append(calls.cursor)
            assert len(visited) <= len(wanted), [order[i] for i in visited]
        assert [order[i] for i in visited] == [order[i] for i in wanted]


async def test_diff_tab_blames_the_upstream_for_the_expired_token(
    expected: Expected, root: Path
) -> None:
    app = make_app(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        main = await _all_runs(pilot)
        main.query_one(CallsPane).set_cursor(_first_row(main, "run-02", expected.items_tool))
        await pilot.press("6")
        text = await _diff_settled(pilot, main, "Root cause")
        assert "⚑ auth_expiry (high)" in text and "token_expired" in text
        assert "Root cause: upstream" in text  # the upstream rejected the credential
        (comparing,) = [line for line in text.splitlines() if line.startswith("Comparing")]
        assert "run-01" in comparing and "run-02" in comparing  # against the last good run


async def test_patterns_screen_promotes_the_recurring_timeout(
    expected: Expected, root: Path
) -> None:
    app = make_app(root, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PatternsScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded)
        tool, kind, part = expected.pattern
        (index,) = [
            i
            for i, p in enumerate(screen.patterns)
            if (p.tool, p.kind) == (tool, kind) and part in p.message
        ]
        pattern = screen.patterns[index]
        assert pattern.promoted and pattern.runs == ["run-03", "run-07", "run-08"]
        picks = screen.query_one(PickList)
        line = picks.render_item_line(index, 0, WIDE).plain
        assert "★" in line and "3 runs" in line and "fixed since run-09" in line, line
        picks.set_cursor(index)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        calls = app.screen.query_one(CallsPane)
        await wait_for(pilot, lambda: calls.current.call_id == pattern.latest_call_id)
        assert (calls.current.run_id, calls.current.tool) == ("run-08", tool)
