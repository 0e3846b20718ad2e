"""The calls pane: the selected scope's calls as a line-API list that follows like ``tail -f``.

Follow mode keeps the newest call highlighted and in view; moving up turns it off and new calls
are counted instead.  Pending rows show elapsed time, and a one-second timer runs only while a
pending row is on screen: an idle app repaints nothing.  Rows, badges and run labels are read
from ``ExplorerState``; the pane keeps only its cursor and the follow switch it mirrors there.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer

from forensics_tui.core.model import Call
from forensics_tui.ui.clock import UTC_ZONE, Now, Zone, system_clock
from forensics_tui.ui.findings import badge
from forensics_tui.ui.rows import call_line, is_stale
from forensics_tui.ui.state import ExplorerState
from forensics_tui.ui.view_model import ALL_RUNS
from forensics_tui.ui.widgets.line_list import LineList

__all__ = ["CallsPane"]


class CallsPane(LineList):
    """Calls of one run (or all runs interleaved), filtered; follow mode; pending ticker."""

    DEFAULT_CSS = """
    CallsPane { overflow-y: scroll; }
    """
    # (an always-present scrollbar: one appearing mid-stream costs a relayout while tailing)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "toggle_follow", "Follow", id="follow"),
    ]

    follow: reactive[bool] = reactive(False, init=False)
    """Keep the newest call highlighted and in view."""
    missed: reactive[int] = reactive(0, init=False)
    """Calls that arrived while not following."""

    class FollowState(Message):
        """Follow mode or the missed-calls counter changed (for the status line)."""

        def __init__(self, follow: bool, missed: int) -> None:
            super().__init__()
            self.follow = follow
            self.missed = missed

    def __init__(
        self,
        state: ExplorerState,
        *,
        now: Now = system_clock,
        stale_after_s: float = 600.0,
        zone: Zone = UTC_ZONE,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.state = state
        self.rows = state.rows
        self.now = now
        self.stale_after_s = stale_after_s
        self.zone = zone
        self._ticker: Timer | None = None

    # -- data -----------------------------------------------------------------------------
    @property
    def current(self) -> Call | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    def rows_rebuilt(self, *, keep: Call | None = None) -> None:
        """The row list was replaced (scope or filter change, snapshot)."""
        self.set_count(len(self.rows), keep_cursor=False)
        index = self.rows.position(keep) if keep is not None else None
        if self.follow or index is None:
            index = len(self.rows) - 1 if self.follow else 0
        self._cursor_to(index)
        self.missed = 0
        self._update_ticker()

    def rows_added(self, positions: list[int]) -> None:
        """Rows were inserted at ``positions`` (ascending, already in ``rows``)."""
        current = self.current
        count = len(self.rows)
        self._count = count
        self._update_virtual_size()
        if self.follow and count:
            self._cursor_to(count - 1)
        else:
            # keep the highlighted call highlighted although rows were inserted above it
            shift = sum(1 for p in positions if p <= self.cursor)
            if current is not None and shift:
                self.cursor = min(count - 1, self.cursor + shift)
            self.missed += len(positions)
        # Only the rows from the first insertion down moved (a scroll repaints everything by
        # itself): appending while following repaints the new row and the old cursor row.
        self.refresh_from(positions[0] if positions else 0)
        self._update_ticker()

    def _cursor_to(self, index: int) -> None:
        self.set_cursor(index, scroll=True)

    # -- follow ---------------------------------------------------------------------------
    def watch_follow(self, follow: bool) -> None:
        self.state.follow = follow
        if follow:
            self.missed = 0
            if len(self.rows):
                self._cursor_to(len(self.rows) - 1)
        self.post_message(self.FollowState(self.follow, self.missed))

    def watch_missed(self, _missed: int) -> None:
        self.post_message(self.FollowState(self.follow, self.missed))

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow

    def action_cursor_up(self) -> None:
        self.follow = False
        super().action_cursor_up()

    def action_page_up(self) -> None:
        self.follow = False
        super().action_page_up()

    def action_first(self) -> None:
        self.follow = False
        super().action_first()

    def action_last(self) -> None:
        super().action_last()
        self.follow = True

    def set_cursor(self, index: int, *, scroll: bool = True) -> None:
        super().set_cursor(index, scroll=scroll)
        if not self.follow and self.missed and self.cursor == len(self.rows) - 1:
            self.missed = 0  # caught up by hand

    def on_click(self) -> None:
        if self.cursor < len(self.rows) - 1:
            self.follow = False

    # -- pending ticker -------------------------------------------------------------------
    def _update_ticker(self) -> None:
        """Run the 1 s ticker only while a pending row is visible."""
        rows = self.rows.rows
        needed = any(self._ticking(rows[i]) for i in self.visible_range())
        if needed and self._ticker is None:
            self._ticker = self.set_interval(1.0, self._tick)
        elif not needed and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _tick(self) -> None:
        rows = self.rows.rows
        for index in self.visible_range():
            if self._ticking(rows[index]):
                self.refresh_item(index)
        self._update_ticker()  # a row may have gone stale meanwhile

    def _crashed(self, run_id: str) -> bool:
        run = self.state.runs.get(run_id)
        return run is not None and run.status == "crashed"

    def _ticking(self, call: Call) -> bool:
        """Pending and not stale: its elapsed time changes every second."""
        if call.status != "pending":
            return False
        return not is_stale(call, self.now(), self.stale_after_s, self._crashed(call.run_id))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if round(old) != round(new):
            self._update_ticker()

    def on_resize(self, event: object) -> None:
        self._update_ticker()

    # -- painting -------------------------------------------------------------------------
    def item_key(self, index: int) -> object:
        call = self.rows[index]
        tick = int(self.now().timestamp()) if self._ticking(call) else 0
        all_runs = self.rows.scope == ALL_RUNS
        return (
            id(call),
            call.path,
            call.status,
            call.deleted,
            call.mtime_ns,
            self._crashed(call.run_id),
            tick,
            self.state.answers.findings.get(call.call_id),
            self.state.label(call.run_id, short=True) if all_runs else None,
        )

    def render_item_line(self, index: int, line: int, width: int) -> Text:
        call = self.rows[index]
        now = self.now()
        stale = call.status == "pending" and is_stale(
            call, now, self.stale_after_s, self._crashed(call.run_id)
        )
        all_runs = self.rows.scope == ALL_RUNS
        return call_line(
            call,
            width=width,
            now=now,
            stale=stale,
            badge=badge(self.state.answers.findings.get(call.call_id)),
            show_run=all_runs,
            run_name=self.state.label(call.run_id, short=True) if all_runs else None,
            zone=self.zone,
            mono=self.app.no_color,
        )
