"""The file-system half of capture: safe names, private directories, and a
per-run sequence counter that is O(1) per call and unique across threads and processes.

The counter is ``<run>/.seqlog`` (a dot-file, so readers and the watcher ignore it), whose size
is the last seq handed out.  An allocation appends one byte to it (``O_APPEND``) and reads its
own file offset back: the kernel serialises appends to one file, so the offset after our byte
is a number no other thread, process or fork got, and seqs stay in start order across every
process sharing the run.  Two system calls, no lock held by anyone, so a killed process blocks
nobody.  The log is created (sparse) at the run's highest seq so far: its fixtures, or the
``.seq`` counter of earlier versions.  A fixture's first file is created exclusively, never
renamed over a name (``safe_io.create_file``), so even a writer that does not share the counter
never loses a file: it costs the next seq.  Where ``fcntl`` is missing (Windows), seqs come from blocks
reserved by exclusive creation of ``.seqblock-<n>`` files, which is unique but orders calls
only within one process.  Atomic writes are ``safe_io`` (re-exported here), the one writer
under a root.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import threading
from pathlib import Path

from forensics_tui.capture.process import current_pid
from forensics_tui.capture.safe_io import (
    DIR_MODE,
    FILE_MODE,
    NO_LINKS,
    atomic_write,
    create_file,
    write_all,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "SeqCounter",
    "atomic_write",
    "create_file",
    "ensure_private_dir",
    "fixture_name",
    "slugify",
    "write_all",
]

SLUG_MAX = 80
_SLUG_BAD = re.compile(r"[^A-Za-z0-9_.-]+")
_FIXTURE_NAME = re.compile(r"^(\d{1,12})_")
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_LOG = ".seqlog"
_LEGACY = ".seq"  # the flock-guarded counter of earlier versions: read once, at log creation
_APPEND = (
    os.O_WRONLY
    | os.O_APPEND
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_READ = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
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


def _open_log(run_dir: Path) -> int:
    """The seq log, opened for appending, created at the run's highest seq when missing;
    never through a planted symlink and never a FIFO or device."""
    path = f"{run_dir}/{_LOG}"
    for _ in range(3):
        try:
            fd = os.open(path, _APPEND)
        except FileNotFoundError:
            _create_log(run_dir)
            continue
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError(f"{path} is not a regular file")
        return fd
    raise FileNotFoundError(errno.ENOENT, "the seq log keeps vanishing", path)


def _create_log(run_dir: Path) -> None:
    """Create the log, sized (sparse) to the highest seq the run has used; when several
    processes race, the first link wins and the others use its log."""
    base = max(_highest_on_disk(run_dir), _legacy_counter(run_dir))
    tmp = f"{run_dir}/.{_LOG}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
    fd = os.open(tmp, _CREATE | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
    try:
        os.ftruncate(fd, base)
    finally:
        os.close(fd)
    try:
        os.link(tmp, f"{run_dir}/{_LOG}")
    except FileExistsError:
        pass  # another process made it first: same base, and it may have handed out seqs
    except OSError as exc:
        if exc.errno not in NO_LINKS:
            raise
        with contextlib.suppress(FileExistsError):  # no hard links here: create in place
            fd = os.open(f"{run_dir}/{_LOG}", _CREATE | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
            try:
                os.ftruncate(fd, base)
            finally:
                os.close(fd)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _legacy_counter(run_dir: Path) -> int:
    try:
        fd = os.open(f"{run_dir}/{_LEGACY}", _READ)
    except OSError:
        return 0
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return 0
        raw = os.read(fd, 32).strip()
    finally:
        os.close(fd)
    return int(raw) if raw.isdigit() else 0


def _highest_on_disk(run_dir: Path) -> int:
    """Once per run, when the log is new: continue after any fixtures already there."""
    highest = 0
    with os.scandir(run_dir) as entries:
        for entry in entries:
            m = _FIXTURE_NAME.match(entry.name)
            if m:
                highest = max(highest, int(m.group(1)))
    return highest


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
            if self._pid != current_pid():  # first use, or a forked child: its own offset
                self._fd = None
                self._block_next = self._block_end = 0
                self._pid = current_pid()
            if fcntl is None:
                return self._next_from_block()
            fd = self._fd
            if fd is None:
                fd = self._fd = _open_log(self.run_dir)
            if os.write(fd, b"\n") != 1:  # pragma: no cover - a full disk raises instead
                raise OSError(errno.ENOSPC, "short write to the seq log")
            return os.lseek(fd, 0, os.SEEK_CUR)

    def reset(self) -> None:
        """Forget the open log (its directory was deleted and recreated)."""
        with self._lock:
            if self._fd is not None and self._pid == current_pid():
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._fd = None

    def _next_from_block(self) -> int:  # pragma: no cover - exercised only without fcntl
        if self._block_next >= self._block_end:
            block = _highest_on_disk(self.run_dir) // _BLOCK
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
