"""``forensics-tui replay RUN_ID``: print a run's tool-call chain like the legacy snippet."""

from __future__ import annotations

from pathlib import Path

import click

from forensics_tui.cli.common import dir_option, fail

__all__ = ["replay_cmd"]


@click.command("replay")
@click.argument("run_id")
@click.option("--tool", default=None, help="Only calls of this tool.")
@dir_option
def replay_cmd(root: Path, run_id: str, tool: str | None) -> None:
    """Print RUN_ID's tool-call chain: status, input and output of every call."""
    from forensics_tui.capture import replay

    run_dir = root / run_id
    if "/" in run_id or run_id in ("", ".", "..") or not run_dir.is_dir():
        fail(f"no run {run_id!r} under {root}")
    replay(run_id, tool, root=root)
