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

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from forensics_tui.core.model import BROKEN, Call, Run
from forensics_tui.core.storage.ordering import (
    assign_legacy_seqs,
    call_sort_key,
    find_by_name,
    number_occurrences,
    placed_by_name,
    run_sort_key,
)

__all__ = ["Change", "Index", "RunSlot"]

_LAST = math.inf

Change = tuple["Call | None", Call]
"""``(old, new)``: ``old`` is None for a new call."""


def _seq_key(call: Call) -> float:
    return call.seq if call.seq > 0 else _LAST


@dataclass(slots=True)
class RunSlot:
    run: Run  # the published snapshot
    key: tuple[float, str]
    counts: dict[str, int] = field(default_factory=dict)  # tool -> non-broken calls so far
    matches: dict[tuple[str, int], Call] | None = None  # (tool, occurrence) -> call, lazily
    odd: dict[str, Call] = field(default_factory=dict)
    """File name -> call, for the calls ``ordering.name_key`` does not place (see there)."""


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
    """Runs and calls by id and by file name; a new one is built by each full scan.

    No map holds an entry per call: a call is found by file name with a bisect of its run's
    calls (ordered by ``call_sort_key``), and by call id from the run id and seq (or file name)
    the id is made of, the way the recorder writes both.  Only calls that break those rules
    have map entries: ``RunSlot.odd`` by name and ``ids`` by call id.
    """

    slots: dict[str, RunSlot] = field(default_factory=dict)
    ids: dict[str, Call] = field(default_factory=dict)  # calls whose call id is stored as such
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
            ids = self.ids
            for call in slot.run.calls:
                cid = call.explicit_call_id
                if cid is not None and ids.get(cid) is call:
                    del ids[cid]
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

    # -- finding calls ------------------------------------------------------------------

    def find(self, slot: RunSlot, name: str) -> Call | None:
        """The call for file ``name`` of the run in ``slot``."""
        call = slot.odd.get(name)
        return call if call is not None else find_by_name(slot.run.calls, name)

    def find_path(self, run_id: str, name: str) -> Call | None:
        slot = self.slots.get(run_id)
        return self.find(slot, name) if slot is not None else None

    def find_id(self, call_id: str) -> Call | None:
        """The call with this id (stored, or ``<run_id>-<seq:06d>`` / ``<run_id>-<stem>``)."""
        call = self.ids.get(call_id)
        if call is not None:
            return call
        cut = call_id.find("-")
        while cut != -1:  # a run id may itself hold "-": try each place
            slot = self.slots.get(call_id[:cut])
            if slot is not None:
                call = self._derived_id(slot, call_id[cut + 1 :], call_id)
                if call is not None:
                    return call
            cut = call_id.find("-", cut + 1)
        return None

    def _derived_id(self, slot: RunSlot, rest: str, call_id: str) -> Call | None:
        if rest.isdecimal():
            try:
                seq = int(rest)
            except ValueError:
                seq = 0
            if seq > 0:
                calls = slot.run.calls
                target: float = seq
                i = bisect_left(calls, target, key=_seq_key)
                while i < len(calls) and calls[i].seq == seq:
                    if calls[i].call_id == call_id:
                        return calls[i]
                    i += 1
        call = self.find(slot, rest + ".json")
        return call if call is not None and call.call_id == call_id else None

    # -- calls --------------------------------------------------------------------------

    def _register(self, slot: RunSlot, call: Call, old: Call | None = None) -> None:
        if not placed_by_name(call):
            slot.odd[call.name] = call
        elif slot.odd:
            slot.odd.pop(call.name, None)
        cid = call.explicit_call_id
        if old is not None:
            old_id = old.explicit_call_id
            if old_id is not None and old_id != cid and self.ids.get(old_id) is old:
                del self.ids[old_id]
        if cid is not None:
            self.ids[cid] = call

    def merge(
        self,
        slot: RunSlot,
        incoming: list[Call],
        deleted: Sequence[str] = (),
        *,
        keep_newer: bool = False,
    ) -> list[Change]:
        """Add or replace ``incoming`` (fresh, unpublished calls) and mark ``deleted`` file names.

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
            old = self.find(slot, call.name)
            if old is None:
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
            self._register(slot, call, old)
            changes.append((old, call))
        for gone in deleted:
            old = self.find(slot, gone)
            if old is None or old.deleted:
                continue
            if new_list is None:
                new_list = list(calls)
            new = old.replace(deleted=True)
            new_list[self._position(new_list, old)] = new
            self._register(slot, new, old)
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
                self._register(slot, call)
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
        register = self._register
        for call in appended:
            if call.status != BROKEN:
                n = counts.get(call.tool, 0) + 1
                counts[call.tool] = n
                call.occurrence = n
            calls.append(call)
            register(slot, call)
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
        original = {c.name: c for c in calls}
        out: list[Change] = []
        for call in final:
            src = original[call.name]
            self._register(slot, call, src)
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
