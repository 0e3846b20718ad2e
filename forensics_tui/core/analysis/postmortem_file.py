"""Where a post-mortem file goes and how it is written: the one writer the CLI and TUI share.

A post-mortem quotes a run's inputs and outputs, so it gets the fixtures' permissions (0700
directory, 0600 file) and goes through the safe writer: no symlink or FIFO planted at
``<root>/.postmortems`` or at the file's name (or its temp name) is ever followed, and a short
write on a full disk raises instead of leaving half a report.
"""

from __future__ import annotations

import re
from pathlib import Path

from forensics_tui.core.storage.safe_read import private_dirs, write_file

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

    Under the root, ``.postmortems`` must be a real directory (made 0700); an explicit
    ``output`` gets its missing parent directories made 0700.  Raises ``OSError``.
    """
    data = text.encode("utf-8")
    if output is None:
        if root is None:
            raise ValueError("save_postmortem needs root or output")
        target = postmortem_path(root, run_id)
        private_dirs(root, POSTMORTEM_DIR)
    else:
        target = Path(output)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return write_file(target, data)
