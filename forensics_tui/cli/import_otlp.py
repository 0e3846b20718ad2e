"""``forensics-tui import-otlp FILE``: turn an OTLP JSON trace export into fixtures."""

from __future__ import annotations

from pathlib import Path

import click

from forensics_tui.cli.common import dir_option
from forensics_tui.core.sanitize import safe_line

__all__ = ["import_otlp_cmd"]


@click.command("import-otlp")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--run-id", default=None, help="Put every tool span in this run (default: per trace)."
)
@dir_option
def import_otlp_cmd(file: Path, run_id: str | None, root: Path) -> None:
    """Import the GenAI tool spans of an OTLP JSON export (file or JSON Lines) as fixtures."""
    from forensics_tui.integrations.otlp_json import import_otlp

    if not file.is_file():
        raise click.ClickException(safe_line(f"no such file: {file}"))
    try:
        summary = import_otlp(file, root, run_id=run_id)
    except (UnicodeDecodeError, ValueError) as exc:
        message = f"{file} is not an OTLP JSON export: {exc}"
        raise click.ClickException(safe_line(message, 500)) from None
    except OSError as exc:
        raise click.ClickException(
            safe_line(f"cannot read {file}: {exc.strerror or exc}")
        ) from None
    # Run ids come from the export's trace ids: untrusted, so they are shown escaped.
    runs = ", ".join(f"{rid} ({n})" for rid, n in sorted(summary.runs.items())) or "none"
    line = f"{summary.written} tool call(s) from {summary.spans} span(s) written to {root}; runs: {runs}"
    click.echo(safe_line(line, 2000))
    if summary.already:
        click.echo(f"{summary.already} tool call(s) were already imported (skipped)")
    if summary.spans and not summary.written and not summary.already:
        click.echo(
            "no span was a recognised tool call (see the README's Capture section)", err=True
        )
