"""Each run's calls counted by status, kept in step with the store's events (no recount).

``Run.counts()`` walks every call of a run; the feed used to call it for every run a landing
touched, so a batch cost O(run size) and a long live run got slower to follow the longer it
ran.  ``RunCounts`` counts a run once, when the feed first meets it (a snapshot, a new run),
then applies each call event's difference: O(changed calls) per batch.  A count that would go
wrong (below zero: an event the tally did not expect) makes that run be counted again.
No Textual import: plain data, driven by the feed's worker thread only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from forensics_tui.core.model import Call

__all__ = ["RunCounts"]


class RunCounts:
    """Status -> number of (not deleted) calls, per run id."""

    def __init__(self) -> None:
        self._counts: dict[str, dict[str, int]] = {}
        self._deleted: dict[str, set[str]] = {}
        """Per run: paths whose last event was a deletion (a later update revives them)."""
        self._stale: set[str] = set()

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._counts

    def reset(self, run_id: str, calls: Iterable[Call]) -> dict[str, int]:
        """Count ``calls`` (a run's whole list) afresh; returns a copy of the counts."""
        counts: dict[str, int] = {}
        deleted: set[str] = set()
        for call in calls:
            if call.deleted:
                deleted.add(str(call.path))
            else:
                counts[call.status] = counts.get(call.status, 0) + 1
        self._counts[run_id] = counts
        self._deleted[run_id] = deleted
        self._stale.discard(run_id)
        return dict(counts)

    def forget(self, run_id: str) -> None:
        self._counts.pop(run_id, None)
        self._deleted.pop(run_id, None)
        self._stale.discard(run_id)

    def apply(self, event: Any) -> None:
        """One store event (``call_added``/``call_updated``/``call_deleted``; others ignored).

        A run the tally has not counted yet is left alone: ``counts`` counts it whole.
        """
        kind = getattr(event, "kind", "")
        call: Call | None = getattr(event, "call", None)
        counts = self._counts.get(getattr(event, "run_id", None) or "")
        if call is None or counts is None:
            return
        run_id = call.run_id
        deleted = self._deleted.setdefault(run_id, set())
        path = str(call.path)
        before: str | None = None
        if kind == "call_updated" or kind == "call_deleted":
            before = None if path in deleted else event.previous_status
        elif kind != "call_added":
            return
        if before is not None:
            left = counts.get(before, 0) - 1
            if left < 0:
                self._stale.add(run_id)
            elif left:
                counts[before] = left
            else:
                del counts[before]
        if call.deleted:
            deleted.add(path)
        else:
            deleted.discard(path)
            counts[call.status] = counts.get(call.status, 0) + 1

    def counts(self, run: Any) -> dict[str, int]:
        """The counts of ``run`` (a ``core.model.Run``): the tally's, or a fresh count."""
        run_id = run.run_id
        if run_id not in self._counts or run_id in self._stale:
            return self.reset(run_id, list(run.calls))
        return dict(self._counts[run_id])
