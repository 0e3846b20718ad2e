"""``forensics-tui postmortem``: an evidence-led post-mortem of one run (Markdown or JSON)."""

from __future__ import annotations

from pathlib import Path

import click

from forensics_tui.cli._analysis import open_run_analysis, require_run
from forensics_tui.cli.common import fail, json_text
from forensics_tui.cli.source_option import source_option
from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.analysis.postmortem import build_postmortem, postmortem_markdown
from forensics_tui.core.analysis.postmortem_file import save_postmortem
from forensics_tui.core.sanitize import safe_line

__all__ = ["postmortem_cmd"]


@click.command("postmortem")
@click.argument("run_id", metavar="[RUN]", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json"]),
    default="md",
    show_default=True,
    help="Markdown for people (a GitHub issue), JSON for machines.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE instead of stdout.",
)
@source_option
def postmortem_cmd(root: Path, run_id: str | None, fmt: str, output: Path | None) -> None:
    """Write the post-mortem of RUN (default: the newest run)."""
    analysis, names = open_run_analysis(root, [run_id] if run_id else [], reexecs=True)
    name = names[0] if names else _newest(analysis)
    report = build_postmortem(analysis, name)
    text = json_text(report) + "\n" if fmt == "json" else postmortem_markdown(report)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        save_postmortem(text, output=output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    click.echo(
        f"post-mortem of run {safe_line(name, 80)} written to {safe_line(str(output))}",
        err=True,
    )


def _newest(analysis: Analysis) -> str:
    run = require_run(analysis, None)  # the newest agent run; an empty root exits 2
    return str(run.run_id)
