"""Two runs side by side (``C``): the calls aligned, the first divergence marked.

The comparison is the core's (:func:`forensics_tui.core.analysis.compare.compare_runs`),
computed in the picker's worker; this screen only renders it as plain ``Text`` built from
sanitised strings.  ``b`` picks the other run (default: the run's last known-good run); Enter
jumps to the call of the run under investigation (or, for a call only in B, to that one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from forensics_tui.core.model import STATUS_COLORS, status_icon
from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.screens.picker import PickerScreen
from forensics_tui.ui.screens.run_picker import RunPickerScreen
from forensics_tui.ui.widgets.pick_list import PickItem, PickList

__all__ = ["STATE_STYLES", "CompareScreen"]


class _OtherRun(RunPickerScreen):
    """The run picker, titled for a comparison."""

    TITLE_TEXT: ClassVar[str] = "Compare with…"
    HINT: ClassVar[str] = "Enter: compare with this run  Esc: keep the current choice"

    def __init__(
        self, runs: list[Any], run_id: str, current: str | None, label: Callable[[str], str]
    ) -> None:
        PickerScreen.__init__(self)
        self.run_a = run_id
        self.runs = [r for r in runs if r.run_id != run_id]
        self.current = current
        self.label = label

    def title_line(self) -> str:
        return f"Compare run {self.label(self.run_a)} with…"

    def result_for(self, item: PickItem) -> str:  # type: ignore[override]
        return str(item.value)

    def action_pick_run_pair(self) -> None:  # a comparison is always of whole runs
        item = self.query_one(PickList).current
        if item is not None:
            self.dismiss(str(item.value))


STATE_STYLES = {
    "same": "dim",
    "input changed": "bold cyan",
    "output changed": "bold yellow",
    "status changed": "bold red",
    "only in A": "bold magenta",
    "only in B": "bold magenta",
}


def _side(side: Any) -> Text:
    cell = Text(end="")
    if side is None:
        cell.append(" " * 32)
        return cell
    call = side.call
    cell.append(f"{call.seq:>4} ")
    cell.append(status_icon(call.status), style=STATUS_COLORS.get(call.status, ""))
    cell.append(" " + safe_line(call.tool, 24).ljust(24) + " ", style="bold")
    return cell


class CompareScreen(PickerScreen):
    """Run ``run_id`` (A) against ``other`` (B, default its last known-good run); dismisses
    with ``(call id, run id)`` to jump to, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "pick_other", "Compare with another run…", id="compare-other"),
    ]
    TITLE_TEXT: ClassVar[str] = "Compare runs"
    LINES: ClassVar[int] = 1
    HINT: ClassVar[str] = "Enter: jump to the call  b: compare with another run  Esc: close"

    def __init__(
        self, run_id: str, other: str | None = None, runs: list[Any] | None = None
    ) -> None:
        super().__init__()
        self.run_id = run_id
        self.other = other
        self.runs = runs or []
        self.comparison: Any = None
        """The core's ``Comparison`` once loaded (tests read it)."""

    def load_items(self) -> tuple[list[PickItem], Text, int]:
        from forensics_tui.core.analysis.compare import compare_runs

        app: Any = self.app
        if app.analysis is None:
            return [], Text("analysis unavailable", style="dim"), 0
        result = compare_runs(app.analysis, self.run_id, self.other)
        self.comparison = result
        first = result.first_divergence
        info = Text(end="")
        info.append("A ", style="bold")
        info.append(self._run_name(result.a))
        info.append("  ·  B ", style="bold")
        info.append(self._run_name(result.b))
        info.append("" if self.other else "  (its last known-good run)", style="dim")
        if first is None:
            info.append("\nno divergence: every call matches", style="green")
        else:
            info.append("\nfirst divergence: ", style="bold red")
            info.append(safe_line(f"{first.tool}: {first.why}", 200))
        items = [self._item(pair, pair is first) for pair in result.pairs]
        cursor = result.pairs.index(first) if first is not None else 0
        return items, info, cursor

    def _run_name(self, run_id: str) -> str:
        from forensics_tui.ui.rows import run_label

        started = next((r.started_at for r in self.runs if r.run_id == run_id), None)
        return safe_line(run_label(run_id, started), 60)

    def _item(self, pair: Any, first: bool) -> PickItem:
        line = Text(end="")
        line.append("▶ " if first else "  ", style="bold red")
        line.append_text(_side(pair.a))
        line.append("│", style="dim")
        line.append_text(_side(pair.b))
        line.append("│ ", style="dim")
        line.append(pair.state, style=STATE_STYLES.get(pair.state, ""))
        detail = Text(end="")
        detail.append(safe_line(f"{pair.tool}: {pair.state}"), style="bold")
        if pair.why:
            detail.append("\n" + safe_line(pair.why, 400))
        side = pair.a or pair.b
        return PickItem((line,), detail, (side.call.call_id, side.call.run_id))

    def action_pick_other(self) -> None:
        self.app.push_screen(
            _OtherRun(self.runs, self.run_id, self.other, self._run_name), self._other_picked
        )

    def _other_picked(self, run_id: str | None) -> None:
        if run_id is None:
            return
        self.other = run_id or None
        self.loaded = False
        self._load()
