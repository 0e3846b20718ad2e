"""The Patterns screen: recurring failure signatures, promoted ones on top.

Answers "have we seen this before?": each signature (tool, kind, normalised message) with the
number of runs it was seen in, the first and last of them, and the run since which the same call
works again.  Enter jumps to the latest occurrence.  Patterns are computed in a worker.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text

from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.screens.picker import PickerScreen
from forensics_tui.ui.widgets.pick_list import PickItem

__all__ = ["KIND_STYLE", "PatternsScreen"]

KIND_STYLE = {
    "error": "red",
    "timeout": "magenta",
    "auth_expiry": "bold red",
    "soft_error": "yellow",
    "schema_drift": "cyan",
    "partial_step": "blue",
    "rate_limited": "magenta",
}


class PatternsScreen(PickerScreen):
    """Every failure signature; dismisses with ``(latest call id, last run id)``."""

    TITLE_TEXT: ClassVar[str] = "Recurring failures (patterns)"
    HINT: ClassVar[str] = "Enter: jump to the latest occurrence  Esc: close"

    def __init__(self, labels: dict[str, str]) -> None:
        super().__init__()
        self.labels = labels
        self.patterns: list[Any] = []

    def _run_name(self, run_id: str | None) -> str:
        if run_id is None:
            return "—"
        return self.labels.get(run_id) or safe_line(run_id)

    def load_items(self) -> tuple[list[PickItem], Text, int]:
        app: Any = self.app
        analysis = app.analysis
        if analysis is None:
            return [], Text("analysis unavailable", style="dim"), 0
        min_runs = app.config.patterns_min_runs
        patterns = analysis.patterns(min_runs)
        self.patterns = patterns
        items = [self._item(p) for p in patterns]
        promoted = sum(1 for p in patterns if p.promoted)
        info = Text(f"{len(patterns)} failure signatures, ", end="")
        info.append(f"{promoted} promoted", style="bold red" if promoted else "")
        info.append(f"  (seen in ≥ {min_runs} runs, listed first)", style="dim")
        if not patterns:
            info = Text("No failures or findings in any run: nothing recurs.", style="dim")
        return items, info, 0

    def _item(self, p: Any) -> PickItem:
        first = Text(end="")
        if p.promoted:
            first.append("★ ", style="bold red")
        else:
            first.append("· ", style="dim")
        runs = f"{p.run_count:>3} run{'s' if p.run_count != 1 else ' '}  "
        first.append(runs, style="bold" if p.promoted else "")
        first.append(safe_line(p.kind).ljust(13), style=KIND_STYLE.get(p.kind, ""))
        first.append(" ")
        first.append(safe_line(p.tool, 40).ljust(20), style="bold")
        first.append(f"  last {self._run_name(p.last_seen)}", style="dim")
        if p.fixed_since:
            first.append(f"  fixed since {self._run_name(p.fixed_since)}", style="green")
        second = Text("    " + safe_line(p.message), style="dim", end="")

        detail = Text(end="")
        detail.append(safe_line(f"{p.tool} · {p.kind}"), style="bold")
        detail.append("  PROMOTED" if p.promoted else "", style="bold red")
        detail.append("\n" + safe_line(p.message))
        if p.example and p.example != p.message:
            detail.append("\nlatest: ", style="dim")
            detail.append(safe_line(p.example, 400))
        detail.append(f"\nseen in {p.run_count} runs: first ", style="dim")
        detail.append(safe_line(p.first_seen))
        detail.append(", last ", style="dim")
        detail.append(safe_line(p.last_seen))
        detail.append("\nfixed since: ", style="dim")
        if p.fixed_since:
            detail.append(safe_line(p.fixed_since), style="green")
        else:
            detail.append("not fixed (no later run where this call worked)", style="yellow")
        target = p.latest_call_id
        detail.append("\nEnter: ", style="dim")
        detail.append(
            safe_line(f"open call {target}") if target else "open the run (the call is missing)"
        )
        return PickItem((first, second), detail, (target, p.last_seen))
