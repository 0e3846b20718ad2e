"""``forensics-tui diff``: one call against its last known-good match, with a verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from forensics_tui.cli._analysis import open_analysis, open_run_analysis, require_run
from forensics_tui.cli.common import echo_json, fail, stdout_console
from forensics_tui.cli.source_option import source_option
from forensics_tui.core.analysis.diff import diff_line_style
from forensics_tui.core.analysis.engine import AnalysisError
from forensics_tui.core.sanitize import safe_line

__all__ = ["diff_cmd"]


@click.command("diff")
@click.option(
    "--run", "run_id", default=None, help="Run of the call (default: the newest agent run)."
)
@click.option("--tool", default=None, help="Tool name of the call, as in the fixture.")
@click.option(
    "--index",
    "--seq",
    "seq",
    type=click.IntRange(min=1),
    default=None,
    help=(
        "Sequence number of the call in its run: the #N the TUI shows "
        "(default: the first failing or flagged call, of --tool if given)."
    ),
)
@click.option(
    "--against",
    metavar="RUN",
    default=None,
    help="Compare with the same call in RUN instead of the last known-good one.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@source_option
def diff_cmd(
    root: Path,
    run_id: str | None,
    tool: str | None,
    seq: int | None,
    against: str | None,
    as_json: bool,
) -> None:
    """Diff a call against its baseline: the same call in its last known-good run.

    The call is #N (--index) of the run, else the first failing or flagged call (of --tool).
    Prints why that baseline, the changed output fields (- old, + new), whether the input
    changed, and a one-line root cause: an upstream dependency issue (same input, different
    answer), the agent's own input, or a transient failure.  Volatile fields (timestamps,
    request ids) are ignored.  Exit 0 with a diff, 1 when there is nothing to compare with,
    2 for an unknown run or call.
    """
    if run_id is None and against is not None:
        analysis = open_analysis(root)
        run = require_run(analysis, run_id)
        against = require_run(analysis, against).run_id
    else:  # from the analysis checkpoints when they hold: a big root is not re-read
        names = [n for n in (run_id, against) if n is not None]
        analysis, ids = open_run_analysis(root, names)
        run = analysis.store.run(ids[0]) if ids else require_run(analysis, None)
        against = ids[1] if against is not None else None
    call = _pick_call(analysis, run, tool, seq)
    try:
        result = analysis.diff(call, against=against)
    except AnalysisError as exc:
        fail(safe_line(str(exc), 300))
    if as_json:
        echo_json(result.to_json())
        return
    from rich.text import Text

    console = stdout_console()
    for line in result.text_lines():
        console.print(Text(line, style=diff_line_style(line)))


def _pick_call(analysis: Any, run: Any, tool: str | None, seq: int | None) -> Any:
    calls = [c for c in run.calls if not c.deleted]
    name = safe_line(run.run_id, 80)
    if seq is not None:
        call = next((c for c in calls if c.seq == seq), None)
        if call is None:
            fail(f"run {name} has no call #{seq} (its calls: {_listing(calls)})", 2)
        if tool is not None and call.tool != tool:
            fail(
                f"call #{seq} of run {name} is {safe_line(call.tool, 80)}, "
                f"not {safe_line(tool, 80)}",
                2,
            )
        return call
    flagged = analysis.flagged_call(run.run_id, tool)
    if flagged is not None:
        return flagged.call
    if tool is None:
        fail(f"run {name} has no failing or flagged call; name one with --tool or --index", 2)
    call = next((c for c in calls if c.tool == tool), None)
    if call is None:
        fail(f"run {name} has no call of {safe_line(tool, 80)} (its calls: {_listing(calls)})", 2)
    return call


def _listing(calls: list[Any]) -> str:
    text = ", ".join(f"#{c.seq} {c.tool}" for c in calls[:20]) or "none"
    more = f" and {len(calls) - 20} more" if len(calls) > 20 else ""
    return safe_line(text + more, 300)
