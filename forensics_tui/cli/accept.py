"""``forensics-tui accept``: make a run's (or one tool's) current output shape the new normal."""

from __future__ import annotations

from pathlib import Path

import click

from forensics_tui.cli._analysis import open_analysis, require_run
from forensics_tui.cli.common import dir_option, fail
from forensics_tui.core.analysis.accept import AcceptError
from forensics_tui.core.sanitize import safe_line

__all__ = ["accept_cmd"]


@click.command("accept")
@click.argument("run_id", metavar="RUN")
@click.option("--tool", default=None, help="Accept only this tool's calls in RUN.")
@dir_option
def accept_cmd(root: Path, run_id: str, tool: str | None) -> None:
    """Accept RUN's calls (or --tool's) as known-good: later runs are compared with them."""
    analysis = open_analysis(root)
    run = require_run(analysis, run_id)
    if tool is not None and not any(c.tool == tool for c in run.calls):
        fail(f"run {safe_line(run_id, 80)} has no calls of {safe_line(tool, 80)}", 2)
    try:
        analysis.accept(run.run_id, tool)
    except AcceptError as exc:
        fail(safe_line(str(exc), 300))
    what = f"{safe_line(tool, 80)} calls" if tool else "all calls"
    click.echo(
        f"accepted {what} of run {safe_line(run.run_id, 80)} as known-good "
        f"(ok calls only); later runs are compared with them"
    )
