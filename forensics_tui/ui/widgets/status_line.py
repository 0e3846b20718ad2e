"""The one-line status bar: root, watch state, scope counts, follow mode and missed calls.

It is also where a lost watch, a missing root and scan progress are announced, so the user
always knows whether what they see is live.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from forensics_tui.core.sanitize import safe_line

__all__ = ["StatusLine"]


class StatusLine(Static):
    """Rendered from a few reactives; changes only when one of them does."""

    root_label: reactive[str] = reactive("")
    watch_state: reactive[str] = reactive("starting")
    """``starting``, ``scanning``, ``watching``, ``waiting`` (root missing) or ``lost``."""
    progress: reactive[str] = reactive("")
    shown: reactive[int] = reactive(0)
    total: reactive[int] = reactive(0)
    follow: reactive[bool] = reactive(False)
    missed: reactive[int] = reactive(0)
    filter_text: reactive[str] = reactive("")

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        state = self.watch_state
        if state == "lost":
            text.append(" WATCH LOST — retrying; view may be stale ", style="bold reverse red")
        elif state == "waiting":
            text.append(" waiting for root to appear ", style="bold reverse yellow")
        elif state == "scanning":
            text.append(f" indexing {self.progress} ", style="bold reverse cyan")
        elif state == "watching":
            text.append(" ● live ", style="bold green")
        else:
            text.append(f" {state} ", style="dim")
        text.append(" ")
        text.append(safe_line(self.root_label, 40), style="dim")
        text.append(f"  {self.shown}/{self.total} calls", style="")
        if self.filter_text:
            text.append("  filter: ", style="dim")
            text.append(safe_line(self.filter_text, 30), style="bold yellow")
        text.append("  ")
        if self.follow:
            text.append("FOLLOW", style="bold reverse green")
        else:
            text.append("follow off (f)", style="dim")
        if self.missed:
            text.append(f"  +{self.missed} new ↓", style="bold reverse yellow")
        return text
