"""Linux inotify on a fixture root: the root and each run directory, no polling at all.

The live view's latency starts here: watchfiles (notify) wakes every ``step`` milliseconds to
look for changes, which costs a few ms per landing and ~1.5 % of a core while idle.  An inotify
descriptor is readable the moment a fixture lands and costs nothing while nothing does, so the
caller blocks on it (``select``, or the event loop's ``add_reader``).

What is watched mirrors what the store reads (``scan.py``):

* the root itself: run directories appearing (``IN_CREATE``/``IN_MOVED_TO``), going
  (``IN_DELETE``/``IN_MOVED_FROM``), and the root itself going (``IN_DELETE_SELF``,
  ``IN_MOVE_SELF``, ``IN_IGNORED``: the caller re-establishes the watch);
* each run directory (one level, no deeper): fixture files and ``run.json`` landing by rename
  (``IN_MOVED_TO``, the writers' atomic ``os.replace``), written in place (``IN_CLOSE_WRITE``:
  reported once the writer closed the file, not half-written at ``IN_CREATE``), linked
  (``IN_CREATE`` of a file nobody is writing), touched (``IN_ATTRIB``) and removed.

Dot-files (writers' temp files) and other names never leave this module.  A symlinked run
directory is watched only where ``scan.run_dir_status`` follows it (resolving inside the root),
through its resolved path; one outside the root is reported (the store shows it refused) but
never watched.  A queue overflow (``IN_Q_OVERFLOW``) yields ``("rescan", root)`` after the
run-directory watches are brought back in line with the disk.  When the kernel refuses a watch
for lack of resources (the per-user watch limit), :class:`InotifyWatch` raises ``OSError`` and
the caller falls back to watchfiles.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import select
import stat
import struct
import sys
import threading
from pathlib import Path

from forensics_tui.core.storage.events import ChangeKind
from forensics_tui.core.storage.scan import run_dir_status

__all__ = ["InotifyWatch", "available"]

log = logging.getLogger(__name__)

Batch = list[tuple[str, Path]]

IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_UNMOUNT = 0x00002000
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
IN_ISDIR = 0x40000000

_ROOT_MASK = (
    IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF
) | IN_ONLYDIR
_RUN_MASK = (
    IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE | IN_MOVED_FROM
) | IN_ONLYDIR
_ROOT_GONE = IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then ``len`` bytes of NUL-padded name
_READ_SIZE = 64 * 1024
_RESOURCE_ERRORS = frozenset({errno.ENOSPC, errno.ENOMEM, errno.EMFILE, errno.ENFILE})


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        for name in ("inotify_init1", "inotify_add_watch", "inotify_rm_watch"):
            getattr(libc, name)
    except (OSError, AttributeError):
        return None
    libc.inotify_init1.argtypes = [ctypes.c_int]
    libc.inotify_init1.restype = ctypes.c_int
    libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
    libc.inotify_add_watch.restype = ctypes.c_int
    libc.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.inotify_rm_watch.restype = ctypes.c_int
    return libc


_LIBC = _libc()


def available() -> bool:
    """Whether this platform has inotify (Linux with a libc that exports it)."""
    return _LIBC is not None


def _error(what: str, path: str | None = None) -> OSError:
    code = ctypes.get_errno()
    return OSError(code, f"{what}: {os.strerror(code)}", path)


class InotifyWatch:
    """An inotify descriptor on ``root`` and its run directories; read it when it is readable.

    Use :meth:`fileno` with ``select``/``add_reader`` (or :meth:`wait`), then :meth:`read`.
    :meth:`wake` makes a blocked :meth:`wait` return (from any thread); :meth:`close` releases
    the descriptors.  Raises ``OSError`` when inotify cannot watch the root at all.
    """

    def __init__(self, root: Path) -> None:
        if _LIBC is None:
            raise OSError(errno.ENOSYS, "inotify is not available on this platform")
        self.root = Path(root).absolute()
        self._root_text = os.fspath(self.root)
        fd = _LIBC.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            raise _error("inotify_init1")
        self._fd = fd
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._runs: dict[int, list[str]] = {}  # watch descriptor -> run names (symlink aliases)
        self._wd_of: dict[str, int] = {}
        self._created: set[tuple[int, str]] = set()  # created, not yet closed by the writer
        self.closed = False
        self._lock = threading.Lock()
        try:
            self._root_wd = self._add(self._root_text, _ROOT_MASK)
            if self._root_wd is None:
                raise OSError(errno.ENOENT, "cannot watch the fixture root", self._root_text)
            for name in self._run_names():
                self._watch_run(name)
        except BaseException:
            self.close()
            raise

    # -- descriptors ------------------------------------------------------------------------
    def fileno(self) -> int:
        return self._fd

    def wait(self, timeout: float | None) -> bool:
        """Block until events are readable (True), or ``timeout`` / :meth:`wake` (False)."""
        if self.closed:
            return False
        poller = select.poll()  # not select(): descriptors above 1024 are fine
        poller.register(self._fd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        try:
            ready = {fd for fd, _ in poller.poll(None if timeout is None else timeout * 1000)}
        except OSError:  # closed from another thread meanwhile
            return False
        if self._wake_r in ready:
            with contextlib.suppress(OSError):
                os.read(self._wake_r, 4096)
        return self._fd in ready

    def wake(self) -> None:
        """Make a blocked :meth:`wait` return now (thread-safe; a no-op once closed)."""
        with self._lock:  # never write to a descriptor number that close() gave back
            if not self.closed:
                with contextlib.suppress(OSError):  # the pipe is full: a wake is pending
                    os.write(self._wake_w, b"x")

    def close(self) -> None:
        """Release the descriptors (call from the thread that waits on them)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            for fd in (self._fd, self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def __enter__(self) -> InotifyWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- watches ----------------------------------------------------------------------------
    def _add(self, path: str, mask: int) -> int | None:
        """A watch descriptor, None when the path is gone or unreadable, OSError at a limit."""
        assert _LIBC is not None
        wd = _LIBC.inotify_add_watch(self._fd, os.fsencode(path), mask)
        if wd >= 0:
            return int(wd)
        error = _error("inotify_add_watch", path)
        if error.errno in _RESOURCE_ERRORS:
            raise error
        log.debug("not watching %s: %s", path, error)
        return None

    def _run_names(self) -> list[str]:
        try:
            with os.scandir(self._root_text) as entries:
                return [e.name for e in entries if not e.name.startswith(".")]
        except OSError:
            return []

    def _watch_run(self, name: str) -> bool:
        """Watch run directory ``name`` if the store would read it; True if it is a run dir."""
        path = os.path.join(self._root_text, name)
        is_dir, refused = run_dir_status(self.root, path)
        if not is_dir:
            return False
        if refused:
            return True
        # A plain directory is watched by its name; a symlink (run_dir_status followed it:
        # it resolves inside the root) through its resolved path.  IN_DONT_FOLLOW: a link
        # swapped in after the check is not followed.
        target = path
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                target = os.path.realpath(path)
        except OSError:
            return False
        wd = self._add(target, _RUN_MASK | IN_DONT_FOLLOW)  # the same wd for a watched inode
        if wd is None or wd == self._root_wd or self._wd_of.get(name) == wd:
            return True
        self._unwatch_run(name)  # the name now points at another directory (renamed over)
        self._wd_of[name] = wd
        self._runs.setdefault(wd, []).append(name)
        return True

    def _unwatch_run(self, name: str) -> None:
        wd = self._wd_of.pop(name, None)
        if wd is None:
            return
        names = self._runs.get(wd, [])
        if name in names:
            names.remove(name)
        if not names:
            self._runs.pop(wd, None)
            assert _LIBC is not None
            _LIBC.inotify_rm_watch(self._fd, wd)  # EINVAL when the kernel dropped it: fine

    def _forget(self, wd: int) -> None:
        """The kernel dropped watch ``wd`` (its directory was deleted)."""
        for run in self._runs.pop(wd, []):
            if self._wd_of.get(run) == wd:
                del self._wd_of[run]
        self._created = {key for key in self._created if key[0] != wd}

    def _resync(self) -> None:
        """After an overflow: watch every run directory there is, forget the ones gone."""
        present = {name for name in self._run_names() if self._watch_run(name)}
        for name in [n for n in self._wd_of if n not in present]:
            self._unwatch_run(name)

    @property
    def watched_runs(self) -> set[str]:
        """Names of the run directories with a live watch (for tests and diagnostics)."""
        return set(self._wd_of)

    # -- events -----------------------------------------------------------------------------
    def read(self) -> tuple[Batch, bool]:
        """Everything readable now, as a batch; and whether the root itself went away.

        Never blocks.  Raises ``OSError`` when a new run directory cannot be watched for lack
        of resources (the caller falls back to another watcher and rescans).
        """
        chunks = []
        while True:
            try:
                data = os.read(self._fd, _READ_SIZE)
            except BlockingIOError:
                break
            if not data:
                break
            chunks.append(data)
        dirs: Batch = []
        files: Batch = []
        root_gone = overflow = False
        for data in chunks:
            offset, end = 0, len(data)
            while offset + _EVENT.size <= end:
                wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                offset += _EVENT.size
                name = data[offset : offset + length].rstrip(b"\0")
                offset += length
                if mask & IN_Q_OVERFLOW:
                    overflow = True
                elif wd == self._root_wd:
                    if mask & _ROOT_GONE:
                        root_gone = True
                    elif name:
                        self._root_event(mask, os.fsdecode(name), dirs)
                elif mask & IN_IGNORED:
                    self._forget(wd)
                elif name and not mask & IN_ISDIR:
                    self._run_event(wd, mask, os.fsdecode(name), files)
        if root_gone:
            return [], True
        if overflow:
            self._resync()
            return [(ChangeKind.RESCAN, self.root)], False
        return [*dict.fromkeys(dirs), *dict.fromkeys(files)], False  # run directories first

    def _root_event(self, mask: int, name: str, batch: Batch) -> None:
        if name.startswith("."):
            return
        path = self.root / name
        if mask & (IN_DELETE | IN_MOVED_FROM):
            self._unwatch_run(name)  # moved away: its watch would report under a wrong name
            batch.append((ChangeKind.DELETED, path))
        elif mask & (IN_CREATE | IN_MOVED_TO) and self._watch_run(name):
            batch.append((ChangeKind.ADDED, path))  # watched before the store lists it

    def _run_event(self, wd: int, mask: int, name: str, batch: Batch) -> None:
        if name.startswith("."):
            if mask & IN_DELETE and name.endswith(".tmp"):
                self._temp_gone(wd, name, batch)
            return
        if not name.endswith(".json"):
            return
        runs = self._runs.get(wd)
        if not runs:
            return
        key = (wd, name)
        if mask & (IN_DELETE | IN_MOVED_FROM):
            self._created.discard(key)
            kind = ChangeKind.DELETED
        elif mask & IN_MOVED_TO:
            kind = ChangeKind.ADDED
        elif mask & IN_CREATE:
            if self._being_written(os.path.join(self._root_text, runs[0], name)):
                self._created.add(key)  # reported at IN_CLOSE_WRITE, not half-written
                return
            kind = ChangeKind.ADDED
        elif mask & IN_CLOSE_WRITE and key in self._created:
            self._created.discard(key)
            kind = ChangeKind.ADDED
        else:  # IN_CLOSE_WRITE of an existing file, IN_ATTRIB
            kind = ChangeKind.MODIFIED
        for run in runs:
            batch.append((kind, self.root / run / name))

    def _temp_gone(self, wd: int, temp: str, batch: Batch) -> None:
        """A writer's temp file (``.<name>.<pid>.<salt>.tmp``) was removed after being linked
        into place as ``<name>`` (where ``renameat2`` is missing): ``<name>``'s IN_CREATE came
        while the temp still held a second link, or after, and no close will follow: report it
        now rather than never."""
        target = temp[1:-4].rsplit(".", 2)[0]
        key = (wd, target)
        if key not in self._created:
            return
        runs = self._runs.get(wd) or []
        if not runs or not os.path.lexists(os.path.join(self._root_text, runs[0], target)):
            return
        self._created.discard(key)
        for run in runs:
            batch.append((ChangeKind.ADDED, self.root / run / target))

    @staticmethod
    def _being_written(path: str) -> bool:
        """A file just created by ``open(O_CREAT)`` (one link, regular): its close follows.

        A hard link or a symlink made into the run directory has no close to wait for.
        """
        try:
            st = os.lstat(path)
        except OSError:
            return True  # gone already: its deletion is reported instead
        return stat.S_ISREG(st.st_mode) and st.st_nlink == 1
