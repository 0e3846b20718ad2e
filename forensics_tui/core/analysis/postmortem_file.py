"""Where a post-mortem file goes and how it is written: the one writer the CLI and TUI share.

The file lands atomically (a temp file in the same directory, then ``os.replace``) with the
fixtures' permissions (0700 directory, 0600 file), so a reader never sees half a report.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["POSTMORTEM_DIR", "postmortem_path", "save_postmortem"]

POSTMORTEM_DIR = ".postmortems"
"""Under the fixture root; a dot-directory, so the store and the watcher ignore it."""


def postmortem_path(root: Path, run_id: str) -> Path:
    """``<root>/.postmortems/<run_id>.md`` with the run id made safe as a file name."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", run_id).lstrip(".") or "run"
    return Path(root) / POSTMORTEM_DIR / f"{name[:200]}.md"


def save_postmortem(
    text: str, *, root: Path | None = None, run_id: str = "", output: Path | None = None
) -> Path:
    """Write ``text`` to ``output``, else to ``postmortem_path(root, run_id)``; return the path.

    Raises ``OSError`` (an unwritable root) and ``ValueError`` (neither root nor output).
    """
    if output is None:
        if root is None:
            raise ValueError("save_postmortem needs root or output")
        target = postmortem_path(root, run_id)
    else:
        target = Path(output)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
