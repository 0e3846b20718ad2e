"""The in-memory index behind :class:`~forensics_tui.core.storage.store.FixtureStore` (no I/O here).

Published objects are never mutated: when a call or run changes, the index builds a new
``Call``/``Run`` and swaps it in, so a reader on another thread that holds a list from
``store.calls()`` keeps a consistent snapshot.  Calls that were just read from disk and are not
published yet are the one exception (their ``occurrence`` is set in place, which keeps a scan
of 100k files cheap).

Appending in order is the common case (a run being written, a scan in name order) and costs
O(1) per call: ``occurrence`` comes from a per-run tool counter.  Anything else (a call landing
out of order, a legacy call, a changed seq) re-sorts and renumbers that one run.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import Any

from forensics_tui.core.model import BROKEN, Call, Run
from forensics_tui.core.storage.ordering import (
    assign_legacy_seqs,
    call_sort_key,
    number_occurrences,
    run_sort_key,
)

__all__ = ["Change", "Index", "PathKey", "RunSlot", "path_key"]

Change = tuple["Call | None", Call]
"""``(old, new)``: ``old`` is None for a new call."""
PathKey = tuple[str, str]
"""``(run_id, file name)``: how the index finds a call by its file.

A tuple of two strings the call already holds costs 56 bytes; the path as a string would
cost ~130 more per call (and an extra formatting of every ``Path``) at 100k calls.
"""


def path_key(call: Call) -> PathKey:
    return (call.run_id, call.path.name)


@dataclass(slots=True)
class RunSlot:
    run: Run  # the published snapshot
    key: tuple[float, str]
    counts: dict[str, int] = field(default_factory=dict)  # tool -> non-broken calls so far
    matches: dict[tuple[str, int], Call] | None = None  # (tool, occurrence) -> call, lazily


def _same(a: Call, b: Call) -> bool:
    """Equal as far as a reader can tell (ignores the store-assigned seq/occurrence)."""
    return (
        a.status == b.status
        and a.mtime_ns == b.mtime_ns
        and a.size == b.size
        and a.deleted == b.deleted
        and a.problem == b.problem
        and a.preview == b.preview
        and a.ended_at == b.ended_at
        and a.tool == b.tool
        and a.call_id == b.call_id
    )


@dataclass(slots=True)
class Index:
    """Runs and calls by id and by path; a new one is built by each full scan."""

    slots: dict[str, RunSlot] = field(default_factory=dict)
    by_path: dict[PathKey, Call] = field(default_factory=dict)
    by_id: dict[str, Call] = field(default_factory=dict)
    order: list[str] | None = None  # run ids, oldest first; None when it must be recomputed

    # -- runs ---------------------------------------------------------------------------

    def add_run(
        self, run_id: str, path: Any, manifest: dict[str, Any] | None, problem: str | None
    ) -> RunSlot:
        run = Run(run_id=run_id, path=path, manifest=manifest, manifest_problem=problem)
        slot = RunSlot(run=run, key=run_sort_key(run))
        self.slots[run_id] = slot
        self.order = None
        return slot

    def remove_run(self, run_id: str) -> RunSlot | None:
        slot = self.slots.pop(run_id, None)
        if slot is not None:
            for call in slot.run.calls:
                key = path_key(call)
                if self.by_path.get(key) is call:
                    del self.by_path[key]
                if self.by_id.get(call.call_id) is call:
                    del self.by_id[call.call_id]
            self.order = None
        return slot

    def set_manifest(
        self, slot: RunSlot, manifest: dict[str, Any] | None, problem: str | None
    ) -> bool:
        if slot.run.manifest == manifest and slot.run.manifest_problem == problem:
            return False
        self._publish(slot, slot.run.calls, manifest=manifest, problem=problem)
        return True

    def run_order(self) -> list[str]:
        if self.order is None:
            self.order = sorted(self.slots, key=lambda rid: self.slots[rid].key)
        return self.order

    def _publish(self, slot: RunSlot, calls: list[Call], **manifest: Any) -> None:
        old = slot.run
        slot.run = Run(
            run_id=old.run_id,
            path=old.path,
            manifest=manifest.get("manifest", old.manifest),
            manifest_problem=manifest.get("problem", old.manifest_problem),
            calls=calls,
        )
        slot.matches = None
        key = run_sort_key(slot.run)
        if key != slot.key:
            slot.key = key
            self.order = None

    # -- calls --------------------------------------------------------------------------

    def _register(self, call: Call) -> None:
        self.by_path[path_key(call)] = call
        self.by_id[call.call_id] = call

    def merge(
        self,
        slot: RunSlot,
        incoming: list[Call],
        deleted: Sequence[PathKey] = (),
        *,
        keep_newer: bool = False,
    ) -> list[Change]:
        """Add or replace ``incoming`` (fresh, unpublished calls) and mark ``deleted`` paths.

        ``keep_newer`` (for scans) keeps an indexed call whose file is newer than the one just
        read: a watcher change applied meanwhile wins over the scan's older read.  Returns the
        changes that a reader could see; identical re-reads produce none.
        """
        calls = slot.run.calls
        new_list: list[Call] | None = None
        changes: list[Change] = []
        resort = False
        appended: list[Call] = []
        for call in incoming:
            old = self.by_path.get(path_key(call))
            if old is None or old.run_id != call.run_id:
                appended.append(call)
                continue
            if keep_newer and not old.deleted and old.mtime_ns > call.mtime_ns:
                continue  # a slower reader (a scan) raced a newer change: keep the newer
            if _same(old, call):
                continue
            if new_list is None:
                new_list = list(calls)
            if old.format == 0 or call.format == 0:
                call.seq = old.seq  # legacy numbering is the index's; renumbered on resort
            if (
                call_sort_key(old) == call_sort_key(call)
                and old.tool == call.tool
                and ((old.status == BROKEN) == (call.status == BROKEN))
            ):
                call.occurrence = old.occurrence
                new_list[self._position(new_list, old)] = call
            else:
                new_list.remove(old)
                new_list.append(call)
                resort = True
            self._register(call)
            changes.append((old, call))
        for gone_key in deleted:
            old = self.by_path.get(gone_key)
            if old is None or old.deleted or old.run_id != slot.run.run_id:
                continue
            if new_list is None:
                new_list = list(calls)
            new = replace(old, deleted=True)
            new_list[self._position(new_list, old)] = new
            self._register(new)
            changes.append((old, new))
        if appended:
            if new_list is None:
                new_list = list(calls)
            if not resort and self._append_in_order(slot, new_list, appended):
                changes.extend((None, call) for call in appended)
                appended = []
            keyed = sorted(((call_sort_key(c), c) for c in appended), key=itemgetter(0))
            last_key = call_sort_key(new_list[-1]) if new_list else None
            counts = slot.counts
            for key, call in keyed:
                if resort or call.format == 0 or (last_key is not None and key <= last_key):
                    resort = True
                elif call.status != BROKEN:
                    n = counts.get(call.tool, 0) + 1
                    counts[call.tool] = n
                    call.occurrence = n
                last_key = key
                new_list.append(call)
                self._register(call)
                changes.append((None, call))
        if new_list is None:
            return changes
        if resort:
            changes = self._resort(slot, new_list, changes)
            return changes
        self._publish(slot, new_list)
        return changes

    def _append_in_order(self, slot: RunSlot, calls: list[Call], appended: list[Call]) -> bool:
        """The common case: every new call has a larger seq than the last one.  O(new calls)."""
        prev = calls[-1].seq if calls else 0
        if calls and prev <= 0:
            return False  # the last call sorts by name at the end; take the general path
        for call in appended:
            if call.seq <= prev or call.format == 0:
                return False
            prev = call.seq
        counts = slot.counts
        by_path, by_id = self.by_path, self.by_id
        for call in appended:
            if call.status != BROKEN:
                n = counts.get(call.tool, 0) + 1
                counts[call.tool] = n
                call.occurrence = n
            calls.append(call)
            by_path[(call.run_id, call.path.name)] = call
            by_id[call.call_id] = call
        return True

    @staticmethod
    def _position(calls: list[Call], target: Call) -> int:
        i = bisect_left(calls, call_sort_key(target), key=call_sort_key)
        while i < len(calls) and calls[i] is not target:
            i += 1
        if i == len(calls):  # not where its key says (should not happen): fall back
            i = next(j for j, c in enumerate(calls) if c is target)
        return i

    def _resort(self, slot: RunSlot, calls: list[Call], changes: list[Change]) -> list[Change]:
        """Renumber one run from scratch; calls whose seq/occurrence moved become changes."""
        before = {id(new): old for old, new in changes}
        numbered = assign_legacy_seqs(calls)
        numbered.sort(key=call_sort_key)
        final, counts = number_occurrences(numbered)
        slot.counts = counts
        original = {path_key(c): c for c in calls}
        out: list[Change] = []
        for call in final:
            src = original[path_key(call)]
            self._register(call)
            if id(src) in before:
                out.append((before[id(src)], call))
            elif src is not call:
                out.append((src, call))  # an existing call renumbered by the insertion
        self._publish(slot, final)
        return out

    def matches(self, slot: RunSlot) -> dict[tuple[str, int], Call]:
        if slot.matches is None:
            slot.matches = {(c.tool, c.occurrence): c for c in slot.run.calls if c.status != BROKEN}
        return slot.matches
