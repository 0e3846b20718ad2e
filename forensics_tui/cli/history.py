"""``forensics-tui history TOOL``: every occurrence of a call across runs, and its onset."""

from __future__ import annotations

from pathlib import Path

import click

from forensics_tui.cli._analysis import open_analysis, require_run
from forensics_tui.cli.common import dir_option, echo_json, fail, stdout_console
from forensics_tui.core.analysis.history import History, call_history, change_line
from forensics_tui.core.model import STATUS_COLORS, status_icon
from forensics_tui.core.sanitize import safe_line

__all__ = ["history_cmd"]


def _print(history: History) -> None:
    from rich.text import Text

    console = stdout_console()
    onset = history.onset
    console.print(Text(f"History of {safe_line(history.tool, 80)}", style="bold"))
    for occ in history.occurrences:
        call = occ.call
        mark = "▶ " if onset is not None and call.call_id == onset.call.call_id else "  "
        line = Text(mark, style="bold red")
        line.append(f"{safe_line(call.run_id, 40):<40} #{call.seq:<4} ")
        line.append(f"{status_icon(call.status)} {call.status:<8}", STATUS_COLORS.get(call.status))
        line.append(f" {safe_line(occ.kind, 14):<14} in {occ.input_shape or '-':<12}")
        line.append(f" out {occ.output_shape or '-':<12}")
        ms = call.duration_ms
        line.append(f" {ms:>9.1f} ms" if isinstance(ms, int | float) else "")
        console.print(line)
    if onset is None:
        console.print(Text("No current failing streak.", style="green"))
        return
    head = Text("Onset: ", style="bold")
    head.append(f"run {safe_line(onset.run_id, 80)}")
    if onset.previous_run_id is None:
        head.append(" (failing since its first recorded run)")
        console.print(head)
        return
    head.append(f", after run {safe_line(onset.previous_run_id, 80)}")
    console.print(head)
    if not onset.changed:
        console.print("  nothing recorded changed (input, output shape, definition, labels)")
    for change in onset.changed:
        console.print(Text(f"  {change_line(change.to_json())}"))


@click.command("history")
@click.argument("tool")
@click.option("--until", "until", metavar="RUN", help="Stop at this run (default: the newest).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@dir_option
def history_cmd(root: Path, tool: str, until: str | None, as_json: bool) -> None:
    """Every occurrence of TOOL across runs, oldest first, and the onset of its failing streak.

    The onset is the first run of the failing streak that ends at the newest run (or --until),
    with what changed against the run before it: input fields, output shape, the tool's
    definition (where captured) and run labels (agent version, git commit, host, ...).
    Exit 0 when TOOL is not failing now, 1 when it is, 2 when it never ran.
    """
    analysis = open_analysis(root)
    if until is not None:
        until = require_run(analysis, until).run_id
    history = call_history(analysis, tool, until=until)
    if not history.occurrences:
        fail(f"no call of {safe_line(tool, 80)!r} under {root}", 2)
    if as_json:
        echo_json(history.to_json())
    else:
        _print(history)
    raise SystemExit(0 if history.onset is None else 1)
