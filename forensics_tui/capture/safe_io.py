"""The one way the project reads and writes files under a fixture root.

A fixture root is written by agents, other hosts and imported traces, so any name in it may be
a symlink to a victim file, a FIFO that blocks ``open()`` forever, a device or a 40 GB file.
Writers here never follow a symlink (``O_NOFOLLOW``; exclusive creation of a new file, or of an
unpredictable temp name then ``os.replace`` over the final name), refuse what is not a regular file, finish short
writes and set private permissions (0600 files, 0700 directories).  The reader never blocks
(``O_NONBLOCK``, then ``fstat`` proves a regular file), refuses symlinks that leave the root and
never reads more than a cap.  Capture is stdlib-only, so this lives here and the core re-exports
it (``core.storage.safe_read``).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import stat
from pathlib import Path

from forensics_tui.capture.process import current_pid

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "NO_LINKS",
    "RawFile",
    "ReadRefused",
    "WriteRefused",
    "append_bytes",
    "atomic_write",
    "create_file",
    "format_mb",
    "inside_root",
    "open_dir",
    "private_dirs",
    "read_file_bytes",
    "read_text",
    "write_all",
    "write_file",
    "write_temp",
]

FILE_MODE = 0o600
DIR_MODE = 0o700
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _CLOEXEC
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC
_READ = os.O_RDONLY | _NONBLOCK | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NOCTTY", 0)
_MB = 1024 * 1024
_tmp_ids = itertools.count(1)
_tmp_pid = 0
_tmp_salt = ""


class ReadRefused(Exception):
    """The entry exists but is not read; ``reason`` is a short phrase for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WriteRefused(OSError):
    """A name under the root is not something the project may write through (a symlink, a
    FIFO, a device, a directory where a file belongs)."""


class RawFile:
    """Bytes of a file; ``complete`` is False when only the head was read (size over the cap).

    A plain class, not a dataclass: importing capture must stay cheap."""

    __slots__ = ("complete", "data", "mtime_ns", "size")

    def __init__(self, data: bytes, size: int, mtime_ns: int, complete: bool = True) -> None:
        self.data = data
        self.size = size
        self.mtime_ns = mtime_ns
        self.complete = complete

    def __repr__(self) -> str:
        return f"RawFile(size={self.size}, complete={self.complete})"


# -- writing ----------------------------------------------------------------------------


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte of ``data`` to ``fd``: a short write (a full disk, a file size limit)
    is continued, and the error that stops it raises instead of leaving half a file."""
    written = os.write(fd, data)
    if written < len(data):
        view = memoryview(data)[written:]
        while view:
            n = os.write(fd, view)
            if n <= 0:  # pragma: no cover - write(2) reports errors by raising
                raise OSError(errno.EIO, "write made no progress")
            view = view[n:]


def _tmp_name(name: str) -> str:
    """A dot-file name nobody can guess ahead: a per-process random salt and a counter."""
    global _tmp_pid, _tmp_salt
    pid = current_pid()
    if pid != _tmp_pid:  # first use, or a forked child: new salt
        _tmp_salt = os.urandom(6).hex()
        _tmp_pid = pid
    return f".{name}.{pid}.{_tmp_salt}{next(_tmp_ids)}.tmp"


def write_temp(
    directory: str, name: str, data: bytes, *, mode: int = FILE_MODE, durable: bool = False
) -> str:
    """Create a new private temp file next to ``name`` holding ``data``; return its path.

    Exclusive creation with ``O_NOFOLLOW`` never opens an existing entry (a planted symlink or
    FIFO makes it pick another name).  The caller renames or links it, and unlinks it on error.
    """
    for attempt in range(8):
        tmp = f"{directory}/{_tmp_name(name) if attempt == 0 else _random_tmp(name)}"
        try:
            fd = os.open(tmp, _CREATE, mode)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(errno.EEXIST, "no free temp name", directory)
    try:
        write_all(fd, data)
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)
        raise
    os.close(fd)
    return tmp


def _random_tmp(name: str) -> str:
    return f".{name}.{os.getpid()}.{os.urandom(8).hex()}.tmp"


def atomic_write(
    directory: str, name: str, data: bytes, *, mode: int = FILE_MODE, durable: bool = False
) -> str:
    """Write ``data`` to ``directory/name`` through a fresh temp file and ``os.replace``.

    Readers see the old file or the new one, never half of it; a symlink or FIFO planted at
    ``name`` is replaced, never followed.  ``durable`` fsyncs the file and the directory.
    Raises ``OSError``.
    """
    tmp = write_temp(directory, name, data, mode=mode, durable=durable)
    final = f"{directory}/{name}"
    try:
        os.replace(tmp, final)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    if durable:
        _fsync_dir(directory)
    return final


# What link(2) says where a file system has no hard links.
NO_LINKS = frozenset(
    {errno.EPERM, errno.EMLINK, errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}
)


def create_file(
    directory: str, name: str, data: bytes, *, mode: int = FILE_MODE, dir_fd: int | None = None
) -> str:
    """Create ``directory/name`` exclusively (``O_CREAT | O_EXCL``: an entry already there,
    a planted symlink or FIFO included, is never opened or replaced: ``FileExistsError``),
    write ``data`` into it and return its path.  One directory entry is made and none moved
    (a temp file renamed into place costs half as much again), so the file is there from the
    create: a reader may find it empty until the write (one ``write`` for a fixture-sized
    file) lands.  The live watcher reports such a file at its close, and the loader reads a
    young empty file again.  A failed write removes the file.  With ``dir_fd`` (``directory``
    opened: ``open_dir``), ``name`` is created in that very directory, wherever its path now
    leads, and no path is walked again.  Raises ``OSError``."""
    if dir_fd is None:
        final = f"{directory}/{name}"
        fd = os.open(final, _CREATE, mode)
    else:
        final = name
        fd = os.open(name, _CREATE, mode, dir_fd=dir_fd)
    try:
        written = os.write(fd, data)  # all of it, as a rule: ``write_all`` finishes the rest
        if written < len(data):
            write_all(fd, memoryview(data)[written:])
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(final, dir_fd=dir_fd)
        raise
    os.close(fd)
    return f"{directory}/{name}"


def open_dir(directory: str) -> int:
    """A descriptor of ``directory`` for ``create_file(dir_fd=...)``; ``OSError`` if it is
    not a directory."""
    return os.open(directory, _DIRECTORY)


def write_file(path: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> Path:
    """``atomic_write`` by path: the whole of ``data`` at ``path`` (0600), or an ``OSError``."""
    target = Path(path)
    atomic_write(str(target.parent), target.name, data, durable=durable)
    return target


def append_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int = FILE_MODE) -> None:
    """Append ``data`` to a regular file (created 0600 if missing), never through a symlink.

    ``O_NOFOLLOW`` refuses a planted symlink, ``O_NONBLOCK`` keeps a FIFO from hanging us, and
    ``fstat`` refuses anything that is not a regular file.  Raises ``OSError``.
    """
    try:
        fd = os.open(path, _APPEND, mode)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise WriteRefused(
                errno.ELOOP, "refusing to append through a symlink", str(path)
            ) from None
        if exc.errno == errno.ENXIO:
            raise WriteRefused(errno.ENXIO, "refusing to append to a FIFO", str(path)) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = _kind(st.st_mode)
            raise WriteRefused(errno.EINVAL, f"refusing to append to a {kind}", str(path))
        write_all(fd, data)
    finally:
        os.close(fd)


def private_dirs(root: str | os.PathLike[str], *parts: str) -> Path:
    """``root/part/...`` as real directories (made 0700 when missing); a component that is a
    symlink or not a directory raises ``WriteRefused`` instead of being written through."""
    here = Path(root)
    if not here.is_dir():
        os.makedirs(here, DIR_MODE, exist_ok=True)
    for part in parts:
        if part in ("", ".", "..") or "/" in part or os.sep in part:
            raise WriteRefused(errno.EINVAL, "not a plain directory name", part)
        here = here / part
        with contextlib.suppress(FileExistsError):
            os.mkdir(here, DIR_MODE)
        st = os.lstat(here)
        if not stat.S_ISDIR(st.st_mode):
            why = "a symlink" if stat.S_ISLNK(st.st_mode) else f"a {_kind(st.st_mode)}"
            raise WriteRefused(errno.ENOTDIR, f"refusing to write through {why}", str(here))
    return here


def _fsync_dir(directory: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# -- reading ----------------------------------------------------------------------------


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "special file"


def format_mb(size: int) -> str:
    return f"{size / _MB:.1f} MB"


def inside_root(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """True when ``path``, symlinks resolved, is ``root`` or below it."""
    real = os.path.realpath(path)
    base = os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _resolve_symlink(path: str, root: str | os.PathLike[str] | None) -> str:
    """The symlink's target when it stays inside ``root`` (default: the run dir's parent)."""
    base = root if root is not None else os.path.dirname(os.path.dirname(path))
    if not inside_root(path, base):
        raise ReadRefused("symlink outside the root")
    return os.path.realpath(path)


def read_file_bytes(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    cap: int,
    head: int = 0,
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
        fd = os.open(target, _READ)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.EMLINK):
            raise ReadRefused(f"unreadable: {exc.strerror or exc}") from None
        target = _resolve_symlink(target, root)
        try:
            fd = os.open(target, _READ)
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


def read_text(
    path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None, cap: int
) -> str:
    """``read_file_bytes`` decoded as UTF-8 (``UnicodeDecodeError`` is a ``ValueError``)."""
    return read_file_bytes(path, root=root, cap=cap).data.decode("utf-8")
