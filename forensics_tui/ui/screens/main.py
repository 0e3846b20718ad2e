"""The main screen: runs pane, calls pane, detail pane, filter bar and status line.

It owns the UI-side models (``RunsModel``, ``CallIndex``, ``CallRows``), applies the feed's
snapshots and deltas to them, and routes navigation between the panes.  Data arrives only as
messages from the feed; nothing here touches the file system.  The forensic actions
(re-execute, patterns, findings, post-mortem, diff choice) live in ``forensics_actions``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from forensics_tui.core.model import Call
from forensics_tui.ui.messages import Delta, FeedChanged, FeedSnapshot, WatchState
from forensics_tui.ui.query import Query
from forensics_tui.ui.screens.forensics_actions import ForensicsActions
from forensics_tui.ui.screens.runlevel_actions import RunlevelActions
from forensics_tui.ui.view_model import ALL_RUNS, CallIndex, CallRows, RunsModel
from forensics_tui.ui.widgets.calls_pane import CallsPane
from forensics_tui.ui.widgets.detail_pane import DetailPane
from forensics_tui.ui.widgets.filter_bar import FilterBar
from forensics_tui.ui.widgets.line_list import LineList
from forensics_tui.ui.widgets.payload_view import PayloadView
from forensics_tui.ui.widgets.runs_pane import RunsPane
from forensics_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from forensics_tui.ui.app import ForensicsApp

__all__ = ["MainScreen"]

_DETAIL_DELAY_S = 0.03
_FOLLOW_DETAIL_DELAY_S = 0.3  # while tailing, let bursts of rows paint before the detail loads
_STATUS_FILTERS = {
    "failures": "status:fail",
    "ok": "status:ok",
    "pending": "status:pending",
    "skipped": "status:skipped",
}


class MainScreen(RunlevelActions, ForensicsActions, Screen[None]):
    """Runs | calls over detail; everything keyboard-driven."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # footer order: the few keys an on-call engineer needs first; help lists them all
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("n", "next_failure", "Next failure", id="next-failure"),
        Binding("N", "previous_failure", "Prev failure", show=False, id="previous-failure"),
        Binding(
            "r",
            "reexec",
            "Re-execute",
            tooltip="Send the highlighted call again (after confirming) and diff the answer",
            id="reexec",
        ),
        Binding(
            "p", "patterns", "Patterns", tooltip="Recurring failures across runs", id="patterns"
        ),
        Binding(
            "e", "findings", "Findings", tooltip="Every finding of the selected run", id="findings"
        ),
        Binding("x", "status_filter('failures')", "Failures only", id="only-failures"),
        Binding("escape", "back", "Back", id="back"),
        Binding("s", "search_all", "Search all runs", show=False, id="search-all"),
        Binding("right_square_bracket", "later_run", "Later run", show=False, id="later-run"),
        Binding("left_square_bracket", "earlier_run", "Earlier run", show=False, id="earlier-run"),
        Binding("a", "all_runs", "All runs", show=False, id="all-runs"),
        Binding("O", "status_filter('ok')", "Ok only", show=False, id="only-ok"),
        Binding("P", "status_filter('pending')", "Pending only", show=False, id="only-pending"),
        Binding("S", "status_filter('skipped')", "Skipped only", show=False, id="only-skipped"),
        Binding("c", "clear_filter", "Clear filter", show=False, id="clear-filter"),
        Binding("F", "toggle_follow", "Follow", show=False, id="follow-global"),
        Binding("z", "zoom", "Zoom pane", show=False, id="zoom"),
        Binding("1", "tab('input')", "Input tab", show=False, id="tab-input"),
        Binding("2", "tab('output')", "Output tab", show=False, id="tab-output"),
        Binding("3", "tab('error')", "Error tab", show=False, id="tab-error"),
        Binding("4", "tab('meta')", "Meta tab", show=False, id="tab-meta"),
        Binding("5", "tab('raw')", "Raw tab", show=False, id="tab-raw"),
        Binding("6", "tab('diff')", "Diff tab", show=False, id="tab-diff"),
        Binding("d", "diff_mode", "Diff: unified/side by side", show=False, id="diff-mode"),
        Binding("D", "diff_against", "Diff against run…", show=False, id="diff-against"),
        Binding(
            "M",
            "postmortem",
            "Write post-mortem (<root>/.postmortems)",
            show=False,
            id="postmortem",
        ),
        Binding("C", "compare", "Compare with last good run…", show=False, id="compare"),
        Binding("H", "history", "History of this call", show=False, id="history"),
        Binding("X", "export_test", "Export call as a test", show=False, id="export-test"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs = RunsModel()
        self.index = CallIndex()
        self.rows = CallRows()
        self._first_snapshot = True
        self.scan_complete = False
        self._detail_timer: Timer | None = None
        self._shown_call: Call | None = None
        self.last_postmortem: Path | None = None
        """Where the last post-mortem was written (tests read it)."""

    @property
    def fapp(self) -> ForensicsApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        app = self.fapp
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield RunsPane(self.runs, id="runs")
            with Vertical(id="right"):
                bar = FilterBar(id="filter")
                bar.display = False
                yield bar
                yield CallsPane(
                    self.rows, now=app.now, stale_after_s=app.config.stale_after_s, id="calls"
                )
                yield DetailPane(id="detail")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        runs = self.query_one(RunsPane)
        runs.border_title = "Runs"
        calls = self.query_one(CallsPane)
        calls.border_title = "Calls"
        detail = self.query_one(DetailPane)
        detail.border_title = "Detail"
        detail.loader = self.fapp.load_call
        detail.extra = self.fapp.detail_extra
        detail.root_dir = self.fapp.root
        calls.badge_for = self.fapp.badge_for
        calls.run_name = lambda run_id: self.run_name(run_id, short=True)
        status = self.query_one(StatusLine)
        status.root_label = self.fapp.root_label
        status.watch_state = "scanning"
        runs.set_count(1)
        calls.focus()

    # -- feed -----------------------------------------------------------------------------
    @on(FeedSnapshot)
    def _snapshot(self, message: FeedSnapshot) -> None:
        self.runs.replace_all(message.runs)
        self.index.replace_all(message.calls)
        runs = self.query_one(RunsPane)
        status = self.query_one(StatusLine)
        if message.complete:
            if status.watch_state == "scanning":
                if not self.fapp.watching:
                    status.watch_state = "not watching"
                else:
                    status.watch_state = "watching" if self.fapp.root.exists() else "waiting"
        else:
            total = f"/{message.total}" if message.total else ""
            status.progress = f"{message.indexed}{total} calls"
        runs.runs_changed(len(self.index))
        if message.complete:
            self.scan_complete = True
            self.fapp.request_analysis()
        if self._first_snapshot and self.runs.order:
            self._first_snapshot = False
            newest = self.runs.order[0]
            self.query_one(CallsPane).follow = newest.is_live
            runs.select_scope(newest.run_id)
        self._rebuild_rows()
        self.retry_jump()

    @on(FeedChanged)
    def _changed(self, _message: FeedChanged) -> None:
        delta = self.fapp.drain_feed()
        if delta:
            self.apply_delta(delta)
            self.retry_jump()

    def apply_delta(self, delta: Delta) -> None:
        runs_pane = self.query_one(RunsPane)
        calls = self.query_one(CallsPane)
        newest_before = self.runs.order[0].run_id if self.runs.order else None
        for run_id in delta.removed_runs:
            self.runs.remove(run_id)
            self.index.drop_run(run_id)
        for summary in delta.runs.values():
            self.runs.upsert(summary)
        added: list[int] = []
        rebuild = bool(delta.removed_runs) and self.rows.scope in delta.removed_runs | {ALL_RUNS}
        shown = self._shown_call
        reload_detail = False
        for call in delta.calls:
            old = self.index.upsert(call)
            if not rebuild:
                position = self.rows.apply(call, old)
                if position is not None and (old is None or not self.rows.query.matches(old)):
                    added.append(position)
            if shown is not None and call.path == shown.path:
                reload_detail = True
        calls.crashed_runs = {r.run_id for r in self.runs.order if r.status == "crashed"}
        self.fapp.request_analysis()
        runs_pane.runs_changed(len(self.index))
        newest = self.runs.order[0].run_id if self.runs.order else None
        if (
            newest is not None
            and newest != newest_before
            and calls.follow
            and runs_pane.scope in (newest_before, None)
        ):
            runs_pane.select_scope(newest)  # tail -f across runs: a new run takes over
            return
        if rebuild or runs_pane.scope != self.rows.scope:
            self._rebuild_rows()
            return
        calls.rows_added(sorted(added))
        self._update_counts()
        if reload_detail and calls.current is not None:
            self._show_detail(calls.current)

    def findings_changed(self, run_counts: dict[str, int]) -> None:
        """New findings: repaint badges and the runs pane's finding counts."""
        calls = self.query_one(CallsPane)
        calls.badge_version += 1
        calls.refresh()
        self.query_one(RunsPane).set_finding_counts(run_counts)

    @on(WatchState)
    def _watch_state(self, message: WatchState) -> None:
        status = self.query_one(StatusLine)
        if message.state == "lost":
            self.notify("Lost the watch on the fixture root; retrying.", severity="warning")
        status.watch_state = message.state

    # -- rows -----------------------------------------------------------------------------
    def _rebuild_rows(self, *, keep: Call | None = None) -> None:
        calls = self.query_one(CallsPane)
        keep = keep or calls.current
        self.rows.scope = self.query_one(RunsPane).scope
        self.rows.rebuild(self.index)
        calls.rows_rebuilt(keep=keep)
        calls.border_title = self._calls_title()
        self._update_counts()
        self._schedule_detail()

    def _calls_title(self) -> str:
        scope = self.rows.scope
        return "Calls — all runs" if scope == ALL_RUNS else "Calls"

    def _update_counts(self) -> None:
        status = self.query_one(StatusLine)
        status.shown = len(self.rows)
        status.total = len(self.index)
        status.filter_text = self.rows.query.text

    @on(LineList.Highlighted, "#runs")
    def _run_highlighted(self, _event: LineList.Highlighted) -> None:
        scope = self.query_one(RunsPane).scope
        if scope != self.rows.scope:
            run = self.runs.get(scope)
            calls = self.query_one(CallsPane)
            calls.follow = bool(run and run.is_live) or (
                scope == ALL_RUNS and any(r.is_live for r in self.runs.order)
            )
            self._rebuild_rows()

    @on(LineList.Selected, "#runs")
    def _run_selected(self, _event: LineList.Selected) -> None:
        self.query_one(CallsPane).focus()

    @on(LineList.Highlighted, "#calls")
    def _call_highlighted(self, _event: LineList.Highlighted) -> None:
        following = self.query_one(CallsPane).follow
        self._schedule_detail(_FOLLOW_DETAIL_DELAY_S if following else _DETAIL_DELAY_S)

    @on(LineList.Selected, "#calls")
    def _call_selected(self, _event: LineList.Selected) -> None:
        self.query_one(DetailPane).active_view().focus()

    @on(CallsPane.FollowState)
    def _follow_state(self, message: CallsPane.FollowState) -> None:
        status = self.query_one(StatusLine)
        status.follow = message.follow
        status.missed = message.missed

    @property
    def settled(self) -> bool:
        """Scan done, no detail load or analysis pending (tests and screenshots wait on this)."""
        return (
            self.scan_complete
            and self._detail_timer is None
            and self.query_one(DetailPane).settled
            and not self.fapp.analysis_pending
        )

    def _schedule_detail(self, delay: float = _DETAIL_DELAY_S) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(delay, self._detail_due)

    def _detail_due(self) -> None:
        self._detail_timer = None
        self._show_detail(self.query_one(CallsPane).current)

    def _show_detail(self, call: Call | None) -> None:
        self._shown_call = call
        self.query_one(DetailPane).show_call(call)

    # -- filter ---------------------------------------------------------------------------
    @on(FilterBar.Changed)
    def _filter_changed(self, message: FilterBar.Changed) -> None:
        self.apply_query(message.query)
        if message.submitted:
            self.query_one(CallsPane).focus()

    def apply_query(self, query: Query) -> None:
        self.rows.query = query
        self._rebuild_rows()

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.display = True
        bar.input.focus()

    def action_search_all(self) -> None:
        self.query_one(RunsPane).select_scope(ALL_RUNS)
        self.action_filter()

    def action_status_filter(self, which: str) -> None:
        text = _STATUS_FILTERS[which]
        bar = self.query_one(FilterBar)
        if self.rows.query.text == text:
            text = ""
        bar.display = bool(text)
        bar.set_text(text)

    def action_clear_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.display = False
        bar.set_text("")

    # -- navigation -----------------------------------------------------------------------
    def action_back(self) -> None:
        focused = self.focused
        detail = self.query_one(DetailPane)
        bar = self.query_one(FilterBar)
        if self.maximized is not None:
            self.minimize()
        elif focused is None:
            self.query_one(CallsPane).focus()
        elif focused is bar.input:
            if not bar.input.value:
                bar.display = False
            self.query_one(CallsPane).focus()
        elif detail.close_search():
            pass
        elif focused is not None and detail in focused.ancestors_with_self:
            self.query_one(CallsPane).focus()
        elif isinstance(focused, CallsPane):
            self.query_one(RunsPane).focus()

    def _failure(self, step: int) -> None:
        calls = self.query_one(CallsPane)
        found = self.rows.next_failure(calls.cursor, step, self.fapp.flagged)
        if found is None:
            self.app.bell()
            self.notify("No more failures or findings in this view", timeout=2)
            return
        calls.follow = False
        calls.set_cursor(found)

    def action_next_failure(self) -> None:
        self._failure(1)

    def action_previous_failure(self) -> None:
        self._failure(-1)

    def _step_run(self, step: int) -> None:
        runs = self.query_one(RunsPane)
        target = runs.cursor + step
        if target < 1 or target > len(self.runs):
            self.app.bell()
            return
        runs.set_cursor(target)

    def action_later_run(self) -> None:
        self._step_run(-1)  # the runs pane lists newest first

    def action_earlier_run(self) -> None:
        self._step_run(1)

    def action_all_runs(self) -> None:
        self.query_one(RunsPane).select_scope(ALL_RUNS)

    def action_toggle_follow(self) -> None:
        self.query_one(CallsPane).action_toggle_follow()

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        detail = self.query_one(DetailPane)
        if focused is not None and detail in focused.ancestors_with_self:
            self.maximize(detail, container=False)
        elif focused is not None:
            self.maximize(focused)

    def action_tab(self, key: str) -> None:
        self.query_one(DetailPane).action_tab(key)

    def focused_payload(self) -> PayloadView:
        return self.query_one(DetailPane).active_view()
