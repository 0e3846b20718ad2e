"""What the store tells its subscribers, and the change kinds the watcher hands it.

Events are small frozen values: a UI turns each into a message (and may collapse a flood of
them), a CLI tail turns ``call_added``/``call_updated`` into lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from forensics_tui.core.model import Call, Run

__all__ = ["EVENT_KINDS", "ChangeKind", "StoreEvent", "events_for"]

EventKind = Literal[
    "call_added",
    "call_updated",
    "call_deleted",
    "run_added",
    "run_updated",
    "run_deleted",
    "rescanned",
]
EVENT_KINDS: frozenset[str] = frozenset(EventKind.__args__)  # type: ignore[attr-defined]


class ChangeKind:
    """Kinds in watcher batches (``list[tuple[kind, Path]]``)."""

    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"
    RESCAN = "rescan"  # the root (re)appeared or the watch was re-established: scan again
    LOST = "lost"  # the root disappeared; the watcher waits for it (UI: show a banner)
    FILE_KINDS = frozenset({ADDED, MODIFIED, DELETED})


@dataclass(frozen=True, slots=True)
class StoreEvent:
    """One change in the store.

    ``call`` is the new state of the call for call events (for ``call_deleted``, the call
    marked ``deleted=True``); ``previous_status`` is the status before a ``call_updated`` or
    ``call_deleted``; ``run`` is the run snapshot for run events.
    """

    kind: EventKind
    run_id: str | None
    call: Call | None = None
    previous_status: str | None = None
    run: Run | None = None


def events_for(run_id: str, changes: list[tuple[Call | None, Call]]) -> list[StoreEvent]:
    """Events for ``(old, new)`` call changes from the index."""
    out: list[StoreEvent] = []
    for old, new in changes:
        if old is None:
            out.append(StoreEvent("call_added", run_id, new))
        elif new.deleted and not old.deleted:
            out.append(StoreEvent("call_deleted", run_id, new, previous_status=old.status))
        else:
            out.append(StoreEvent("call_updated", run_id, new, previous_status=old.status))
    return out
