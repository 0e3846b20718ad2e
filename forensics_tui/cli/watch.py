"""``forensics-tui watch --alert URL``: headless, for a service manager; and ``check --alert``.

``watch`` follows the fixture root with the same watcher as the TUI and, when things settle,
sends one alert per newly promoted failure pattern and per run that started after the watch and
ended failing (see :mod:`forensics_tui.core.alerts`).  It runs until interrupted (SIGINT or
SIGTERM); ``--once`` checks and exits.
"""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from forensics_tui.cli._analysis import open_analysis
from forensics_tui.cli.common import dir_option, fail, json_text
from forensics_tui.core.alerts import AlertError, check_url, deliver
from forensics_tui.core.sanitize import safe_line

__all__ = ["alert_option", "send_alerts", "watch_cmd"]

RESCAN_S = 60.0


def send_alerts(
    analysis: Any,
    url: str,
    *,
    runs: Iterable[str] = (),
    min_runs: int | None = None,
    dry_run: bool = False,
    err: bool = False,
    shown: set[str] | None = None,
) -> bool:
    """Send (or with ``dry_run`` print, on stderr when ``err``) the new alerts; one line each
    on stderr.  False (after a clear one-line error) when the endpoint refused or the state
    cannot be kept."""
    try:
        alerts = deliver(url, analysis, runs=runs, min_runs=min_runs, dry_run=dry_run)
    except AlertError as exc:
        click.echo(f"forensics-tui: alert not sent: {safe_line(str(exc), 400)}", err=True)
        return False
    if dry_run and shown is not None:  # a dry-run watch prints each message once
        alerts = [a for a in alerts if a.key not in shown]
        shown.update(a.key for a in alerts)
    for alert in alerts:
        if dry_run:
            click.echo(json_text(alert.payload), err=err)
        else:
            click.echo(f"alert sent: {safe_line(alert.key, 200)}", err=True)
    if dry_run and not alerts and shown is None:
        click.echo("nothing new to alert", err=True)
    return True


def alert_option(func: Any) -> Any:
    """``--alert URL`` and ``--dry-run`` for a command that alerts."""
    func = click.option(
        "--dry-run",
        "alert_dry_run",
        is_flag=True,
        help="With --alert: print what would be sent; send and record nothing.",
    )(func)
    return click.option(
        "--alert",
        "alert_url",
        metavar="URL",
        default=None,
        help="POST one JSON message (Slack-compatible) per newly promoted pattern or newly "
        "failing run to URL; never twice for the same one (state in <root>/.alerts.json).",
    )(func)


def _batches(root: Path, stop: threading.Event, out: queue.Queue[Any]) -> None:
    from forensics_tui.core.storage.watcher import watch_root_sync

    for batch in watch_root_sync(root, stop_event=stop):
        out.put(batch)


@click.command("watch")
@alert_option
@click.option(
    "--min-runs",
    type=click.IntRange(min=1),
    default=None,
    help="Promote a failure seen in this many runs (default: config [patterns] min_runs, 3).",
)
@click.option(
    "--settle",
    type=click.FloatRange(min=0.05),
    default=2.0,
    show_default=True,
    help="Seconds of quiet after changes before alerts are evaluated.",
)
@click.option("--once", is_flag=True, help="Evaluate once (every run counts as new) and exit.")
@dir_option
def watch_cmd(
    root: Path,
    alert_url: str | None,
    alert_dry_run: bool,
    min_runs: int | None,
    settle: float,
    once: bool,
) -> None:
    """Follow the fixture root headless and alert on new promotions and failing runs.

    Runs already there when the watch starts are not alerted as failing runs (use `check
    --alert` for those); promoted patterns not alerted before are.  Stop with Ctrl+C or SIGTERM.
    """
    if not alert_url:
        fail("watch needs --alert URL (it has nothing else to do headless)", 2)
        return
    try:
        check_url(alert_url)
    except AlertError as exc:
        fail(str(exc), 2)
    analysis = open_analysis(root)
    store = analysis.store
    if once:
        ok = send_alerts(
            analysis,
            alert_url,
            runs=[r.run_id for r in store.runs()],
            min_runs=min_runs,
            dry_run=alert_dry_run,
        )
        raise SystemExit(0 if ok else 1)
    known = {r.run_id for r in store.runs()}
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    batches: queue.Queue[Any] = queue.Queue()
    threading.Thread(target=_batches, args=(root, stop, batches), daemon=True).start()
    click.echo(f"watching {safe_line(str(root), 300)}; alerts go to the URL given", err=True)
    shown: set[str] = set()
    send_alerts(analysis, alert_url, min_runs=min_runs, dry_run=alert_dry_run, shown=shown)
    dirty_since: float | None = None
    # The watcher may start a moment after the first scan; a full rescan shortly after start,
    # and then every RESCAN_S, catches anything that landed unseen.
    rescan_at = time.monotonic() + 1.0
    try:
        while not stop.is_set():
            try:
                batch = batches.get(timeout=min(settle, 0.5))
            except queue.Empty:
                batch = None
            if time.monotonic() >= rescan_at:
                rescan_at = time.monotonic() + RESCAN_S
                store.scan()
                dirty_since = dirty_since or time.monotonic() - settle
            if batch is not None:
                if any(kind in ("rescan", "lost") for kind, _ in batch):
                    store.scan()
                else:
                    store.apply_changes(batch)
                dirty_since = time.monotonic()
                continue
            if dirty_since is None or time.monotonic() - dirty_since < settle:
                continue
            dirty_since = None
            new = [r.run_id for r in store.runs() if r.run_id not in known]
            sent = send_alerts(
                analysis, alert_url, runs=new, min_runs=min_runs, dry_run=alert_dry_run, shown=shown
            )
            if sent:
                known.update(r for r in new if not _running(store, r))
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()


def _running(store: Any, run_id: str) -> bool:
    run = store.run(run_id)
    return run is not None and run.is_live
