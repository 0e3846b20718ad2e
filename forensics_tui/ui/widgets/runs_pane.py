"""The runs pane: "All runs" first, then every run newest first, two lines each.

Line one is the outcome icon and the run's label (unique in the view, pasteable into the CLI),
line two the per-status counts, the number of findings, the outcome word and, while a run is
recent, its relative age.  It draws ``ExplorerState`` and posts nothing but cursor moves: the
screen turns those into a scope change.
"""

from __future__ import annotations

from rich.text import Text

from forensics_tui.ui.clock import Now, system_clock
from forensics_tui.ui.rows import all_runs_lines, run_lines
from forensics_tui.ui.state import ExplorerState
from forensics_tui.ui.view_model import ALL_RUNS
from forensics_tui.ui.widgets.line_list import LineList

__all__ = ["RunsPane"]

_AGE_TICK_S = 30.0


class RunsPane(LineList):
    """Scope picker: the interleaved stream of all runs, or one run."""

    LINES_PER_ITEM = 2

    def __init__(
        self, state: ExplorerState, *, now: Now = system_clock, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.state = state
        self.now = now

    def on_mount(self) -> None:
        self.set_interval(_AGE_TICK_S, self.refresh)  # relative ages ("3m ago"); one cheap paint

    def scope_at(self, index: int) -> str:
        order = self.state.runs.order
        if index <= 0 or index > len(order):
            return ALL_RUNS
        return order[index - 1].run_id

    @property
    def scope(self) -> str:
        return self.state.scope

    @property
    def finding_counts(self) -> dict[str, int]:
        return self.state.answers.counts

    def index_of(self, scope: str) -> int:
        if scope == ALL_RUNS:
            return 0
        found = self.state.runs.index_of(scope)
        return 0 if found is None else found + 1

    def select_scope(self, scope: str) -> None:
        """Move the cursor to ``scope`` (the screen hears it as a scope intent)."""
        self.set_cursor(self.index_of(scope))

    def sync(self, changed: set[str] | None = None) -> None:
        """The runs or the scope changed: highlight the state's scope, repaint.

        ``changed``: only these runs' summaries changed (same runs, same order), so only their
        items and the "All runs" line are repainted: a busy run costs two lines per landing.
        """
        if changed and self.cursor == self.index_of(self.state.scope):
            self.refresh_item(0)
            for run_id in changed:
                self.refresh_item(self.index_of(run_id))
            return
        self.set_count(len(self.state.runs) + 1)
        index = self.index_of(self.state.scope)
        if index != self.cursor:
            old = self.cursor
            self.cursor = index
            self.refresh_item(old)
        self.scroll_to_item(self.cursor)
        self.refresh()

    def item_key(self, index: int) -> object:
        state = self.state
        if index == 0:
            order = state.runs.order
            return ("all", len(order), len(state.index), tuple(r.is_live for r in order))
        run = state.runs.order[index - 1]
        return (
            run.run_id,
            run.status,
            tuple(sorted(run.counts.items())),
            run.task,
            run.agent,
            run.problem,
            state.answers.counts.get(run.run_id, 0),
            state.outcome(run.run_id),
            state.label(run.run_id),
            int(self.now().timestamp() // _AGE_TICK_S),
        )

    def render_item_line(self, index: int, line: int, width: int) -> Text:
        state = self.state
        if index == 0:
            live = sum(1 for r in state.runs.order if r.is_live)
            pair = all_runs_lines(len(state.runs), len(state.index), live, width)
        else:
            run = state.runs.order[index - 1]
            pair = run_lines(
                run,
                width,
                state.answers.counts.get(run.run_id, 0),
                label=state.label(run.run_id),
                outcome=state.outcome(run.run_id),
                now=self.now(),
                mono=self.app.no_color,
            )
        return pair[line]
