"""Read a fixture file's bytes without trusting the file system entry.

The implementation is ``forensics_tui.capture.safe_io`` (capture is stdlib-only and must read
and write safely too, so the one safe reader and writer live there); the core and everything
above it import them from here.
"""

from __future__ import annotations

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
    "read_text",
    "write_file",
]
