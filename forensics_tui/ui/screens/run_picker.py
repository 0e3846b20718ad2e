"""Pick the run to diff the highlighted call against, instead of its last known-good run.

The choice is scoped: Enter applies it to this call only, ``w`` to every call of this run
(the run pair); other calls and runs keep their own baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from forensics_tui.core.model import Call
from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.rows import RUN_COLORS, RUN_ICONS
from forensics_tui.ui.screens.picker import PickerScreen
from forensics_tui.ui.view_model import RunSummary
from forensics_tui.ui.widgets.pick_list import PickItem, PickList

__all__ = ["RunPickerScreen"]


class RunPickerScreen(PickerScreen):
    """Dismisses with ``(run id or "" for the baseline, whole run?)``, or None (Esc)."""

    TITLE_TEXT: ClassVar[str] = "Diff against…"
    LINES: ClassVar[int] = 1
    HINT: ClassVar[str] = "Enter: this call  w: every call of this run  Esc: keep"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "pick_run_pair", "For every call of this run", id="picker-run-pair"),
    ]

    def __init__(
        self,
        runs: list[RunSummary],
        call: Call,
        current: str | None,
        label: Callable[[str], str],
    ) -> None:
        super().__init__()
        self.call = call
        self.runs = [r for r in runs if r.run_id != call.run_id]
        self.current = current
        self.label = label

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#picker-body").border_title = safe_line(self.title_line(), 100)

    def title_line(self) -> str:
        """The picker's border title (subclasses pick other things than a diff baseline)."""
        return (
            f"Diff #{self.call.seq} {self.call.tool} of run {self.label(self.call.run_id)} against…"
        )

    def load_items(self) -> tuple[list[PickItem], Text, int]:
        default = Text("★ the last known-good run (default)", style="bold", end="")
        items = [
            PickItem((default,), Text("The most recent earlier run where this call worked."), "")
        ]
        cursor = 0
        for run in self.runs:
            line = Text(end="")
            line.append(RUN_ICONS.get(run.status, "?"), style=RUN_COLORS.get(run.status, ""))
            line.append(" " + self.label(run.run_id), style="bold")
            line.append(safe_line(f"  {run.run_id}"), style="dim")
            detail = Text(safe_line(f"run {run.run_id} · {run.status}"), end="")
            if run.task:
                detail.append(safe_line(f" · task {run.task}"), style="dim")
            if run.run_id == self.current:
                cursor = len(items)
            items.append(PickItem((line,), detail, run.run_id))
        info = Text("Compare with its match (same tool, same occurrence) in:")
        return items, info, cursor

    def result_for(self, item: PickItem) -> tuple[str, bool]:
        return (item.value, False)

    def action_pick_run_pair(self) -> None:
        item = self.query_one(PickList).current
        if item is not None:
            self.dismiss((item.value, True))
