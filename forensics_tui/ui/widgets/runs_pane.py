"""The runs pane: "All runs" first, then every run newest first, two lines each.

Line one is the outcome icon and a compact run name (start time and id suffix), line two the
per-status counts, the number of findings and a LIVE marker.  It keeps the highlighted run
highlighted when new runs arrive above it.
"""

from __future__ import annotations

from rich.text import Text

from forensics_tui.ui.rows import all_runs_lines, run_lines
from forensics_tui.ui.view_model import ALL_RUNS, RunsModel
from forensics_tui.ui.widgets.line_list import LineList

__all__ = ["RunsPane"]


class RunsPane(LineList):
    """Scope picker: the interleaved stream of all runs, or one run."""

    LINES_PER_ITEM = 2

    def __init__(self, model: RunsModel, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self.total_calls = 0
        self.finding_counts: dict[str, int] = {}
        """run_id -> silent-failure findings (set by the app when its analysis is in)."""
        self._scope = ALL_RUNS  # what the cursor pointed at before the model last changed

    def scope_at(self, index: int) -> str:
        if index <= 0 or index > len(self.model):
            return ALL_RUNS
        return self.model.order[index - 1].run_id

    @property
    def scope(self) -> str:
        return self._scope

    def set_cursor(self, index: int, *, scroll: bool = True) -> None:
        self._scope = self.scope_at(max(0, min(index, len(self.model))))
        super().set_cursor(index, scroll=scroll)

    def index_of(self, scope: str) -> int:
        if scope == ALL_RUNS:
            return 0
        found = self.model.index_of(scope)
        return 0 if found is None else found + 1

    def runs_changed(self, total_calls: int) -> None:
        """The model changed: keep the same scope highlighted, repaint."""
        scope = self._scope
        self.total_calls = total_calls
        self._count = len(self.model) + 1
        if scope != ALL_RUNS and self.model.get(scope) is None:
            scope = ALL_RUNS
        self._scope = scope
        self.cursor = self.index_of(scope)
        self.set_count(len(self.model) + 1)
        self.scroll_to_item(self.cursor)

    def select_scope(self, scope: str) -> None:
        self.set_cursor(self.index_of(scope))

    def item_key(self, index: int) -> object:
        if index == 0:
            return (
                "all",
                len(self.model),
                self.total_calls,
                tuple(r.is_live for r in self.model.order),
            )
        run = self.model.order[index - 1]
        return (
            run.run_id,
            run.status,
            tuple(sorted(run.counts.items())),
            run.task,
            run.agent,
            self.finding_counts.get(run.run_id, 0),
        )

    def set_finding_counts(self, counts: dict[str, int]) -> None:
        if counts != self.finding_counts:
            self.finding_counts = counts
            self.refresh()

    def render_item_line(self, index: int, line: int, width: int) -> Text:
        if index == 0:
            live = sum(1 for r in self.model.order if r.is_live)
            pair = all_runs_lines(len(self.model), self.total_calls, live, width)
        else:
            run = self.model.order[index - 1]
            pair = run_lines(run, width, self.finding_counts.get(run.run_id, 0))
        return pair[line]
