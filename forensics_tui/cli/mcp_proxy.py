"""``forensics-tui mcp-proxy -- <server command...>``: record an MCP server's tool calls.

Configure the MCP host to start this instead of the server; the proxy starts the server,
relays stdio untouched and writes one fixture per ``tools/call``.  Its stdout carries only
the relayed protocol, so every message of its own goes to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from forensics_tui.capture.sanitize import safe_line
from forensics_tui.cli.common import dir_option

__all__ = ["mcp_proxy"]


@click.command(
    "mcp-proxy",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@dir_option
@click.option("--run-id", default=None, help="Run id (default: $FORENSICS_RUN_ID, else new).")
@click.option("--agent", default=None, help="Agent name for the run manifest.")
@click.option("--task", default=None, help="Task name for the run manifest.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def mcp_proxy(
    root: Path, run_id: str | None, agent: str | None, task: str | None, command: tuple[str, ...]
) -> None:
    """Run an MCP stdio server behind a recording proxy: mcp-proxy [--dir D] -- CMD [ARGS...]."""
    from forensics_tui.capture import Recorder
    from forensics_tui.integrations.mcp_proxy import run_proxy

    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise click.UsageError("give the MCP server command after --")
    recorder = Recorder(root, run_id, agent=agent or "mcp-proxy", task=task)
    try:
        code = run_proxy(command, recorder)
    except FileNotFoundError as exc:
        click.echo(safe_line(f"Error: {exc}", 1000), err=True)
        sys.exit(1)
    sys.exit(code)
