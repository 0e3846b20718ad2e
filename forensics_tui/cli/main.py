"""The ``forensics-tui`` command group; subcommands are imported lazily so ``--help`` is fast."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from forensics_tui import __version__
from forensics_tui.core.sanitize import safe_line

# name -> "module:attribute"; each helper module defines one click command.
COMMANDS: dict[str, str] = {
    "accept": "forensics_tui.cli.accept:accept_cmd",
    "check": "forensics_tui.cli.check:check_cmd",
    "compare": "forensics_tui.cli.compare:compare_cmd",
    "diff": "forensics_tui.cli.diff:diff_cmd",
    "export-dataset": "forensics_tui.cli.export:export_dataset_cmd",
    "export-test": "forensics_tui.cli.export:export_test_cmd",
    "history": "forensics_tui.cli.history:history_cmd",
    "import-otlp": "forensics_tui.cli.import_otlp:import_otlp_cmd",
    "init-ci": "forensics_tui.cli.init_ci:init_ci_cmd",
    "patterns": "forensics_tui.cli.patterns:patterns_cmd",
    "postmortem": "forensics_tui.cli.postmortem:postmortem_cmd",
    "demo": "forensics_tui.cli.demo:demo_cmd",
    "mcp-proxy": "forensics_tui.cli.mcp_proxy:mcp_proxy",
    "replay": "forensics_tui.cli.replay:replay_cmd",
    "reexec": "forensics_tui.cli.reexec:reexec_command",
    "runs": "forensics_tui.cli.runs:runs_cmd",
    "ship": "forensics_tui.cli.ship:ship_cmd",
    "pull": "forensics_tui.cli.pull:pull_cmd",
    "tail": "forensics_tui.cli.tail:tail_cmd",
    "watch": "forensics_tui.cli.watch:watch_cmd",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Like click's, but a user-facing error is one line that names the tool, the same
        whether a command raised ``ClickException`` or called ``common.fail``."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            exc.show()  # click's usage hint, then the error
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(safe_line(f"forensics-tui: {exc.format_message()}", 1000), err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attr = target.split(":")
        module = importlib.import_module(module_name)
        command: click.Command = getattr(module, attr)
        return command


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", prog_name="forensics-tui")
@click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False),
    default=None,
    help="Fixture root (default: $FORENSICS_FIXTURE_DIR, else the XDG state dir).",
)
@click.option(
    "--source",
    "source_texts",
    multiple=True,
    metavar="SOURCE",
    help="Open the TUI over a source: a path, nats://HOST:PORT[/STREAM] (the fleet view) or "
    "ssh://[USER@]HOST[/ROOT] (repeatable).",
)
@click.option(
    "--silent-after",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="Fleet view: flag a host silent after this many seconds without calls or heartbeats.",
)
@click.pass_context
def cli(
    ctx: click.Context, root: str | None, source_texts: tuple[str, ...], silent_after: float
) -> None:
    """Forensic explorer for AI-agent tool-call fixtures.

    With no command, opens the live TUI over the fixture root (or a fleet --source).
    """
    if ctx.invoked_subcommand is not None:
        return
    if source_texts or os.environ.get("FORENSICS_SOURCE"):
        from forensics_tui.cli.fleet_tui import open_source_tui

        if open_source_tui(source_texts, silent_after):
            return
    from forensics_tui.cli.tui import open_tui

    open_tui(root)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: unexpected errors become one line (traceback with
    ``FORENSICS_DEBUG=1``)."""
    try:
        return cli.main(args=argv, prog_name="forensics-tui")
    except Exception as exc:
        if os.environ.get("FORENSICS_DEBUG"):
            raise
        message = f"forensics-tui: internal error: {type(exc).__name__}: {exc}"
        click.echo(safe_line(message, 1000), err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
