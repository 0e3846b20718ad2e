"""``forensics-tui ship``: publish this host's fixture root to a NATS JetStream fleet stream.

Run one per host, next to the agents; it only reads the root, so the agents never wait on the
network.  Credentials come from ``--creds``/``--tls-ca`` or the environment and are never
printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from pathlib import Path

import click

from forensics_tui.cli.common import dir_option, fail
from forensics_tui.core.sanitize import safe_line

__all__ = ["ship_cmd"]


@click.command("ship")
@click.option(
    "--nats",
    "url",
    required=True,
    envvar="FORENSICS_NATS_URL",
    help="NATS server, nats://HOST:PORT[/STREAM] (or $FORENSICS_NATS_URL).",
)
@click.option(
    "--host", "host", default=None, help="Name of this host in the fleet (default: the hostname)."
)
@click.option(
    "--creds",
    default=None,
    type=click.Path(dir_okay=False),
    help="NATS credentials file (or $FORENSICS_NATS_CREDS); never logged.",
)
@click.option(
    "--tls-ca",
    default=None,
    type=click.Path(dir_okay=False),
    help="CA bundle for a TLS server (or $FORENSICS_NATS_TLS_CA).",
)
@click.option(
    "--replicas",
    default=1,
    show_default=True,
    type=click.IntRange(1, 5),
    help="Stream replicas when this shipper creates the stream (cluster).",
)
@click.option(
    "--heartbeat",
    "heartbeat_s",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between heartbeats.",
)
@click.option(
    "--no-redact",
    is_flag=True,
    help="Do not redact again before publishing (fixtures are redacted at capture).",
)
@click.option(
    "--once",
    is_flag=True,
    help="Ship what the root holds now, wait for the acknowledgements, and exit.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log connection and publish problems.")
@dir_option
def ship_cmd(
    root: Path,
    url: str,
    host: str | None,
    creds: str | None,
    tls_ca: str | None,
    replicas: int,
    heartbeat_s: float,
    no_redact: bool,
    once: bool,
    verbose: bool,
) -> None:
    """Watch the fixture root and publish every fixture as it lands and as it finishes."""
    from forensics_tui.core.sources import SourceError, SourceSpecError, parse_source
    from forensics_tui.core.sources.nats_conn import NatsOptions, import_nats
    from forensics_tui.core.sources.shipper import Shipper
    from forensics_tui.core.sources.wire import WireError, safe_host

    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR, format="forensics-tui ship: %(message)s"
    )
    try:
        spec = parse_source(url)
        import_nats()
        host = safe_host(host or socket.gethostname())
    except (SourceSpecError, SourceError, WireError) as exc:
        fail(str(exc), 2)
        return
    if spec.kind != "nats":
        fail("--nats takes nats://HOST:PORT[/STREAM]", 2)
    root.mkdir(parents=True, exist_ok=True)
    redactor = None
    if not no_redact:
        from forensics_tui.capture.redact import redactor_from_env

        redactor = redactor_from_env()
    shipper = Shipper(
        root,
        NatsOptions.from_env(spec.url, creds, tls_ca, f"ship-{host}"),
        host=host,
        stream=spec.stream,
        replicas=replicas,
        heartbeat_s=heartbeat_s,
        redactor=redactor,
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        click.echo(safe_line(f"shipping {root} as {host!r} to {spec.label}", 300), err=True)
        await shipper.run(stop, once=once, on_ready=lambda: click.echo("connected", err=True))

    asyncio.run(main())
    stats = shipper.stats
    click.echo(f"stopped: {stats.acked} acknowledged, {len(shipper.backlog)} left", err=True)
