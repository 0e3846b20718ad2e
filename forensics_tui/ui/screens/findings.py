"""The findings of one run as a list: every silent failure and plain failure, in call order.

A post-mortem starts here: what went wrong in this run, with the evidence quoted.  Enter jumps
to the call (a finding about a missing call opens the run).  Computed in a worker.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text

from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.screens.patterns import KIND_STYLE
from forensics_tui.ui.screens.picker import PickerScreen
from forensics_tui.ui.widgets.pick_list import PickItem

__all__ = ["FindingsScreen"]

_SEVERITY_STYLE = {"high": "bold red", "medium": "bold yellow", "low": "cyan"}


class FindingsScreen(PickerScreen):
    """Findings of ``run_id``; dismisses with ``(call id or None, run id)``."""

    TITLE_TEXT: ClassVar[str] = "Findings"
    HINT: ClassVar[str] = "Enter: jump to the call  Esc: close"

    def __init__(self, run_id: str, label: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.label = label

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#picker-body").border_title = f"Findings of run {self.label}"

    def load_items(self) -> tuple[list[PickItem], Text, int]:
        app: Any = self.app
        analysis = app.analysis
        if analysis is None:
            return [], Text("analysis unavailable", style="dim"), 0
        ra = analysis.run_analysis(self.run_id)
        seqs = {c.call_id: c.seq for c in ra.run.calls}
        items = [self._item(f, seqs.get(f.call_id or "")) for f in ra.findings]
        info = Text(safe_line(f"run {self.run_id}: "), style="bold", end="")
        count = len(items)
        info.append(f"{count} finding{'s' if count != 1 else ''}" if items else "no findings")
        if ra.baseline_run:  # the run-level baseline (missing steps); calls name their own
            reason = ra.baseline_run_reason or f"last known-good run {ra.baseline_run}"
            info.append(safe_line(f"  · steps compared with {reason}"), style="dim")
        return items, info, 0

    def _item(self, f: Any, seq: int | None) -> PickItem:
        first = Text(end="")
        first.append("⚑ ", style=_SEVERITY_STYLE.get(f.severity, "yellow"))
        first.append(safe_line(f.severity).ljust(6), style=_SEVERITY_STYLE.get(f.severity, ""))
        first.append(" ")
        first.append(safe_line(f.kind).ljust(13), style=KIND_STYLE.get(f.kind, ""))
        first.append(f" #{seq}" if seq else " (missing)", style="dim")
        first.append(" ")
        first.append(safe_line(f.tool, 40), style="bold")
        second = Text("    " + safe_line(f.evidence), style="dim", end="")
        detail = Text(safe_line(f"{f.kind} ({f.severity}) · {f.tool}"), style="bold", end="")
        detail.append("\n" + safe_line(f.evidence))
        where = f"call {f.call_id}" if f.call_id else "no call: it is missing from this run"
        detail.append("\n" + safe_line(where), style="dim")
        return PickItem((first, second), detail, (f.call_id, f.run_id))
