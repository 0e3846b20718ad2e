"""``forensics-tui export-test CALL`` and ``export-dataset``: failures as tests and data."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from forensics_tui.cli._analysis import open_analysis, require_run
from forensics_tui.cli.common import dir_option, fail
from forensics_tui.core.export import ExportError, dataset_lines, export_test
from forensics_tui.core.sanitize import safe_line

__all__ = ["export_dataset_cmd", "export_test_cmd"]


def _resolve_call(analysis: Any, target: str) -> Any:
    store = analysis.store
    call = store.call(target)
    if call is None and Path(target).is_file():
        call = store.call_by_path(Path(target))
    if call is None:
        fail(
            f"no call {safe_line(target, 120)!r} under {store.root} (a call id or fixture path)", 2
        )
    return call


@click.command("export-test")
@click.argument("call")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The test module to write (default: ./test_<tool>_<seq>.py).",
)
@click.option(
    "--function",
    metavar="MODULE:FUNC",
    default=None,
    help="The function implementing the tool (default: the fixture's python replay target).",
)
@click.option("--force", is_flag=True, help="Overwrite the module and its fixture.")
@dir_option
def export_test_cmd(
    root: Path, call: str, output: Path | None, function: str | None, force: bool
) -> None:
    """Write a pytest module that replays CALL (a call id or fixture path) through your tool.

    The fixture is copied, redacted, next to the module (<module>_fixture.json); volatile
    fields are ignored.  A failing call with a known-good answer for the same step must now
    give that answer; without one the test is xfail (strict) with the verdict until fixed.
    """
    analysis = open_analysis(root)
    found = _resolve_call(analysis, call)
    tool_slug = "".join(ch if ch.isalnum() else "_" for ch in found.tool).strip("_")[:60]
    out = output or Path(f"test_{tool_slug.lower() or 'tool'}_{found.seq}.py")
    try:
        plan = export_test(analysis, found, out, function=function, force=force)
    except ExportError as exc:
        fail(safe_line(str(exc), 400), 1)
    click.echo(f"wrote {safe_line(str(plan.module_path), 300)} ({plan.mode})")
    click.echo(f"wrote {safe_line(str(plan.fixture_path), 300)}")
    if plan.mode == "xfail":
        click.echo(safe_line(f"xfail until fixed: {plan.reason}", 400))
    if "tool_function = None" in plan.module:
        click.echo("note: set tool_function in the module (or pass --function)", err=True)


@click.command("export-dataset")
@click.argument("runs", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl"]),
    default="jsonl",
    show_default=True,
    help="Output format: one JSON object per call.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here instead of stdout.",
)
@dir_option
def export_dataset_cmd(root: Path, runs: tuple[str, ...], fmt: str, output: Path | None) -> None:
    """One line per call of RUNS (default: every agent run): input, output, error, status,
    classification, findings and run labels; redacted.  For evaluation tools."""
    analysis = open_analysis(root)
    names = [require_run(analysis, name).run_id for name in runs]
    try:
        lines = list(dataset_lines(analysis, names))
    except ExportError as exc:
        fail(safe_line(str(exc), 400), 2)
    text = "".join(line + "\n" for line in lines)
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {len(lines)} call(s) to {safe_line(str(output), 300)}", err=True)
