"""The main screen: wiring between ``ExplorerState`` and the panes.

Feed messages and user intents (keys, cursor moves, the filter bar) go into the state object;
its ``Change`` notices come back here and become repaints.  The screen decides nothing about
the data: the state owns the rows, the scope, the filter and the diff choices, and the core's
analysis owns findings and outcomes.  Forensic dialogs and the external viewer live in
``main_actions`` so this module stays about panes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from forensics_tui.core.model import Call
from forensics_tui.ui.messages import FeedChanged, FeedSnapshot, ScanProgress, WatchState
from forensics_tui.ui.pacing import LandingPacer
from forensics_tui.ui.query import Query
from forensics_tui.ui.screens.main_actions import MainActions
from forensics_tui.ui.screens.runlevel_actions import RunlevelActions
from forensics_tui.ui.state import Change, ExplorerState
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
_SECONDARY_S = 0.1  # run summaries, then the counts, follow a landing's row this much later
_FOLLOW_DETAIL_DELAY_S = 0.3  # while tailing, let bursts of rows paint before the detail loads
_STATUS_FILTERS = {
    "failures": "status:fail",
    "ok": "status:ok",
    "pending": "status:pending",
    "skipped": "status:skipped",
}


class MainScreen(RunlevelActions, MainActions, Screen[None]):
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
            "p",
            "patterns",
            "Patterns",
            show=False,
            tooltip="Recurring failures across runs",
            id="patterns",
        ),
        Binding(
            "e",
            "findings",
            "Findings",
            show=False,
            tooltip="Every finding of the selected run",
            id="findings",
        ),
        Binding("x", "status_filter('failures')", "Failures only", show=False, id="only-failures"),
        Binding("escape", "back", "Back", show=False, id="back"),
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
        Binding("Z", "full_detail", "Detail full screen", show=False, id="detail-full"),
        Binding(
            "less_than_sign",
            "resize_runs(-4)",
            "Narrower runs pane",
            show=False,
            id="runs-narrower",
        ),
        Binding(
            "greater_than_sign", "resize_runs(4)", "Wider runs pane", show=False, id="runs-wider"
        ),
        Binding("minus", "resize_calls(-2)", "Shorter calls pane", show=False, id="calls-shorter"),
        Binding(
            "plus,equals_sign",
            "resize_calls(2)",
            "Taller calls pane",
            show=False,
            id="calls-taller",
        ),
        Binding("1", "tab('input')", "Input tab", show=False, id="tab-input"),
        Binding("2", "tab('output')", "Output tab", show=False, id="tab-output"),
        Binding("3", "tab('error')", "Error tab", show=False, id="tab-error"),
        Binding("4", "tab('meta')", "Meta tab", show=False, id="tab-meta"),
        Binding("5", "tab('raw')", "Raw tab", show=False, id="tab-raw"),
        Binding("6", "tab('diff')", "Diff tab", show=False, id="tab-diff"),
        Binding("d", "diff_mode", "Diff: unified/side by side", show=False, id="diff-mode"),
        Binding("D", "diff_against", "Diff against run…", show=False, id="diff-against"),
        Binding("v", "open_external('pager')", "Open in $PAGER", show=False, id="open-pager"),
        Binding("E", "open_external('editor')", "Open in $EDITOR", show=False, id="open-editor"),
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

    def __init__(self, state: ExplorerState | None = None) -> None:
        super().__init__()
        self.state = state if state is not None else ExplorerState()
        self._detail_timer: Timer | None = None
        self._later_timer: Timer | None = None
        self._later_runs: set[str] | None = set()
        self._later_counts = False
        self._counts_turn = False
        self._calls_rows = 0  # 0: calls and detail share the height; else the calls' rows
        self._feed_timer: Timer | None = None
        self.pacer = LandingPacer()  # floods of landings are applied every 100 ms

    @property
    def fapp(self) -> ForensicsApp:
        return self.app  # type: ignore[return-value]

    # the state's parts, for tests and scripts
    @property
    def runs(self) -> RunsModel:
        return self.state.runs

    @property
    def index(self) -> CallIndex:
        return self.state.index

    @property
    def rows(self) -> CallRows:
        return self.state.rows

    @property
    def scan_complete(self) -> bool:
        return self.state.scan_complete

    def compose(self) -> ComposeResult:
        app = self.fapp
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield RunsPane(self.state, now=app.now, id="runs")
            with Vertical(id="right"):
                bar = FilterBar(saved=app.config.filters, id="filter")
                bar.display = False
                yield bar
                yield CallsPane(
                    self.state,
                    now=app.now,
                    stale_after_s=app.config.stale_after_s,
                    zone=app.zone,
                    id="calls",
                )
                yield DetailPane(id="detail")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(RunsPane).border_title = "Runs"
        self.query_one(CallsPane).border_title = self._calls_title()
        detail = self.query_one(DetailPane)
        detail.border_title = "Detail"
        detail.loader = self.fapp.load_call
        detail.extra = self.fapp.detail_extra
        detail.root_dir = self.fapp.root
        status = self.query_one(StatusLine)
        status.root_label = self.fapp.root_label
        status.watch_state = "scanning"
        self.query_one(RunsPane).sync()
        self.state.subscribe(self._on_change)
        self.query_one(CallsPane).focus()

    # -- state -> widgets -----------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        runs = self.query_one(RunsPane)
        calls = self.query_one(CallsPane)
        if change.new_scope is not None:
            calls.follow = self.state.follow
        if change.new_scope is not None or change.answers:
            runs.sync()
        elif change.runs:
            self._later(change.changed_runs or None)  # the row first, summaries after
        if change.rows_rebuilt:
            calls.rows_rebuilt(keep=change.keep or calls.current)
            calls.border_title = self._calls_title()
            self._update_counts()
            self._schedule_detail()
        elif change.added:
            calls.rows_added(change.added)
            self._later(set())
        if change.answers:
            calls.refresh()
        if change.diff:
            self.query_one(DetailPane).action_tab("diff")
            self._show_detail(calls.current)
        elif change.reload and calls.current is not None and not change.rows_rebuilt:
            self._show_detail(calls.current)

    def _later(self, runs: set[str] | None, *, counts: bool = True) -> None:
        """Repaint run summaries (``runs``; None: all) and the counts soon, not with the row.

        A landing's row is painted alone: a small region, so a cheap frame.  Textual paints
        the bounding box of everything dirty, so the runs pane (top left) and the status line
        (bottom) each get a frame of their own, ``_SECONDARY_S`` apart, once for any number
        of landings meanwhile; together they would repaint the whole screen.
        """
        if runs is None or self._later_runs is None:
            self._later_runs = None
        else:
            self._later_runs |= runs
        self._later_counts = self._later_counts or counts
        if self._later_timer is None:
            self._later_timer = self.set_timer(_SECONDARY_S, self._secondary)

    def _secondary(self) -> None:
        """One of the two summary repaints; the other (if due) at the next tick."""
        self._later_timer = None
        runs_due = self._later_runs is None or bool(self._later_runs)
        if runs_due and not (self._later_counts and self._counts_turn):
            runs, self._later_runs = self._later_runs, set()
            self.query_one(RunsPane).sync(runs or None)
        elif self._later_counts:
            self._later_counts = False
            self._update_counts()
        self._counts_turn = not self._counts_turn  # a steady stream starves neither
        if self._later_runs is None or self._later_runs or self._later_counts:
            self._later_timer = self.set_timer(_SECONDARY_S, self._secondary)

    def _calls_title(self) -> str:
        zone = f"times {self.fapp.zone.marker}"
        return f"Calls — all runs · {zone}" if self.state.scope == ALL_RUNS else f"Calls · {zone}"

    def _update_counts(self) -> None:
        status = self.query_one(StatusLine)
        status.shown = len(self.state.rows)
        status.total = len(self.state.index)
        status.filter_text = self.state.query.text

    # -- feed -----------------------------------------------------------------------------
    @on(FeedSnapshot)
    def _snapshot(self, message: FeedSnapshot) -> None:
        status = self.query_one(StatusLine)
        if message.complete and status.watch_state == "scanning":
            if not self.fapp.watching:
                status.watch_state = "not watching"
            else:
                status.watch_state = "watching" if self.fapp.root.exists() else "waiting"
        elif not message.complete:
            total = f"/{message.total}" if message.total else ""
            status.progress = f"{message.indexed}{total} calls"
        self.state.load_snapshot(message.runs, message.calls, complete=message.complete)
        if message.complete:
            self.fapp.settle_heap()
            self.fapp.request_analysis()
        self.retry_jump()

    @on(ScanProgress)
    def _scan_progress(self, message: ScanProgress) -> None:
        status = self.query_one(StatusLine)
        if status.watch_state == "scanning":  # a late one after the scan ended: ignored
            total = f"/{message.total}" if message.total else ""
            status.progress = f"{message.indexed}{total} calls"

    @on(FeedChanged)
    def _changed(self, _message: FeedChanged) -> None:
        if self._feed_timer is not None:
            return  # a paced batch is due: it takes these landings too
        wait = self.pacer.wait_s()
        if wait > 0:
            self._feed_timer = self.set_timer(wait, self._paced)
            return
        self._apply_feed()

    def _paced(self) -> None:
        self._feed_timer = None
        self._apply_feed()

    def _apply_feed(self) -> None:
        delta = self.fapp.drain_feed()
        if delta:
            self.pacer.applied(len(delta.calls))
            self.state.apply_delta(delta)
            self.fapp.request_analysis()
            self.retry_jump()

    @on(WatchState)
    def _watch_state(self, message: WatchState) -> None:
        if message.state == "lost":
            self.notify("Lost the watch on the fixture root; retrying.", severity="warning")
        self.query_one(StatusLine).watch_state = message.state

    # -- intents from the panes -----------------------------------------------------------
    @on(LineList.Highlighted, "#runs")
    def _run_highlighted(self, _event: LineList.Highlighted) -> None:
        runs = self.query_one(RunsPane)  # its cursor now, not the event's: those can be stale
        self.state.set_scope(runs.scope_at(runs.cursor))

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

    @on(FilterBar.Changed)
    def _filter_changed(self, message: FilterBar.Changed) -> None:
        self.state.set_query(message.query)
        if message.submitted:
            self.query_one(CallsPane).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        node = event.widget
        for pane, kind in ((FilterBar, "filter"), (DetailPane, "detail"), (RunsPane, "runs")):
            if any(isinstance(n, pane) for n in node.ancestors_with_self):
                self.state.set_focus(kind)
                return
        self.state.set_focus("calls")

    # -- detail ---------------------------------------------------------------------------
    @property
    def settled(self) -> bool:
        """Scan done, no detail load or analysis pending (tests and screenshots wait on this)."""
        return (
            self.state.scan_complete
            and self._detail_timer is None
            and self._later_timer is None
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
        self.state.shown = call
        request = None
        if call is not None:
            choice = self.state.diff_choice(call)
            label = self.state.label(choice.run_id) if choice.run_id else None
            request = (self.state.diff_mode, choice.run_id, choice.header(label))
        self.query_one(DetailPane).show_call(call, request)

    # -- filter ---------------------------------------------------------------------------
    def apply_query(self, query: Query) -> None:
        self.state.set_query(query)

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.display = True
        bar.input.focus()

    def action_search_all(self) -> None:
        self.state.set_scope(ALL_RUNS)
        self.action_filter()

    def action_status_filter(self, which: str) -> None:
        text = _STATUS_FILTERS[which]
        bar = self.query_one(FilterBar)
        if self.state.query.text == text:
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
        calls = self.query_one(CallsPane)
        if self.maximized is not None:
            self.minimize()
        elif focused is None:
            calls.focus()
        elif focused is bar.input:
            if not bar.input.value:
                bar.display = False
            calls.focus()
        elif detail.close_search():
            pass
        elif detail in focused.ancestors_with_self:
            calls.focus()
        elif isinstance(focused, CallsPane):
            self.query_one(RunsPane).focus()

    def _failure(self, step: int) -> None:
        calls = self.query_one(CallsPane)
        target = self.state.next_problem(calls.current, step)
        if target is None:
            self.app.bell()
            where = "older" if step > 0 else "newer"
            self.notify(f"No {where} failures or findings (runs are walked newest first)")
            return
        calls.follow = False
        position = self.state.rows.position(target)
        if position is not None and (
            target.run_id == self.state.scope or self.state.scope == ALL_RUNS
        ):
            calls.set_cursor(position)
        else:
            self.state.reveal(target)

    def action_next_failure(self) -> None:
        self._failure(1)

    def action_previous_failure(self) -> None:
        self._failure(-1)

    def _step_run(self, step: int) -> None:
        runs = self.query_one(RunsPane)
        target = runs.cursor + step
        if target < 1 or target > len(self.state.runs):
            self.app.bell()
            return
        runs.set_cursor(target)
        self.state.set_scope(runs.scope_at(target))  # now, not when the message arrives

    def action_later_run(self) -> None:
        self._step_run(-1)  # the runs pane lists newest first

    def action_earlier_run(self) -> None:
        self._step_run(1)

    def action_all_runs(self) -> None:
        self.state.set_scope(ALL_RUNS)

    def action_toggle_follow(self) -> None:
        self.query_one(CallsPane).action_toggle_follow()

    def action_tab(self, key: str) -> None:
        self.query_one(DetailPane).action_tab(key)

    def focused_payload(self) -> PayloadView:
        return self.query_one(DetailPane).active_view()
