"""The bridge between the store/watcher (plain core code) and the Textual app.

Scanning and ``apply_changes`` run in threads; the watch loop is a coroutine meant for an
exclusive async worker.  The feed turns store events into small ``Delta`` values, merges them
while the UI is busy, and pokes the UI with one ``FeedChanged`` message per drain, so bursts
coalesce instead of queueing thousands of messages.  Only ``post`` crosses threads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.message import Message

from forensics_tui.core.model import Call
from forensics_tui.core.waiting import event_set_within
from forensics_tui.ui.messages import Delta, FeedChanged, FeedSnapshot, ScanProgress, WatchState
from forensics_tui.ui.run_counts import RunCounts
from forensics_tui.ui.view_model import RunSummary

__all__ = ["StoreFeed"]

_PROGRESS_EVERY_S = 0.25
_SNAPSHOT_SPACING = 10.0
"""A partial snapshot of the first scan costs O(calls indexed so far) on the feed's thread and
again on the UI's; after one that took *t* here, the next waits at least this many *t* (the
progress count still moves every ``_PROGRESS_EVERY_S``).  Without it the snapshots of a
million-call root made its first scan quadratic: 2,000 calls/s at 170k, 800/s at 340k."""
_WATCH_READY_S = 2.0
_SCAN_BATCH = 500  # small batches: the first rows show after ~500 files, not 2,000
# Landings in a flood (a fleet mirror catching up, a tree copied in) come in watcher batches of
# one or two files, a fraction of a millisecond apart.  A batch that arrives within _FLOOD_GAP_S
# after the previous one was applied (it was already waiting) waits _GATHER_S for the rest, so
# the store, the UI and the screen handle hundreds of files at once instead of paying their
# fixed cost per file.  A live stream (a landing every few milliseconds) is never held back.
_FLOOD_GAP_S = 0.002
_GATHER_S = 0.02
_CALL_KINDS = frozenset({"call_added", "call_updated", "call_deleted"})
_RUN_KINDS = frozenset({"run_added", "run_updated"})


class StoreFeed:
    """Owns the ``FixtureStore`` for one root and reports its changes to the UI."""

    def __init__(
        self,
        root: Path,
        post: Callable[[Message], object],
        *,
        store: Any | None = None,
        debounce_ms: int = 20,
        step_ms: int = 5,
    ) -> None:
        from forensics_tui.core.storage.store import FixtureStore

        self.root = root
        self.store = store if store is not None else FixtureStore(root)
        self._post = post
        self._pending = Delta()
        self._counts = RunCounts()
        """Status counts per run, kept by the feed's thread (the scan, then ``_apply``)."""
        self._poked = False
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self.stop_event = asyncio.Event()
        self.gathered = 0  # times a flood of landings was gathered into one batch

    # -- snapshots (thread) ---------------------------------------------------------------
    def snapshot(self, *, complete: bool, indexed: int = 0, total: int | None = None) -> None:
        runs = []
        calls: dict[str, list[Call]] = {}
        self._counts = RunCounts()  # the whole store: every run is counted afresh
        for run in self.store.runs():
            run_calls = calls[run.run_id] = list(self.store.calls(run.run_id))
            counts = self._counts.reset(run.run_id, run_calls)
            runs.append(RunSummary.from_run(run, counts))
        count = sum(len(c) for c in calls.values())
        self._post(
            FeedSnapshot(runs, calls, complete=complete, indexed=indexed or count, total=total)
        )

    def scan(self) -> None:
        """First full scan (call in a thread), posting partial snapshots while it indexes.

        The store indexes newest runs first, so the first snapshot (after one batch) already
        holds the rows an operator wants; later ones follow at most every 0.25 s.
        """
        last = last_rows = 0.0
        spacing = 0.0  # the first partial snapshot (the first rows) goes out at once
        for step in self.store.scan_iter(batch_size=_SCAN_BATCH):
            now = time.monotonic()
            if now - last < _PROGRESS_EVERY_S or (step.listed and step.done >= step.total):
                continue
            last = now
            total = step.total if step.listed else None  # the other runs are not listed yet
            if now - last_rows >= spacing:
                self.snapshot(complete=False, indexed=step.done, total=total)
                last_rows = time.monotonic()
                spacing = (last_rows - now) * _SNAPSHOT_SPACING
            else:
                self._post(ScanProgress(step.done, total))
        self.snapshot(complete=True)

    # -- live changes ---------------------------------------------------------------------
    def _apply(self, batch: list[tuple[str, Path]]) -> Delta:
        """Apply watcher changes to the store (thread) and describe them for the UI."""
        events = self.store.apply_changes(batch)
        delta = Delta()
        touched: set[str] = set()
        rescanned = False
        for event in events:
            kind = getattr(event, "kind", "")
            run_id = getattr(event, "run_id", None)
            call: Call | None = getattr(event, "call", None)
            self._counts.apply(event)
            if kind in _CALL_KINDS and call is not None:
                delta.calls.append(call)
                touched.add(call.run_id)
            elif kind in _RUN_KINDS and run_id:
                touched.add(run_id)
            elif kind == "run_deleted" and run_id:
                delta.removed_runs.add(run_id)
            elif kind == "rescanned":
                rescanned = True
        if rescanned:
            self.snapshot(complete=True)
            return Delta()
        for run_id in delta.removed_runs:
            self._counts.forget(run_id)
        for run_id in touched - delta.removed_runs:
            run = self.store.run(run_id)
            if run is not None:  # counted incrementally: O(changed calls), not O(run size)
                delta.runs[run_id] = RunSummary.from_run(run, self._counts.counts(run))
        return delta

    def publish(self, delta: Delta) -> None:
        """Queue ``delta`` for the UI; at most one poke is outstanding at a time."""
        if not delta:
            return
        self._pending.merge(delta)
        if not self._poked:
            self._poked = True
            self._post(FeedChanged())

    def drain(self) -> Delta:
        """Called by the UI when handling ``FeedChanged``: everything pending, at once."""
        delta, self._pending = self._pending, Delta()
        self._poked = False
        return delta

    def refresh_live_runs(self, run_ids: list[str]) -> list[RunSummary]:
        """Re-read the status of live runs (thread): a writer may have died silently."""
        out = []
        for run_id in run_ids:
            run = self.store.run(run_id)
            if run is not None:
                out.append(RunSummary.from_run(run))
        return out

    async def _gather(self) -> None:
        """Let the rest of a flood of landings arrive before applying it (``_GATHER_S``)."""
        self.gathered += 1
        await asyncio.sleep(_GATHER_S)

    async def run(self) -> None:
        """Scan, then watch forever (run in an exclusive async worker)."""
        from forensics_tui.core.storage.watcher import watch_root

        queue: asyncio.Queue[list[tuple[str, Path]]] = asyncio.Queue()
        if not self.root.exists():
            self._post(WatchState("waiting", str(self.root)))
        watching = asyncio.Event()

        async def pump() -> None:
            async for batch in watch_root(
                self.root,
                debounce_ms=self.debounce_ms,
                step_ms=self.step_ms,
                stop_event=self.stop_event,
                ready=watching,
            ):
                await queue.put(list(batch))

        pump_task = asyncio.create_task(pump())
        # Scan once the watch is in place: a fixture landing during the scan is then seen by
        # one or the other (or both: a re-read), never by neither.  Bounded, so a watcher
        # that cannot start does not keep the first rows away.
        await event_set_within(watching, _WATCH_READY_S)
        await asyncio.to_thread(self.scan)
        state = "waiting"
        if self.root.exists():
            state = "watching"
            self._post(WatchState(state, str(self.root)))
        settled = 0.0  # when the previous batch was applied
        try:
            while True:
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait(
                    {getter, pump_task}, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    pump_task.result()  # re-raise the watcher's failure
                    return
                batch = getter.result()
                if time.monotonic() - settled < _FLOOD_GAP_S:  # it was waiting: a flood
                    await self._gather()
                while not queue.empty():
                    batch.extend(queue.get_nowait())
                if any(kind == "lost" for kind, _ in batch):
                    state = "lost"
                    self._post(WatchState(state, "the fixture root disappeared"))
                changes = [(k, p) for k, p in batch if k != "lost"]
                if changes:
                    if state != "watching" and self.root.exists():
                        state = "watching"
                        self._post(WatchState(state, str(self.root)))
                    self.publish(await asyncio.to_thread(self._apply, changes))
                settled = time.monotonic()
        finally:
            self.stop_event.set()
            pump_task.cancel()
