"""Messages that carry store data from the feed's workers to the widgets.

They cross threads, so they hold only immutable snapshots (``RunSummary``) and ``Call``
summaries; bursts are coalesced by the feed (one ``FeedChanged`` poke, drained in one go) so a
flood of 5,000 new fixtures becomes a handful of repaints, not 5,000.
"""

from __future__ import annotations

from textual.message import Message

from forensics_tui.core.model import Call
from forensics_tui.ui.view_model import Delta, RunSummary

__all__ = ["Delta", "FeedChanged", "FeedSnapshot", "ScanProgress", "WatchState"]


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


class ScanProgress(Message):
    """How far the first scan got, between the (rarer) partial snapshots of a big root."""

    def __init__(self, indexed: int, total: int | None) -> None:
        super().__init__()
        self.indexed = indexed
        self.total = total  # None until every run is listed

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ScanProgress)


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
