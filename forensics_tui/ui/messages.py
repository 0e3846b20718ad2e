"""Messages that carry store data from the feed's workers to the widgets.

They cross threads, so they hold only immutable snapshots (``RunSummary``) and ``Call``
summaries; bursts are coalesced by the feed (one ``FeedChanged`` poke, drained in one go) so a
flood of 5,000 new fixtures becomes a handful of repaints, not 5,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from forensics_tui.core.model import Call
from forensics_tui.ui.view_model import RunSummary

__all__ = ["Delta", "FeedChanged", "FeedSnapshot", "WatchState"]


@dataclass
class Delta:
    """Everything that changed since the UI last drained the feed."""

    calls: list[Call] = field(default_factory=list)
    runs: dict[str, RunSummary] = field(default_factory=dict)
    removed_runs: set[str] = field(default_factory=set)

    def merge(self, other: Delta) -> None:
        self.calls.extend(other.calls)
        for run_id in other.removed_runs:
            self.runs.pop(run_id, None)
        self.runs.update(other.runs)
        self.removed_runs = (self.removed_runs - set(other.runs)) | other.removed_runs

    def __bool__(self) -> bool:
        return bool(self.calls or self.runs or self.removed_runs)


class FeedSnapshot(Message):
    """The whole store as of now: after the first scan (possibly partial) or a rescan."""

    def __init__(
        self,
        runs: list[RunSummary],
        calls: dict[str, list[Call]],
        *,
        complete: bool,
        indexed: int = 0,
        total: int | None = None,
    ) -> None:
        super().__init__()
        self.runs = runs
        self.calls = calls
        self.complete = complete
        self.indexed = indexed
        self.total = total


class FeedChanged(Message):
    """New deltas are waiting in the feed; the handler drains them all at once."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FeedChanged)


class WatchState(Message):
    """The watch on the root changed state: ``waiting``, ``watching``, ``lost`` or ``error``."""

    def __init__(self, state: str, detail: str = "") -> None:
        super().__init__()
        self.state = state
        self.detail = detail
