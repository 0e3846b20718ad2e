"""``forensics-tui replay RUN_ID``: print a run's tool-call chain like the legacy snippet."""

from __future__ import annotations

from pathlib import Path

import click

from forensics_tui.cli.common import dir_option, fail, require_root
from forensics_tui.core.sanitize import safe_line
from forensics_tui.core.storage.safe_read import inside_root

__all__ = ["replay_cmd"]


@click.command("replay")
@click.argument("run_id")
@click.option("--tool", default=None, help="Only calls of this tool.")
@dir_option
def replay_cmd(root: Path, run_id: str, tool: str | None) -> None:
    """Print RUN_ID's tool-call chain: status, input and output of every call."""
    from forensics_tui.capture import replay

    require_root(root)
    if "/" in run_id or run_id in ("", ".", "..") or not (root / run_id).is_dir():
        from forensics_tui.cli.common import open_store
        from forensics_tui.core.analysis.naming import RunNameError, resolve_run

        try:  # what the TUI shows: a short id, the compact label
            run_id = resolve_run(open_store(root).runs(), run_id).run_id
        except RunNameError as exc:
            fail(f"{safe_line(str(exc), 200)} under {safe_line(str(root))}")
    if not inside_root(root / run_id, root):
        fail(f"run {safe_line(run_id, 80)!r} is a symlink outside the root; refused")
    replay(run_id, tool, root=root)
