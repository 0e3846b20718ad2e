"""Watch a fixture root fast enough for a live tail, and robust to the root coming and going.

``watch_root()`` (async) and ``watch_root_sync()`` (a plain generator, for the CLI tail) yield
batches ``list[tuple[kind, Path]]`` that :meth:`FixtureStore.apply_changes` understands:

* ``"added"``, ``"modified"``, ``"deleted"`` for run directories, ``run.json`` and fixture files
  (``*.json``); dot-files (writers' temp files), other names and deeper paths are filtered out
  before they reach Python code that cares.
* ``("lost", root)`` when the root disappears (deleted or renamed away): show a "watch lost"
  banner; the watcher then waits for it.
* ``("rescan", root)`` when a root that did not exist (at start, or after "lost") appears, the
  watch had to be re-established, or events were lost (an inotify queue overflow): index the
  root again.

Two backends.  On Linux, ``inotify.InotifyWatch`` (ctypes, no polling): the event loop (or a
``select``) wakes the moment a fixture lands, each readable burst becomes one batch, and an idle
root costs one identity check per ``check_s``.  Elsewhere, or when inotify refuses (the per-user
watch limit, no instances left), watchfiles: its defaults are tuned for editors (a batch closes
only after ``step`` ms without a change, at most after ``debounce`` ms, 1,600 by default), so
here ``debounce_ms=20, step_ms=5``; it wakes every ``step`` ms even when idle.  ``backend``
(``"inotify"``/``"watchfiles"``, or the ``FORENSICS_TUI_WATCHER`` environment variable) forces
one.  A watched directory that is deleted and recreated goes silently blind in watchfiles, so
every ``check_s`` seconds without events (and after any event touching the root itself) the
root's identity (device, inode) is compared with the one being watched; a change re-establishes
the watch.  inotify reports the root's own deletion or rename directly.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

from watchfiles import Change, awatch, watch

from forensics_tui.core.storage import inotify
from forensics_tui.core.storage.events import ChangeKind
from forensics_tui.core.waiting import event_set_within

__all__ = ["Batch", "RootFilter", "watch_root", "watch_root_sync"]

log = logging.getLogger(__name__)

Batch = list[tuple[str, Path]]

_KINDS = {
    Change.added: ChangeKind.ADDED,
    Change.modified: ChangeKind.MODIFIED,
    Change.deleted: ChangeKind.DELETED,
}


class RootFilter:
    """watchfiles filter: run directories, their ``run.json`` and fixture files, nothing else."""

    def __init__(self, root: Path) -> None:
        self.root = os.fspath(root).rstrip(os.sep)
        self._prefix = self.root + os.sep

    def __call__(self, change: Change, path: str) -> bool:
        if path == self.root:
            return True
        if not path.startswith(self._prefix):
            return False
        parts = path[len(self._prefix) :].split(os.sep)
        if any(part.startswith(".") for part in parts):
            return False
        if len(parts) == 1:
            return True  # a run directory (or a stray file at the top, ignored by the store)
        return len(parts) == 2 and parts[1].endswith(".json")


def _identity(root: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(root)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if os.path.isdir(root) else None


def _convert(root: Path, changes: set[tuple[Change, str]]) -> Batch:
    batch = [(_KINDS[change], Path(path)) for change, path in changes]
    batch.sort(key=lambda item: (len(item[1].parts), os.fspath(item[1])))  # dirs before files
    return batch


_BACKENDS = ("inotify", "watchfiles")


def _backend(choice: str | None) -> str:
    choice = choice or os.environ.get("FORENSICS_TUI_WATCHER") or None
    if choice is not None and choice not in _BACKENDS:
        raise ValueError(f"unknown watcher backend {choice!r} (choose from {_BACKENDS})")
    if choice == "watchfiles" or not inotify.available():
        return "watchfiles"
    return "inotify"


class _Session:
    """What both loops share: announcements, batch conversion, and when to re-establish."""

    def __init__(self, root: Path, backend: str | None = None) -> None:
        self.root = Path(root).absolute()
        self.missing_at_start = _identity(self.root) is None
        self.first = True
        self.identity: tuple[int, int] | None = None
        self.backend = _backend(backend)
        self.force_polling: bool | None = None  # set after the native watcher failed

    def lost(self) -> Batch | None:
        """``[("lost", root)]`` if the root is gone now (not at start: nothing was lost)."""
        self.identity = _identity(self.root)
        if self.identity is not None or (self.first and self.missing_at_start):
            return None
        return [(ChangeKind.LOST, self.root)]

    def found(self) -> bool:
        self.identity = _identity(self.root)
        return self.identity is not None

    def announce(self, was_missing: bool) -> Batch | None:
        """``[("rescan", root)]`` unless this is the first watch of a root that was there."""
        first, self.first = self.first, False
        if first and not was_missing:
            return None
        return [(ChangeKind.RESCAN, self.root)]

    def moved(self) -> bool:
        """Whether the path now names another directory than the one being watched."""
        return _identity(self.root) != self.identity

    def handle(self, changes: set[tuple[Change, str]]) -> tuple[Batch, bool]:
        """The batch to yield, and whether the watch must be re-established (watchfiles)."""
        batch: Batch = []
        touched_root = not changes  # a timeout: the moment to check the root's identity
        if changes:
            batch = _convert(self.root, changes)
            touched_root = any(path == self.root for _, path in batch)
            batch = [item for item in batch if item[1] != self.root]
        return batch, touched_root and self.moved()

    def inotify_failed(self, exc: OSError) -> bool:
        """inotify refused: True to fall back to watchfiles, False if the root just went."""
        if exc.errno in (errno.ENOENT, errno.ENOTDIR) and _identity(self.root) is None:
            return False
        log.warning("inotify on %s failed (%s); falling back to watchfiles", self.root, exc)
        self.backend = "watchfiles"
        return True

    def failed(self, exc: BaseException) -> Batch:
        log.warning("watching %s failed (%s); falling back to polling", self.root, exc)
        self.force_polling = True
        return [(ChangeKind.LOST, self.root)]

    def options(self, debounce_ms: int, step_ms: int, check_s: float) -> dict[str, Any]:
        return {
            "watch_filter": RootFilter(self.root),
            "debounce": debounce_ms,
            "step": step_ms,
            "rust_timeout": int(check_s * 1000),
            "yield_on_timeout": True,
            "ignore_permission_denied": True,
            "force_polling": self.force_polling,
        }


async def _sleep_or_stop(seconds: float, stop_event: asyncio.Event | None) -> bool:
    """Sleep; True if ``stop_event`` was set meanwhile."""
    if stop_event is None:
        await asyncio.sleep(seconds)
        return False
    return await event_set_within(stop_event, seconds)


async def _inotify_batches(
    session: _Session,
    stop_event: asyncio.Event | None,
    check_s: float,
    ready: asyncio.Event | None = None,
    first: Batch | None = None,
) -> AsyncGenerator[Batch, None]:
    """Batches from inotify until the root goes or is replaced, or ``stop_event`` is set.

    The descriptor sits in the event loop's selector (``add_reader``): no thread, no polling;
    the loop wakes once per ``check_s`` while idle to compare the root's identity.
    """
    loop = asyncio.get_running_loop()
    # One watch per run directory: thousands of system calls for a big root, not on the loop.
    watcher = await asyncio.to_thread(inotify.InotifyWatch, session.root)
    if ready is not None:
        ready.set()
    wake = asyncio.Event()
    relay: asyncio.Task[None] | None = None
    if stop_event is not None:
        stop = stop_event

        async def stopped() -> None:
            await stop.wait()
            wake.set()

        relay = asyncio.ensure_future(stopped())
    loop.add_reader(watcher.fileno(), wake.set)
    try:
        if first:
            yield first
        while stop_event is None or not stop_event.is_set():
            if not await event_set_within(wake, check_s):
                if session.moved():
                    return
                continue
            wake.clear()
            batch, root_gone = watcher.read()
            if batch:
                yield batch
            if root_gone:
                return
    finally:
        loop.remove_reader(watcher.fileno())
        if relay is not None:
            relay.cancel()
        watcher.close()


def _relay_stop(stop: threading.Event, watcher: inotify.InotifyWatch, check_s: float) -> None:
    """Wake a blocked :meth:`InotifyWatch.wait` when ``stop`` is set (ends with the watch)."""
    while not watcher.closed:
        if stop.wait(check_s):
            watcher.wake()
            return


def _inotify_batches_sync(
    session: _Session, stop: threading.Event, check_s: float, first: Batch | None = None
) -> Iterator[Batch]:
    with inotify.InotifyWatch(session.root) as watcher:
        threading.Thread(
            target=_relay_stop, args=(stop, watcher, check_s), daemon=True, name="watch-stop"
        ).start()
        if first:
            yield first
        while not stop.is_set():
            if not watcher.wait(check_s):
                if stop.is_set() or session.moved():
                    return
                continue
            batch, root_gone = watcher.read()
            if batch:
                yield batch
            if root_gone:
                return


async def watch_root(
    root: Path,
    *,
    debounce_ms: int = 20,
    step_ms: int = 5,
    stop_event: asyncio.Event | None = None,
    poll_s: float = 0.2,
    check_s: float = 1.0,
    backend: str | None = None,
    ready: asyncio.Event | None = None,
) -> AsyncIterator[Batch]:
    """Yield change batches for ``root`` until ``stop_event`` is set (see module docstring).

    ``poll_s`` is how often a missing root is looked for; ``check_s`` how often, when nothing
    happens, the root's identity is checked (a root replaced by a new directory).
    ``debounce_ms``/``step_ms`` apply to the watchfiles backend only.  ``ready`` is set once
    nothing can be missed any more: the inotify watches are in place (watchfiles: its watch is
    about to start), or the root is missing (its appearance will ask for a rescan); a caller
    that scans after it sees every later change.
    """
    session = _Session(root, backend)
    while stop_event is None or not stop_event.is_set():
        if (lost := session.lost()) is not None:
            yield lost
        was_missing = False
        while not session.found():
            was_missing = True
            if ready is not None:
                ready.set()
            if await _sleep_or_stop(poll_s, stop_event):
                return
        announcement = session.announce(was_missing)
        if session.backend == "inotify":
            try:  # the rescan is announced once the watch is in place: nothing falls between
                batches = _inotify_batches(session, stop_event, check_s, ready, announcement)
                async with aclosing(batches):
                    async for batch in batches:
                        yield batch
            except OSError as exc:
                if not session.inotify_failed(exc) and await _sleep_or_stop(poll_s, stop_event):
                    return
            continue
        if announcement is not None:
            yield announcement
        options = session.options(debounce_ms, step_ms, check_s)
        if ready is not None:
            ready.set()
        try:
            async for changes in awatch(session.root, stop_event=stop_event, **options):
                batch, reestablish = session.handle(changes)
                if batch:
                    yield batch
                if reestablish:
                    break
        except (OSError, RuntimeError) as exc:  # e.g. the inotify watch limit
            yield session.failed(exc)
            if await _sleep_or_stop(poll_s, stop_event):
                return


def watch_root_sync(
    root: Path,
    *,
    debounce_ms: int = 20,
    step_ms: int = 5,
    stop_event: threading.Event | None = None,
    poll_s: float = 0.2,
    check_s: float = 1.0,
    backend: str | None = None,
) -> Iterator[Batch]:
    """The same as :func:`watch_root` as a blocking generator.

    For code without an event loop; stop it with ``stop_event`` (a blocked wait returns at
    once) or by closing the generator.
    """
    stop = stop_event if stop_event is not None else threading.Event()
    session = _Session(root, backend)
    while not stop.is_set():
        if (lost := session.lost()) is not None:
            yield lost
        was_missing = False
        while not session.found():
            was_missing = True
            if stop.wait(poll_s):
                return
        announcement = session.announce(was_missing)
        if session.backend == "inotify":
            try:  # the rescan is announced once the watch is in place
                yield from _inotify_batches_sync(session, stop, check_s, announcement)
            except OSError as exc:
                if not session.inotify_failed(exc) and stop.wait(poll_s):
                    return
            continue
        if announcement is not None:
            yield announcement
        options = session.options(debounce_ms, step_ms, check_s)
        try:
            for changes in watch(session.root, stop_event=stop, raise_interrupt=False, **options):
                batch, reestablish = session.handle(changes)
                if batch:
                    yield batch
                if reestablish:
                    break
        except (OSError, RuntimeError) as exc:
            yield session.failed(exc)
            if stop.wait(poll_s):
                return
