"""The fleet's file access, all through the project's safe helpers: the safe reader (no symlink
out of the root, no FIFO, size caps), the capture layer's atomic write, and private
directories that are refused when something else (a symlink, a file) sits at their name.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from forensics_tui.capture.files import atomic_write
from forensics_tui.core.storage.safe_read import ReadRefused, read_file_bytes

__all__ = ["atomic_write", "private_dir", "read_capped"]


def private_dir(path: Path | str) -> Path:
    """``path`` as a real directory, created 0700 (with its parents) when missing."""
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):  # the common case: one system call
            return Path(path)
    except FileNotFoundError:
        pass
    os.makedirs(path, 0o700, exist_ok=True)
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        raise OSError(errno.ENOTDIR, "refusing to write through a symlink", str(path))
    return Path(path)


def read_capped(path: Path | str, *, root: Path | str, cap: int, head: int = 0) -> bytes | None:
    """The bytes of a regular file under ``root`` (at most ``cap``, or its first ``head``
    bytes when bigger), or None when it is missing or must not be read."""
    try:
        return read_file_bytes(path, root=Path(root), cap=cap, head=head).data
    except (FileNotFoundError, ReadRefused):
        return None
