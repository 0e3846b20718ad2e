"""FixtureStore: the in-memory index of a fixture root, kept current by watcher changes.

It holds a :class:`~forensics_tui.core.model.Call` summary per fixture file (payloads are loaded
on demand through a small cache), answers ordering and cross-run questions (matching call, last
known-good run), and turns file changes into :class:`StoreEvent` values for subscribers, the way
mitmproxy's view turns flow changes into add/update/remove signals.

Threading model
---------------
* Mutations (:meth:`scan`, :meth:`scan_iter`, :meth:`apply_changes`) may run on any one worker
  thread; they serialise on an internal lock and do their file I/O outside it.
* Reads are safe from any thread (the UI thread included).  They take the lock only long enough
  to copy a list, and published ``Call``/``Run`` objects are never mutated (a change swaps in a
  new object), so whatever a reader holds stays a consistent snapshot.
* Subscribers are called on the mutating thread, after the lock is released, in order.  A UI
  forwards them with ``post_message``/``call_from_thread``; an exception in a callback is
  logged and does not stop the others.
* Changes applied while a scan runs are applied at once *and* replayed when the scan ends, so
  a scan that read a file just before it changed never leaves stale data behind.

Progressive scan
----------------
:meth:`scan_iter` lists the root (names only), orders runs newest first and indexes files in
batches (``batch_size``, default 2,000), publishing each batch before yielding a
:class:`~forensics_tui.core.storage.scan.ScanProgress`.  A UI iterates it in a thread worker and
redraws per batch: the newest run's first rows are visible after one batch (tens of
milliseconds), while the rest indexes.  :meth:`scan` builds a fresh index privately and swaps
it in at the end (readers see the old index until then).  Both end with one ``rescanned``
event; there are no per-call events during a scan.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from forensics_tui.core.model import Call, Fixture, Run
from forensics_tui.core.storage.bodies import BodyFetcher, bodies_for, stub_ref
from forensics_tui.core.storage.events import ChangeKind, StoreEvent, events_for
from forensics_tui.core.storage.index import Change, Index
from forensics_tui.core.storage.loader import (
    LoadProblem,
    load_fixture,
    read_call_in,
    read_manifest,
)
from forensics_tui.core.storage.ordering import call_ts_key
from forensics_tui.core.storage.safe_read import format_mb
from forensics_tui.core.storage.scan import (
    ScanProgress,
    is_fixture_name,
    list_plan,
    list_run,
    plan_root,
    read_batches,
    run_dir_status,
)

__all__ = ["FixtureStore", "ScanProgress", "StoreEvent"]

log = logging.getLogger(__name__)

_CACHE_SIZE = 32


class FixtureStore:
    """Runs and calls of one fixture root.  See the module docstring for threading."""

    def __init__(self, root: Path, *, workers: int = 1, bodies: BodyFetcher | None = None) -> None:
        self.root = Path(root).absolute()  # watcher paths are absolute; compare like with like
        self.workers = workers  # reader threads for scans; >1 helps on a cold cache
        self.bodies = bodies  # resolves stubs (bodies on demand); else the one registered
        self._lock = threading.RLock()
        self._index = Index()
        self._version = 0
        self._all: tuple[int, list[Call]] | None = None
        self._subscribers: list[Callable[[StoreEvent], None]] = []
        self._cache: OrderedDict[str, tuple[int, int, Fixture | LoadProblem]] = OrderedDict()
        self._scanning = 0
        self._replay: list[tuple[str, Path]] = []

    # -- scanning ------------------------------------------------------------------------

    def scan(
        self,
        progress: Callable[[int, int], None] | None = None,
        *,
        only: Collection[str] | None = None,
    ) -> None:
        """Full (re)scan.  Readers keep seeing the previous index until it is done.

        ``only``: index just those runs (a one-run question answered from checkpoints, see
        core.analysis.checkpoints); the store then holds a suffix of the root's runs.
        """
        index = Index()
        for step in self._scan_into(index, publish=False, only=only):
            if progress is not None:
                progress(step.done, step.total)
        self._finish_scan()

    def scan_iter(self, *, batch_size: int = 2000) -> Iterator[ScanProgress]:
        """Progressive full scan: the index is replaced at once and fills batch by batch."""
        yield from self._scan_into(Index(), publish=True, batch_size=batch_size)
        self._finish_scan()

    def _scan_into(
        self,
        index: Index,
        *,
        publish: bool,
        batch_size: int = 2000,
        only: Collection[str] | None = None,
    ) -> Iterator[ScanProgress]:
        with self._lock:
            if not self._scanning:
                self._replay = []  # left over from an abandoned scan_iter(): the disk is the truth
            self._scanning += 1
        try:
            # A progressive scan reads the newest run before it lists the others: the first
            # rows do not wait for a million names (2.7 s at 1M fixtures) to be listed.
            plans = plan_root(self.root, only, names=not publish)
            groups = [plans[:1], plans[1:]] if publish else [plans]
            if publish:
                self._swap(index)
            done = total = 0
            for number, group in enumerate(groups):
                total += sum(list_plan(p) if publish else len(p.names) for p in group)
                listed = number == len(groups) - 1
                batches = read_batches(
                    group, self.root, batch_size=batch_size, workers=self.workers
                )
                while True:
                    with _gc_paused():
                        batch = next(batches, None)
                        if batch is None:
                            break
                        touched: list[str] = []
                        with self._lock:
                            for plan, calls in batch:
                                slot = index.slots.get(plan.run_id)
                                if slot is None:
                                    slot = index.add_run(
                                        plan.run_id, plan.path, plan.manifest, plan.problem
                                    )
                                index.merge(slot, calls, keep_newer=True)
                                done += len(calls)
                                if not touched or touched[-1] != plan.run_id:
                                    touched.append(plan.run_id)
                            if publish:
                                self._version += 1
                    yield ScanProgress(done, total, tuple(touched), listed)
            if not publish:
                self._swap(index)
        finally:
            with self._lock:
                self._scanning -= 1

    def _swap(self, index: Index) -> None:
        with self._lock:
            self._index = index
            self._version += 1
            self._cache.clear()

    def _finish_scan(self) -> None:
        with self._lock:
            replay, self._replay = (self._replay, []) if not self._scanning else ([], self._replay)
        self._emit([StoreEvent("rescanned", None)])
        if replay:
            self.apply_changes(replay)

    # -- reading -------------------------------------------------------------------------

    def runs(self) -> list[Run]:
        """Every run, oldest first (DESIGN order: started_at, first call's ts, run_id)."""
        with self._lock:
            index = self._index
            return [index.slots[rid].run for rid in index.run_order()]

    def run(self, run_id: str) -> Run | None:
        with self._lock:
            slot = self._index.slots.get(run_id)
            return slot.run if slot is not None else None

    def newest_run(self) -> Run | None:
        with self._lock:
            order = self._index.run_order()
            return self._index.slots[order[-1]].run if order else None

    def calls(self, run_id: str | None = None) -> list[Call]:
        """One run's calls in order (seq; legacy by ts), or all runs interleaved by ``ts``."""
        with self._lock:
            if run_id is not None:
                slot = self._index.slots.get(run_id)
                return list(slot.run.calls) if slot is not None else []
            if self._all is not None and self._all[0] == self._version:
                return list(self._all[1])
            runs = [self._index.slots[rid].run for rid in self._index.run_order()]
            version = self._version
        merged = _interleave(runs)
        with self._lock:
            if version == self._version:
                self._all = (version, merged)
        return list(merged)

    def call(self, call_id: str) -> Call | None:
        with self._lock:
            return self._index.find_id(call_id)

    def call_by_path(self, path: Path | str) -> Call | None:
        with self._lock:
            return self._index.find_path(*self._key_for(path))

    def _key_for(self, path: Path | str) -> tuple[str, str]:
        path = Path(path).absolute()
        if path.parent.parent != self.root:
            return ("", "")
        return (path.parent.name, path.name)

    def load(self, call: Call) -> Fixture | LoadProblem:
        """The full fixture for ``call`` (cached while the file is unchanged)."""
        key = os.fspath(call.path)
        with self._lock:
            current = self._index.find_path(call.run_id, call.name) or call
            hit = self._cache.get(key)
            if hit is not None and hit[:2] == (current.mtime_ns, current.size):
                self._cache.move_to_end(key)
                return hit[2]
        result, cacheable = self._read(call)
        if isinstance(result, Fixture) and result.format == 0:
            result.seq = current.seq  # legacy seq is assigned by the store from ts order
        if cacheable:  # a body that could not be fetched is asked for again next time
            with self._lock:
                self._cache[key] = (current.mtime_ns, current.size, result)
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        return result

    def read_fixture(self, call: Call) -> Fixture | LoadProblem:
        """Like :meth:`load` without the cache, for analysis that keeps facts, not payloads.

        Either way a stub's body is fetched on demand (:mod:`.bodies`): opening a call and
        analysing it (findings, diff) are the two places a fleet body crosses the network, once
        per body, since the fetch replaces the stub in the root.
        """
        return self._read(call)[0]

    def _read(self, call: Call) -> tuple[Fixture | LoadProblem, bool]:
        result = load_fixture(call.path, root=self.root, run_id=call.run_id)
        if not isinstance(result, Fixture):
            return result, True
        ref = stub_ref(result.raw)
        if ref is None:
            return result, True
        bodies = self.bodies if self.bodies is not None else bodies_for(self.root)
        size = format_mb(ref["size"])
        if bodies is None:
            why = (
                f"body not here: {size} in the fleet's object store (open the fleet with --source)"
            )
            return LoadProblem(call.path, why), False
        failed = bodies.fetch(call.path, ref)
        if failed is not None:
            return LoadProblem(call.path, failed), False
        result = load_fixture(call.path, root=self.root, run_id=call.run_id)
        if isinstance(result, Fixture) and stub_ref(result.raw) is not None:
            why = "body not fetched: the call changed meanwhile (open it again)"
            return LoadProblem(call.path, why), False
        return result, True

    # -- across runs ---------------------------------------------------------------------

    def matching(self, call: Call, run_id: str) -> Call | None:
        """The call in ``run_id`` with the same tool and occurrence number, if any."""
        if call.occurrence <= 0:
            return None
        with self._lock:
            slot = self._index.slots.get(run_id)
            if slot is None:
                return None
            return self._index.matches(slot).get((call.tool, call.occurrence))

    def earlier_runs(self, run_id: str) -> list[Run]:
        """Runs before ``run_id`` in run order, newest first."""
        with self._lock:
            order = self._index.run_order()
            if run_id not in self._index.slots:
                return []
            position = order.index(run_id)
            return [self._index.slots[rid].run for rid in reversed(order[:position])]

    def last_good(
        self, call: Call, *, is_good: Callable[[Call], bool] | None = None
    ) -> Call | None:
        """The matching call in the most recent earlier, non-re-execution run that is ok."""
        for run in self.earlier_runs(call.run_id):
            if run.is_reexec:
                continue
            match = self.matching(call, run.run_id)
            if match is None or match.status != "ok" or match.deleted:
                continue
            if is_good is None or is_good(match):
                return match
        return None

    def last_good_run(
        self, run_id: str, *, is_good_run: Callable[[Run], bool] | None = None
    ) -> Run | None:
        """Most recent earlier run of the same task (when both name one), every call ok."""
        target = self.run(run_id)
        if target is None:
            return None
        for run in self.earlier_runs(run_id):
            if run.is_reexec or (target.task and run.task and run.task != target.task):
                continue
            calls = [c for c in run.calls if not c.deleted]
            if not calls or any(c.status != "ok" for c in calls):
                continue
            if is_good_run is None or is_good_run(run):
                return run
        return None

    # -- events --------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[StoreEvent], None]) -> Callable[[], None]:
        """Call ``callback`` for every event; returns a function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, events: list[StoreEvent]) -> None:
        if not events:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            for event in events:
                try:
                    callback(event)
                except Exception:
                    log.exception("store subscriber failed on %s", event.kind)

    def apply_changes(self, changes: Iterable[tuple[str, Path]]) -> list[StoreEvent]:
        """Apply a watcher batch (``added``/``modified``/``deleted``/``rescan``/``lost``).

        The disk is the truth: each touched path is re-read (a file that is gone is a
        deletion whatever the kind said), so batches may repeat or reorder paths.  Cost is
        O(changed files), plus one directory listing for a run directory that (re)appears.
        """
        changes = list(changes)
        if any(kind == "rescan" for kind, _ in changes):
            self.scan()
            return [StoreEvent("rescanned", None)]
        with self._lock:
            if self._scanning:
                self._replay.extend(changes)
        touched = _group(self.root, changes)
        events: list[StoreEvent] = []
        for run_id, (dir_changed, names) in touched.items():
            events.extend(self._apply_run(run_id, dir_changed, names))
        if events:
            with self._lock:
                self._version += 1
                for event in events:
                    if event.call is not None:
                        self._cache.pop(os.fspath(event.call.path), None)
            self._emit(events)
        return events

    def _apply_run(self, run_id: str, dir_changed: bool, names: list[str]) -> list[StoreEvent]:
        with self._lock:
            slot = self._index.slots.get(run_id)
        # the run's own id and directory objects, shared by all its calls
        run_path = slot.run.path if slot is not None else self.root / run_id
        run_id = slot.run.run_id if slot is not None else run_id
        is_dir, refused = run_dir_status(self.root, run_path)
        if not is_dir:
            with self._lock:
                removed = self._index.remove_run(run_id)
            return [StoreEvent("run_deleted", run_id, run=removed.run)] if removed else []
        events: list[StoreEvent] = []
        if refused:
            if slot is not None:
                return []
            with self._lock:
                slot = self._index.add_run(run_id, run_path, None, refused)
            return [StoreEvent("run_added", run_id, run=slot.run)]
        if slot is None or dir_changed:
            names, _ = list_run(run_path)
            names = [*names, "run.json"]
            if slot is None:
                manifest, problem = read_manifest(run_path)
                with self._lock:
                    slot = self._index.add_run(run_id, run_path, manifest, problem)
                events.append(StoreEvent("run_added", run_id, run=slot.run))
            else:  # a run directory deleted and recreated: forget files no longer there
                names.extend(c.name for c in slot.run.calls if not c.deleted)
        fresh: list[Call] = []
        gone: list[str] = []
        manifest_touched = False
        for name in dict.fromkeys(names):
            if name == "run.json":
                manifest_touched = True
                continue
            call = read_call_in(run_path, name, run_id=run_id, root=self.root)
            if call is None:
                gone.append(name)
            else:
                fresh.append(call)
        with self._lock:
            changed: list[Change] = self._index.merge(slot, fresh, gone)
            if manifest_touched and not any(e.kind == "run_added" for e in events):
                manifest, problem = read_manifest(run_path)
                if self._index.set_manifest(slot, manifest, problem):
                    events.append(StoreEvent("run_updated", run_id, run=slot.run))
        events.extend(events_for(run_id, changed))
        return events


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while a batch allocates thousands of (acyclic) calls.

    Allocation-triggered collections over a growing heap cost ~15% of a 100k-file scan; the
    pause never spans a ``yield`` to the caller.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _group(root: Path, changes: list[tuple[str, Path]]) -> dict[str, tuple[bool, list[str]]]:
    """Changes by run id: ``(run directory itself changed, fixture/manifest names)``."""
    prefix = os.fspath(root).rstrip(os.sep) + os.sep
    out: dict[str, tuple[bool, list[str]]] = {}
    for kind, path in changes:
        if kind not in ChangeKind.FILE_KINDS:
            continue
        text = os.fspath(path)
        if not text.startswith(prefix):
            continue
        parts = text[len(prefix) :].split(os.sep)
        if not parts[0] or parts[0].startswith(".") or len(parts) > 2:
            continue
        dir_changed, names = out.get(parts[0], (False, []))
        if len(parts) == 1:
            dir_changed = dir_changed or kind == "added"
        elif parts[1] == "run.json" or is_fixture_name(parts[1]):
            names.append(parts[1])
        out[parts[0]] = (dir_changed, names)
    return out


def _interleave(runs: list[Run]) -> list[Call]:
    """All calls by ``ts``; a call without one keeps the time of the call before it."""
    keyed: list[tuple[float, int, int, Call]] = []
    for run_no, run in enumerate(runs):
        last = float("-inf")
        for n, call in enumerate(run.calls):
            key = call_ts_key(call)
            if key == float("inf"):
                key = last
            last = key
            keyed.append((key, run_no, n, call))
    keyed.sort(key=lambda item: item[:3])
    return [item[3] for item in keyed]
