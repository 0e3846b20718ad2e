"""``forensics-tui check``: the CI gate (exit 0 clean, 1 problems found, 2 usage)."""

from __future__ import annotations

from pathlib import Path

import click

from forensics_tui.cli._analysis import finding_text, open_run_analysis
from forensics_tui.cli.common import echo_json, fail, stdout_console
from forensics_tui.cli.source_option import source_option
from forensics_tui.cli.watch import alert_option
from forensics_tui.core.analysis.check import CheckError, check_runs, parse_kinds
from forensics_tui.core.sanitize import safe_line

__all__ = ["check_cmd"]


@click.command("check")
@click.argument("runs", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--fail-on",
    default=None,
    metavar="KIND,KIND",
    help=(
        "Finding kinds that fail the check (default: all): auth_expiry, soft_error, "
        "schema_drift, partial_step, rate_limited, error, timeout, unreachable, auth, "
        "upstream. Failed calls and broken fixture files always fail."
    ),
)
@alert_option
@source_option
def check_cmd(
    root: Path,
    runs: tuple[str, ...],
    as_json: bool,
    fail_on: str | None,
    alert_url: str | None = None,
    alert_dry_run: bool = False,
) -> None:
    """Check RUNS (default: the newest agent run) for failures and silent failures; for CI.

    Gates on the run's outcome, the one `runs` shows: exit 0 for ok (or a live run with
    nothing wrong yet); 1 when a run failed, silently failed (a failed call, a broken fixture
    file or a finding of the --fail-on kinds, each printed with its evidence), is incomplete
    or empty; 2 for an unknown run or an empty fixture root.  RUN may be any name the TUI
    shows (a short id, the compact label).  Calls still pending do not fail a live run
    unless stale.
    """
    try:
        kinds = parse_kinds(fail_on)
    except CheckError as exc:
        fail(str(exc), 2)
    # alerts read patterns, which need every run: no checkpoint shortcut then
    analysis, names = open_run_analysis(root, runs, whole=bool(alert_url))
    try:
        report = check_runs(analysis, names, fail_on=kinds)
    except CheckError as exc:
        fail(safe_line(str(exc), 300), 2)
    if as_json:
        echo_json(report.to_json())
    else:
        from rich.text import Text

        console = stdout_console()
        for result in report.runs:
            head = Text("✓ " if result.ok else "✗ ", style="green" if result.ok else "bold red")
            head.append(f"run {safe_line(result.run_id, 80)}: ")
            problems = len(result.findings) + len(result.broken) + len(result.run_problems)
            head.append(result.outcome, "green" if result.ok else "bold red")
            if result.kind == "reexec":
                head.append(" (↻ re-execution)", "cyan")
            if not result.ok:
                head.append(f", {problems} problem(s)")
            console.print(head)
            for problem in result.run_problems:
                console.print(Text(f"  run           {safe_line(problem, 200)}", "red"))
            for finding in result.findings:
                console.print(finding_text(finding))
            for broken in result.broken:
                line = Text("  broken        ", style="bright_red")
                line.append(safe_line(Path(broken["path"]).name, 80), "bold")
                line.append(f"  {safe_line(broken['problem'], 200)}")
                console.print(line)
    if alert_url:
        from forensics_tui.cli.watch import send_alerts

        checked = [r.run_id for r in report.runs]
        if not send_alerts(analysis, alert_url, runs=checked, dry_run=alert_dry_run, err=as_json):
            raise SystemExit(1)
    raise SystemExit(report.exit_code)
