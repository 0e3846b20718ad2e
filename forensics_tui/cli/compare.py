"""``forensics-tui compare RUN_A [RUN_B]``: two runs' call chains aligned, first divergence marked."""

from __future__ import annotations

from pathlib import Path

import click

from forensics_tui.cli._analysis import open_analysis, require_run
from forensics_tui.cli.common import dir_option, echo_json, fail, stdout_console
from forensics_tui.core.analysis.compare import ONLY_A, ONLY_B, SAME, compare_runs
from forensics_tui.core.analysis.engine import AnalysisError
from forensics_tui.core.model import status_icon
from forensics_tui.core.sanitize import safe_line

__all__ = ["compare_cmd"]

STATE_STYLES = {
    SAME: "dim",
    "input changed": "cyan",
    "output changed": "yellow",
    "status changed": "bold red",
    ONLY_A: "magenta",
    ONLY_B: "magenta",
}


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@dir_option
def compare_cmd(root: Path, run_a: str, run_b: str | None, as_json: bool) -> None:
    """Align RUN_A's calls with RUN_B's (default: RUN_A's last known-good run).

    Calls are paired by tool and position, tolerating inserted, skipped and repeated calls.
    Each pair is one of: same, input changed, output changed (shape), status changed
    (status or classification), only in A, only in B.  The first pair that is not `same` is
    the first divergence.  Exit 0 when the runs do not diverge, 1 when they do.
    """
    from rich.text import Text

    analysis = open_analysis(root)
    a = require_run(analysis, run_a).run_id  # any name the TUI shows: a short id, the label
    b = require_run(analysis, run_b).run_id if run_b is not None else None
    try:
        result = compare_runs(analysis, a, b)
    except AnalysisError as exc:
        fail(safe_line(str(exc), 300), 2)
    first = result.first_divergence
    if as_json:
        echo_json(result.to_json())
        raise SystemExit(0 if first is None else 1)
    console = stdout_console()
    head = Text("A ", style="bold")
    head.append(safe_line(result.a, 80))
    head.append("   B ", style="bold")
    head.append(safe_line(result.b, 80))
    console.print(head)
    for pair in result.pairs:
        line = Text("▶ " if pair is first else "  ", style="bold red")
        for side in (pair.a, pair.b):
            if side is None:
                line.append(f"{'':>5} {'':2}{'':<28}")
            else:
                line.append(f"{side.call.seq:>5} {status_icon(side.call.status)} ")
                line.append(f"{safe_line(side.call.tool, 28):<28}")
            line.append("│ ", "dim")
        line.append(pair.state, STATE_STYLES.get(pair.state, ""))
        console.print(line)
    if first is None:
        console.print(Text("No divergence: every call matches.", style="green"))
        raise SystemExit(0)
    tail = Text("First divergence: ", style="bold")
    tail.append(safe_line(f"{first.tool}: {first.why}", 300))
    console.print(tail)
    raise SystemExit(1)
