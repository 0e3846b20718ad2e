"""``forensics-tui runs``: every run, newest first, with counts per status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.text import Text

from forensics_tui.cli.common import echo_json, open_store, stdout_console
from forensics_tui.cli.source_option import source_option
from forensics_tui.core.model import STATUS_COLORS, STATUS_ICONS, STATUSES, Run
from forensics_tui.core.sanitize import safe_line

__all__ = ["run_summary", "runs_cmd"]

_RUN_COLORS = {"ok": "green", "failed": "red", "crashed": "bright_red", "running": "cyan"}


def run_summary(run: Run) -> dict[str, Any]:
    """The JSON shape of one run in ``runs --json``."""
    counts = run.counts()
    return {
        "run_id": run.run_id,
        "started_at": run.started_at,
        "status": run.status,
        "calls": sum(counts.values()),
        "counts": counts,
    }


def _status_text(status: str, counts: dict[str, int]) -> Text:
    """The run's own status; an "ok" run with failed, skipped or broken calls says so."""
    if status == "ok" and any(counts.get(s) for s in ("error", "timeout", "skipped", "broken")):
        return Text("ok ⚠", "yellow")
    return Text(status, _RUN_COLORS.get(status, ""))


def _short_time(ts: str | None) -> str:
    """``2026-03-01T09:00:00.123+00:00`` → ``2026-03-01 09:00:00`` (times are UTC)."""
    if not ts:
        return "-"
    return ts.replace("T", " ")[:19]


@click.command("runs")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@source_option
def runs_cmd(root: Path, as_json: bool) -> None:
    """List runs, newest first, with counts per status."""
    store = open_store(root)
    runs = list(reversed(store.runs()))
    if as_json:
        echo_json([run_summary(run) for run in runs])
        return
    from rich.table import Table

    if not runs:
        click.echo(f"no runs under {root}")
        return
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("run", "started", "status", "calls", "counts", "task"):
        table.add_column(column, no_wrap=column != "task")
    for run in runs:
        counts = run.counts()
        badge = Text()
        for status in (*STATUSES, "broken"):
            if counts.get(status):
                badge.append(f"{STATUS_ICONS[status]}{counts[status]} ", STATUS_COLORS[status])
        table.add_row(
            Text(safe_line(run.run_id, 48)),
            Text(safe_line(_short_time(run.started_at), 19)),
            _status_text(run.status, counts),
            str(sum(counts.values())),
            badge,
            Text(safe_line(run.task or "", 30)),
        )
    stdout_console().print(table)
