"""Pick the run to diff the highlighted call against, instead of its last known-good run."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text

from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.rows import RUN_COLORS, RUN_ICONS, run_label
from forensics_tui.ui.screens.picker import PickerScreen
from forensics_tui.ui.view_model import RunSummary
from forensics_tui.ui.widgets.pick_list import PickItem

__all__ = ["RunPickerScreen"]


class RunPickerScreen(PickerScreen):
    """Dismisses with a run id, ``""`` for the last known-good run, or None (Esc)."""

    TITLE_TEXT: ClassVar[str] = "Diff against…"
    LINES: ClassVar[int] = 1
    HINT: ClassVar[str] = "Enter: diff against this run  Esc: keep the current choice"

    def __init__(self, runs: list[RunSummary], exclude: str, current: str | None) -> None:
        super().__init__()
        self.runs = [r for r in runs if r.run_id != exclude]
        self.current = current

    def load_items(self) -> tuple[list[PickItem], Text, int]:
        default = Text("★ the last known-good run (default)", style="bold", end="")
        items = [
            PickItem((default,), Text("The most recent earlier run where this call worked."), "")
        ]
        cursor = 0
        for run in self.runs:
            line = Text(end="")
            line.append(RUN_ICONS.get(run.status, "?"), style=RUN_COLORS.get(run.status, ""))
            line.append(" " + run_label(run.run_id, run.started_at), style="bold")
            line.append(safe_line(f"  {run.run_id}"), style="dim")
            detail = Text(safe_line(f"run {run.run_id} · {run.status}"), end="")
            if run.task:
                detail.append(safe_line(f" · task {run.task}"), style="dim")
            if run.run_id == self.current:
                cursor = len(items)
            items.append(PickItem((line,), detail, run.run_id))
        info = Text("Compare the highlighted call with its match (same tool, same occurrence) in:")
        return items, info, cursor
