"""Read a fixture file's bytes without trusting the file system entry.

The implementation is ``forensics_tui.capture.safe_io`` (capture is stdlib-only and must read
and write safely too, so the one safe reader and writer live there); the core and everything
above it import them from here.
"""

from __future__ import annotations

import os
import time

from forensics_tui.capture.safe_io import (
    RawFile,
    ReadRefused,
    WriteRefused,
    append_bytes,
    atomic_write,
    format_mb,
    inside_root,
    private_dirs,
    read_file_bytes,
    read_text,
    write_file,
)

__all__ = [
    "RawFile",
    "ReadRefused",
    "WriteRefused",
    "append_bytes",
    "atomic_write",
    "format_mb",
    "inside_root",
    "private_dirs",
    "read_file_bytes",
    "read_settled",
    "read_text",
    "still_writing",
    "write_file",
]

WRITING_NS = 500_000_000
"""An empty fixture younger than this may be a capture between its create and its write."""
REREADS = 5
REREAD_BUDGET = 50
"""Re-reads (1 ms each) allowed per second in this process: a root full of freshly touched
empty files cannot stall a scan for more than 5 % of its time."""
_budget = [0, 0]  # [second, re-reads spent in it]


def still_writing(raw: RawFile) -> bool:
    """An empty file created moments ago: capture creates a call's first file and then writes
    it (``safe_io.create_file``), so a reader can land in between."""
    return raw.size == 0 and time.time_ns() - raw.mtime_ns < WRITING_NS


def read_settled(
    path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None, cap: int, head: int = 0
) -> RawFile:
    """``read_file_bytes``, read again (up to ~5 ms, within a per-second budget) while the file
    is ``still_writing``.  An empty file that stays so is returned as it is: the caller reports
    it, or (``still_writing`` still true) waits for the event its write will bring."""
    raw = read_file_bytes(path, root=root, cap=cap, head=head)
    tries = 0
    while tries < REREADS and still_writing(raw) and _spend_reread():
        time.sleep(0.001)
        raw = read_file_bytes(path, root=root, cap=cap, head=head)
        tries += 1
    return raw


def _spend_reread() -> bool:
    second = int(time.monotonic())
    if _budget[0] != second:
        _budget[0], _budget[1] = second, 0
    if _budget[1] >= REREAD_BUDGET:
        return False
    _budget[1] += 1
    return True
