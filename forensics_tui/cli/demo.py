"""``forensics-tui demo``: a realistic agent run with failures, live, on an embedded default.

Starts the fault-injecting demo service on 127.0.0.1, writes a history of runs that covers
every silent failure, then writes the latest run live while the TUI watches.  The service stays
up while the TUI is open, and the demo allows its own address and supplies its own token so its
fixtures re-execute out of the box.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import click

from forensics_tui.capture.sanitize import safe_line
from forensics_tui.cli.common import get_root
from forensics_tui.core.model import STATUS_ICONS

__all__ = ["demo_cmd"]


def _pick_root(ctx: click.Context, explicit: Path | None) -> Path:
    named = (
        explicit or ctx.find_root().params.get("root") or os.environ.get("FORENSICS_FIXTURE_DIR")
    )
    if named:
        return get_root(ctx, named)
    return Path(tempfile.mkdtemp(prefix="forensics-demo-"))


def _allow_service(service_address: str, token: str) -> None:
    """Let re-execution reach the demo service with the demo's token, in this process only."""
    allowed = [h for h in os.environ.get("FORENSICS_REEXEC_ALLOW_HOSTS", "").split(",") if h]
    if service_address not in allowed:
        allowed.append(service_address)
    os.environ["FORENSICS_REEXEC_ALLOW_HOSTS"] = ",".join(allowed)
    os.environ["FORENSICS_SECRET_AUTHORIZATION"] = f"Bearer {token}"


def _wait_for_first_call(run_dir: Path, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if run_dir.is_dir() and any(
            p.suffix == ".json" and p.name[0].isdigit() for p in run_dir.iterdir()
        ):
            return
        time.sleep(0.02)


@click.command("demo")
@click.option(
    "--dir",
    "dir_",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the demo fixtures here (default: a fresh temporary folder).",
)
@click.option("--no-tui", is_flag=True, help="Run the agent and print calls; do not open the TUI.")
@click.option(
    "--think",
    type=click.FloatRange(min=0),
    default=0.8,
    show_default=True,
    help="Seconds the live run waits between tool calls.",
)
@click.option(
    "--fleet",
    is_flag=True,
    help="Many hosts: a local NATS server, three hosts with their own agents and shippers, "
    "and the fleet view.",
)
@click.option(
    "--silent-after",
    type=click.FloatRange(min=1),
    default=10.0,
    show_default=True,
    help="With --fleet: seconds before a quiet host is flagged silent.",
)
@click.pass_context
def demo_cmd(
    ctx: click.Context,
    dir_: Path | None,
    no_tui: bool,
    think: float,
    fleet: bool,
    silent_after: float,
) -> None:
    """Run a realistic agent with failures against a local service and watch it live."""
    if fleet:
        from forensics_tui.cli.demo_fleet import run_fleet_demo

        interactive = not no_tui and sys.stdin.isatty() and sys.stdout.isatty()
        run_fleet_demo(interactive, think if interactive else 0.0, silent_after)
        return
    from forensics_tui.demo.scenario import HISTORY, live_recorder, run_history, run_live
    from forensics_tui.demo.service import DemoService

    root = _pick_root(ctx, dir_)
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise click.ClickException(f"cannot create {root}: {exc.strerror or exc}") from None
    interactive = not no_tui and sys.stdin.isatty() and sys.stdout.isatty()

    service = DemoService().start()
    _allow_service(f"127.0.0.1:{service.port}", service.token)
    click.echo(f"fixture root: {root}", err=True)
    click.echo(f"demo service: {service.base_url}", err=True)
    click.echo(f"writing {len(HISTORY)} earlier runs of sync-inventory…", err=True)

    def on_run(run_id: str, label: str, outcome: str) -> None:
        click.echo(f"  {run_id}  {outcome:<6}  {label}", err=True)

    run_history(service, root, on_run=on_run)

    if not interactive:
        click.echo("live run:", err=True)

        def on_call(tool: str, status: str) -> None:
            icon = STATUS_ICONS.get(status, "?")
            click.echo(f"  {icon} {safe_line(tool)} ({status})")

        run_id = run_live(service, root, think_s=min(think, 0.2), latency_s=0.05, on_call=on_call)
        click.echo(f"latest run: {run_id}", err=True)
        click.echo(
            f"explore it:  forensics-tui --dir {root}\n"
            f"             forensics-tui check --dir {root}",
            err=True,
        )
        service.stop()
        return

    from forensics_tui.cli.tui import open_tui

    recorder = live_recorder(root)
    live = threading.Thread(
        target=run_live,
        args=(service, root),
        kwargs={"think_s": think, "recorder": recorder},
        daemon=True,
    )
    live.start()
    _wait_for_first_call(recorder.run_dir)  # so the TUI opens on the live run, following it
    try:
        open_tui(str(root))
    finally:
        service.stop()
