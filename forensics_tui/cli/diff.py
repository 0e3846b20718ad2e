"""``forensics-tui diff``: one call against its last known-good match, with a verdict."""

from __future__ import annotations

from pathlib import Path

import click

from forensics_tui.cli._analysis import open_analysis, require_run
from forensics_tui.cli.common import echo_json, fail, stdout_console
from forensics_tui.cli.source_option import source_option
from forensics_tui.core.analysis.diff import diff_line_style
from forensics_tui.core.analysis.engine import AnalysisError
from forensics_tui.core.sanitize import safe_line

__all__ = ["diff_cmd"]


@click.command("diff")
@click.option("--run", "run_id", default=None, help="Run id of the call (default: the newest run).")
@click.option("--tool", required=True, help="Tool name of the call, as in the fixture.")
@click.option(
    "--index",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Which call of the tool within the run (2 = its second call).",
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
    root: Path, run_id: str | None, tool: str, index: int, against: str | None, as_json: bool
) -> None:
    """Diff a call against the same call in its last known-good run.

    Prints the changed output fields (- old, + new), whether the input changed, and a one-line
    root cause: an upstream dependency issue (same input, different answer), the agent's own
    input, or a transient failure.  Volatile fields (timestamps, request ids) are ignored.
    Exit 0 with a diff, 1 when there is nothing to compare with, 2 for an unknown run.
    """
    analysis = open_analysis(root)
    run = require_run(analysis, run_id)
    call = next(
        (c for c in run.calls if c.tool == tool and c.occurrence == index and not c.deleted),
        None,
    )
    if call is None:
        counts: dict[str, int] = {}
        for c in run.calls:
            if not c.deleted:
                counts[c.tool] = counts.get(c.tool, 0) + 1
        tools = ", ".join(f"{t} ×{n}" if n > 1 else t for t, n in counts.items()) or "none"
        fail(
            f"run {safe_line(run.run_id, 80)} has no call #{index} of {safe_line(tool, 80)} "
            f"(its calls: {safe_line(tools, 200)})",
            2,
        )
    if against is not None and analysis.store.run(against) is None:
        fail(f"unknown run {safe_line(against, 80)!r} under {analysis.store.root}", 2)
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
