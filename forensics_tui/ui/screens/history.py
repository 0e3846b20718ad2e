"""A call's history across runs (``H``): every occurrence, and the onset of its failing streak.

The history and onset are the core's (:func:`forensics_tui.core.analysis.history.call_history`),
computed in the picker's worker; the onset and what changed then head the screen, the onset's
row is marked, and Enter jumps to an occurrence.  All text is sanitised ``Text``, never markup.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text

from forensics_tui.core.model import STATUS_COLORS, status_icon
from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.screens.picker import PickerScreen
from forensics_tui.ui.widgets.pick_list import PickItem

__all__ = ["HistoryScreen"]


class HistoryScreen(PickerScreen):
    """Occurrences of ``tool``; dismisses with ``(call id, run id)`` to jump to, or None."""

    TITLE_TEXT: ClassVar[str] = "History"
    LINES: ClassVar[int] = 1
    HINT: ClassVar[str] = "Enter: jump to the call  Esc: close"

    def __init__(self, tool: str, run_labels: dict[str, str] | None = None) -> None:
        super().__init__()
        self.tool = tool
        self.run_labels = run_labels or {}
        self.history: Any = None
        """The core's ``History`` once loaded (tests read it)."""

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#picker-body").border_title = f"History of {safe_line(self.tool, 60)}"

    def load_items(self) -> tuple[list[PickItem], Text, int]:
        from forensics_tui.core.analysis.history import call_history, change_line

        app: Any = self.app
        if app.analysis is None:
            return [], Text("analysis unavailable", style="dim"), 0
        history = call_history(app.analysis, self.tool)
        self.history = history
        onset = history.onset
        count = len(history.occurrences)
        info = Text(end="")
        info.append(f"{count} occurrence{'s' if count != 1 else ''}", style="bold")
        cursor = max(0, count - 1)
        if onset is None:
            info.append(" · not failing now", style="green")
        else:
            info.append(" · failing since ", style="bold red")
            info.append(self._run_text(onset.run_id))
            if onset.previous_run_id is None:
                info.append(" (its first recorded run)", style="dim")
            else:
                info.append(" · last worked in ", style="dim")
                info.append(self._run_text(onset.previous_run_id))
                changes = [change_line(c.to_json()) for c in onset.changed[:4]]
                for line in changes or ["nothing recorded changed: look at the service"]:
                    info.append("\n  " + line, style="yellow")
                if len(onset.changed) > 4:
                    info.append(f"\n  … and {len(onset.changed) - 4} more", style="dim")
            ids = [o.call.call_id for o in history.occurrences]
            cursor = ids.index(onset.call.call_id)
        marked = onset.call.call_id if onset is not None else None
        items = [self._item(o, o.call.call_id == marked) for o in history.occurrences]
        return items, info, cursor

    def _run_text(self, run_id: str) -> str:
        return safe_line(self.run_labels.get(run_id) or run_id, 60)

    def _item(self, occ: Any, onset: bool) -> PickItem:
        call = occ.call
        line = Text(end="")
        line.append("▶ " if onset else "  ", style="bold red")
        line.append(self._run_text(call.run_id).ljust(24), style="bold")
        line.append(f" #{call.seq:<4} ")
        line.append(f"{status_icon(call.status)} ", style=STATUS_COLORS.get(call.status, ""))
        line.append(safe_line(occ.kind, 14).ljust(14), style="" if occ.good else "bold red")
        line.append(f" in {occ.input_shape or '-':<12} out {occ.output_shape or '-':<12}", "dim")
        ms = call.duration_ms
        line.append(f" {ms:>8.0f} ms" if isinstance(ms, int | float) else "", style="dim")
        detail = Text(end="")
        detail.append(safe_line(f"run {call.run_id} · call {call.call_id}"), style="bold")
        detail.append("\n" + safe_line(f"{call.status} · classified {occ.kind}"))
        detail.append("\ninput and output shapes are fingerprints: equal means same shape", "dim")
        return PickItem((line,), detail, (call.call_id, call.run_id))
