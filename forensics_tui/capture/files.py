"""The file-system half of capture: safe names, private directories, and a
per-run sequence counter that is O(1) per call and unique across threads and processes.

The counter lives in ``<run>/.seq`` (a dot-file, so readers and the watcher ignore it).  Each
allocation takes an exclusive ``flock`` on it, reads the last number, writes the next one and
unlocks: four cheap system calls, no directory listing, and seqs stay in start order across
every process sharing the run.  A killed process releases its lock with its file descriptor.
Where ``fcntl`` is missing, seqs come from blocks reserved by exclusive creation of
``.seqblock-<n>`` files, which is unique but orders calls only within one process.
Atomic writes are ``safe_io.atomic_write`` (re-exported here), the one writer under a root.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import threading
from pathlib import Path

from forensics_tui.capture.safe_io import DIR_MODE, FILE_MODE, atomic_write, write_all

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "SeqCounter",
    "atomic_write",
    "ensure_private_dir",
    "fixture_name",
    "slugify",
    "write_all",
]

SLUG_MAX = 80
_SLUG_BAD = re.compile(r"[^A-Za-z0-9_.-]+")
_FIXTURE_NAME = re.compile(r"^(\d{1,12})_")
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_COUNTER = (
    os.O_RDWR
    | os.O_CREAT
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_BLOCK = 1000


def slugify(tool: object) -> str:
    """A file-name-safe form of a tool name: ``[A-Za-z0-9_.-]``, at most 80 chars, never empty."""
    text = tool if isinstance(tool, str) else str(tool)
    slug = _SLUG_BAD.sub("_", text).strip("._-")[:SLUG_MAX].rstrip("._-")
    return slug or "tool"


def fixture_name(seq: int, slug: str) -> str:
    return f"{seq:06d}_{slug}.json"


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents with mode 0700 (existing ones are left alone)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(directory, DIR_MODE)


def _open_counter(path: Path) -> int:
    """The counter file, never through a planted symlink (it is written with ``pwrite``) and
    never a FIFO or device."""
    fd = os.open(path, _COUNTER, FILE_MODE)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    return fd


class SeqCounter:
    """Hands out the next ``seq`` of one run directory; thread-, process- and fork-safe."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0
        self._block_next = 0
        self._block_end = 0

    def next(self) -> int:
        """The next seq.  Raises ``OSError`` if the run directory cannot be used."""
        with self._lock:
            if self._pid != os.getpid():  # first use, or we are a forked child
                self._fd = None
                self._block_next = self._block_end = 0
                self._pid = os.getpid()
            if fcntl is None:
                return self._next_from_block()
            if self._fd is None:
                self._fd = _open_counter(self.run_dir / ".seq")
            fd = self._fd
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                raw = os.pread(fd, 32, 0).strip()
                last = int(raw) if raw.isdigit() else self._highest_on_disk()
                counter = b"%020d" % (last + 1)
                if os.pwrite(fd, counter, 0) != len(counter):  # a full disk: never reuse a seq
                    raise OSError(errno.ENOSPC, "short write to the seq counter")
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            return last + 1

    def reset(self) -> None:
        """Forget the open counter file (its directory was deleted and recreated)."""
        with self._lock:
            if self._fd is not None and self._pid == os.getpid():
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._fd = None

    def _highest_on_disk(self) -> int:
        """Once per run, when the counter is new: continue after any fixtures already there."""
        highest = 0
        with os.scandir(self.run_dir) as entries:
            for entry in entries:
                m = _FIXTURE_NAME.match(entry.name)
                if m:
                    highest = max(highest, int(m.group(1)))
        return highest

    def _next_from_block(self) -> int:  # pragma: no cover - exercised only without fcntl
        if self._block_next >= self._block_end:
            block = self._highest_on_disk() // _BLOCK
            while True:
                try:
                    os.close(os.open(self.run_dir / f".seqblock-{block}", _CREATE, FILE_MODE))
                    break
                except FileExistsError:
                    block += 1
            self._block_next = max(block * _BLOCK, 1)
            self._block_end = (block + 1) * _BLOCK
        seq = self._block_next
        self._block_next += 1
        return seq
