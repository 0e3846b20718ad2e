"""Read a fixture file's bytes without trusting the file system entry.

A fixture root is written by agents, so it may hold anything: a symlink to ``/etc/shadow``, a
FIFO that would block ``open()`` forever, a directory named ``x.json``, a 40 GB file.  This module
is the single place that opens fixture files: it refuses symlinks that leave the root, never
blocks (``O_NONBLOCK``, then ``fstat`` proves it is a regular file), and never reads more than a
cap (beyond it, only the head is read when the caller asks for one).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RawFile", "ReadRefused", "read_file_bytes"]

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
)
_MB = 1024 * 1024


class ReadRefused(Exception):
    """The entry exists but is not read; ``reason`` is a short phrase for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class RawFile:
    """Bytes of a file; ``complete`` is False when only the head was read (size over the cap)."""

    data: bytes
    size: int
    mtime_ns: int
    complete: bool = True


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def format_mb(size: int) -> str:
    return f"{size / _MB:.1f} MB"


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _resolve_symlink(path: str, root: Path | None) -> str:
    """The symlink's target when it stays inside ``root`` (default: the run dir's parent)."""
    base = os.path.realpath(root if root is not None else os.path.dirname(os.path.dirname(path)))
    real = os.path.realpath(path)
    if not _inside(real, base):
        raise ReadRefused("symlink outside the root")
    return real


def read_file_bytes(
    path: str | os.PathLike[str], *, root: Path | None = None, cap: int, head: int = 0
) -> RawFile:
    """Read ``path`` safely.

    Raises ``FileNotFoundError`` when the entry is gone (callers treat it as deleted) and
    ``ReadRefused`` for everything that is there but must not or cannot be read.  Files larger
    than ``cap`` are refused, or only their first ``head`` bytes are returned when ``head`` > 0.
    The common case costs open + fstat + read + close: ``O_NOFOLLOW`` makes a symlink fail
    with ``ELOOP``, and only then is the link resolved and checked against the root.
    """
    target = os.fspath(path)
    try:
        fd = os.open(target, _OPEN_FLAGS)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.EMLINK):
            raise ReadRefused(f"unreadable: {exc.strerror or exc}") from None
        target = _resolve_symlink(target, root)
        try:
            fd = os.open(target, _OPEN_FLAGS)
        except FileNotFoundError:
            raise ReadRefused("dangling symlink") from None
        except OSError as exc2:
            raise ReadRefused(f"unreadable: {exc2.strerror or exc2}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReadRefused(f"not a regular file ({_kind(st.st_mode)})")
        size = st.st_size
        if size > cap:
            if head <= 0:
                raise ReadRefused(f"too large ({format_mb(size)} > {format_mb(cap)} cap)")
            return RawFile(os.read(fd, head), size, st.st_mtime_ns, complete=False)
        data = os.read(fd, size + 1)
        if len(data) != size:
            # The file changed size under us (or a short read): read to EOF, still capped.
            chunks = [data]
            total = len(data)
            while True:
                more = os.read(fd, 1 << 20)
                if not more:
                    break
                chunks.append(more)
                total += len(more)
                if total > cap:
                    raise ReadRefused(f"too large (> {format_mb(cap)} cap)")
            data = b"".join(chunks)
        return RawFile(data, len(data), st.st_mtime_ns)
    except OSError as exc:
        raise ReadRefused(f"unreadable: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
