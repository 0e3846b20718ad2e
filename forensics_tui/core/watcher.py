"""Watch a fixture root fast enough for a live tail, and robust to the root coming and going.

``watch_root()`` (async) and ``watch_root_sync()`` (a plain generator, for the CLI tail) wrap
watchfiles and yield batches ``list[tuple[kind, Path]]`` that
:meth:`FixtureStore.apply_changes` understands:

* ``"added"``, ``"modified"``, ``"deleted"`` for run directories, ``run.json`` and fixture files
  (``*.json``); dot-files (writers' temp files), other names and deeper paths are filtered out
  before they reach Python code that cares.
* ``("lost", root)`` when the root disappears (deleted or renamed away): show a "watch lost"
  banner; the watcher then waits for it.
* ``("rescan", root)`` when a root that did not exist (at start, or after "lost") appears, or
  the watch had to be re-established: index the root again.

watchfiles' defaults are tuned for editors: a batch closes only after ``step`` ms without a
change, and at most after ``debounce`` ms (1,600 by default), which makes a steady stream of
fixtures wait up to 1.6 s.  Here ``debounce_ms=20, step_ms=5``.  A watched directory that is
deleted and recreated goes silently blind in watchfiles, so every ``check_s`` seconds without
events (and after any event touching the root itself) the root's identity (device, inode) is
compared with the one being watched; a change re-establishes the watch.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from watchfiles import Change, awatch, watch

from .events import ChangeKind

__all__ = ["Batch", "RootFilter", "watch_root", "watch_root_sync"]

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


async def _sleep_or_stop(seconds: float, stop_event: asyncio.Event | None) -> bool:
    """Sleep; True if ``stop_event`` was set meanwhile."""
    if stop_event is None:
        await asyncio.sleep(seconds)
        return False
    try:
        await asyncio.wait_for(stop_event.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def watch_root(
    root: Path,
    *,
    debounce_ms: int = 20,
    step_ms: int = 5,
    stop_event: asyncio.Event | None = None,
    poll_s: float = 0.2,
    check_s: float = 1.0,
) -> AsyncIterator[Batch]:
    """Yield change batches for ``root`` until ``stop_event`` is set (see module docstring).

    ``poll_s`` is how often a missing root is looked for; ``check_s`` how often, when nothing
    happens, the root's identity is checked (a root replaced by a new directory).
    """
    root = Path(root).absolute()
    missing_at_start = _identity(root) is None
    first = True
    while stop_event is None or not stop_event.is_set():
        identity = _identity(root)
        if identity is None:
            if not first or not missing_at_start:
                yield [(ChangeKind.LOST, root)]
            while (identity := _identity(root)) is None:
                if await _sleep_or_stop(poll_s, stop_event):
                    return
            yield [(ChangeKind.RESCAN, root)]
        elif not first:
            yield [(ChangeKind.RESCAN, root)]  # the root was replaced while we watched it
        first = False
        async for changes in awatch(
            root,
            watch_filter=RootFilter(root),
            debounce=debounce_ms,
            step=step_ms,
            stop_event=stop_event,
            rust_timeout=int(check_s * 1000),
            yield_on_timeout=True,
            ignore_permission_denied=True,
        ):
            if changes:
                batch = _convert(root, changes)
                touched_root = any(path == root for _, path in batch)
                batch = [item for item in batch if item[1] != root]
                if batch:
                    yield batch
                if not touched_root:
                    continue
            if _identity(root) != identity:
                break  # deleted, or replaced: re-establish (the outer loop says lost/rescan)


def watch_root_sync(
    root: Path,
    *,
    debounce_ms: int = 20,
    step_ms: int = 5,
    stop_event: threading.Event | None = None,
    poll_s: float = 0.2,
    check_s: float = 1.0,
) -> Iterator[Batch]:
    """The same as :func:`watch_root` as a blocking generator (``watchfiles.watch``).

    For the CLI ``tail``; stop it with ``stop_event`` or by closing the generator.
    """
    root = Path(root).absolute()
    missing_at_start = _identity(root) is None
    first = True
    while stop_event is None or not stop_event.is_set():
        identity = _identity(root)
        if identity is None:
            if not first or not missing_at_start:
                yield [(ChangeKind.LOST, root)]
            while (identity := _identity(root)) is None:
                if stop_event is not None and stop_event.wait(poll_s):
                    return
                if stop_event is None:
                    time.sleep(poll_s)
            yield [(ChangeKind.RESCAN, root)]
        elif not first:
            yield [(ChangeKind.RESCAN, root)]
        first = False
        for changes in watch(
            root,
            watch_filter=RootFilter(root),
            debounce=debounce_ms,
            step=step_ms,
            stop_event=stop_event,
            rust_timeout=int(check_s * 1000),
            yield_on_timeout=True,
            ignore_permission_denied=True,
            raise_interrupt=False,
        ):
            if changes:
                batch = _convert(root, changes)
                touched_root = any(path == root for _, path in batch)
                batch = [item for item in batch if item[1] != root]
                if batch:
                    yield batch
                if not touched_root:
                    continue
            if _identity(root) != identity:
                break
