"""``forensics-tui runs``: every run, newest first, with its outcome and counts per status.

The outcome column is the analysis model's (the one ``check`` gates on and the TUI marks):
``ok``, ``running``, ``silent_failure``, ``failed``, ``incomplete`` or ``empty``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.text import Text

from forensics_tui.cli._analysis import open_analysis
from forensics_tui.cli.common import echo_json, stdout_console
from forensics_tui.cli.source_option import source_option
from forensics_tui.core.model import STATUS_COLORS, STATUS_ICONS, STATUSES, Run
from forensics_tui.core.sanitize import safe_line

__all__ = ["run_summary", "runs_cmd"]

OUTCOME_STYLES = {
    "ok": "green",
    "running": "cyan",
    "silent_failure": "bold yellow",
    "failed": "bold red",
    "incomplete": "magenta",
    "empty": "dim",
}


def run_summary(run: Run, outcome: str | None = None, kind: str | None = None) -> dict[str, Any]:
    """The JSON shape of one run in ``runs --json``: ``status`` is what the run claims,
    ``outcome`` the verdict (what ``check`` gates on), ``kind`` agent/reexec/imported."""
    counts = run.counts()
    return {
        "run_id": run.run_id,
        "started_at": run.started_at,
        "status": run.status,
        "outcome": outcome,
        "kind": kind,
        "calls": sum(counts.values()),
        "counts": counts,
    }


def _short_time(ts: str | None) -> str:
    """``2026-03-01T09:00:00.123+00:00`` → ``2026-03-01 09:00:00`` (times are UTC)."""
    if not ts:
        return "-"
    return ts.replace("T", " ")[:19]


@click.command("runs")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@source_option
def runs_cmd(root: Path, as_json: bool) -> None:
    """List runs, newest first: outcome (what `check` gates on), claimed status, counts."""
    analysis = open_analysis(root)
    analyses = list(reversed(analysis.runs()))
    now_outcome = {ra.run_id: analysis.outcome(ra.run_id) for ra in analyses}
    if as_json:
        echo_json([run_summary(ra.run, now_outcome[ra.run_id], ra.kind) for ra in analyses])
        return
    from rich.table import Table

    if not analyses:
        click.echo(safe_line(f"no runs under {root}"))
        return
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("run", "started", "outcome", "status", "calls", "counts", "task"):
        table.add_column(column, no_wrap=column != "task")
    for ra in analyses:
        run = ra.run
        counts = run.counts()
        badge = Text()
        for status in (*STATUSES, "broken"):
            if counts.get(status):
                badge.append(f"{STATUS_ICONS[status]}{counts[status]} ", STATUS_COLORS[status])
        outcome = now_outcome[ra.run_id]
        task = Text(safe_line(run.task or "", 30))
        if ra.kind == "reexec":
            task = Text("↻ re-execution", "cyan")
        elif ra.kind == "imported":
            task = Text("imported " + safe_line(run.task or "", 30), "dim")
        table.add_row(
            Text(safe_line(run.run_id, 48)),
            Text(safe_line(_short_time(run.started_at), 19)),
            Text(outcome, OUTCOME_STYLES.get(outcome, "")),
            Text(safe_line(run.status, 12), "dim"),
            str(sum(counts.values())),
            badge,
            task,
        )
    stdout_console().print(table)
