"""``forensics-tui patterns``: recurring failure signatures, promoted ones first."""

from __future__ import annotations

from pathlib import Path

import click

from forensics_tui.cli._analysis import open_analysis
from forensics_tui.cli.common import echo_json, stdout_console
from forensics_tui.cli.source_option import source_option
from forensics_tui.core.sanitize import safe_line

__all__ = ["patterns_cmd"]


@click.command("patterns")
@click.option(
    "--min-runs",
    type=click.IntRange(min=1),
    default=None,
    help="Distinct runs needed to promote a signature (default: config, 3).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@source_option
def patterns_cmd(root: Path, min_runs: int | None, as_json: bool) -> None:
    """List failure signatures across runs; promoted (recurring) ones first."""
    analysis = open_analysis(root)
    patterns = analysis.patterns(min_runs)
    if as_json:
        echo_json([p.to_json() for p in patterns])
        return
    if not patterns:
        click.echo("no failures or findings in any run")
        return
    from rich.text import Text

    console = stdout_console()
    for p in patterns:
        line = Text("★ " if p.promoted else "  ", "bold yellow")
        line.append(f"{p.run_count} run(s)  ")
        line.append(safe_line(p.tool, 40), "bold")
        line.append(f"  {p.kind}  ", "red" if p.kind in ("error", "timeout") else "yellow")
        line.append(safe_line(p.message, 160))
        line.append(f"  first {safe_line(p.first_seen, 40)}, last {safe_line(p.last_seen, 40)}, ")
        if p.fixed_since:
            line.append(f"fixed since {safe_line(p.fixed_since, 40)}", "green")
        else:
            line.append("not fixed", "red")
        console.print(line)
