"""Live latency on a real terminal: ``os.replace`` of a fixture -> its row visible in tmux.

Runs forensics-tui in tmux (120x36) over a live run, then atomically writes fixtures with a
unique tool name and polls ``capture-pane`` until the name is on screen.  The captures go through
one tmux control-mode client (``tmux -C``, no output, read-only, not sizing the window) instead
of a new ``tmux`` process per look: a look costs ~0.3 ms instead of ~5 ms, so the resolution
is finer and the benchmark no longer burns a core spawning processes next to the app it
measures (on a 2-core machine that skewed both tools).  Two rates: one
landing per second (``--rate 1``), and probes measured while a background writer lands 200
fixtures per second into another live run of the same root (``--rate 200``: the store, the
watcher and the analysis take the load while the probe run stays on screen).  The first landings after start are
reported on their own (a warm-up spike shows there), and the app's CPU use is measured over
10 s of idling afterwards.  With ``--toolong PATH`` the same is done, in the same run, with
Toolong 1.5 tailing a log file (install it in its own virtualenv: it pins an old Textual).

    python benchmarks/bench_live_latency.py [--n 40] [--rate 1|200|both] [--toolong /tmp/tl/bin/tl]
        [--before /tmp/main-tree]  # e.g. git archive main | tar -x -C /tmp/main-tree
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUN = "20260310_120000"
BULK_RUN = "20260310_110000"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def start(command: str, cols: int = 120, rows: int = 36) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    for _attempt in range(5):  # a tmux server that is just exiting refuses new sessions
        done = subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", str(cols), "-y", str(rows), command]
        )
        if done.returncode == 0:
            return name
        time.sleep(0.5)
    raise RuntimeError("tmux new-session failed")


class Pane:
    """``capture-pane`` over one persistent tmux control-mode connection."""

    def __init__(self, session: str) -> None:
        self.session = session
        self.proc = subprocess.Popen(
            ["tmux", "-C", "attach-session", "-t", session, "-f", CLIENT_FLAGS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def text(self) -> str:
        """The pane's visible text now."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"capture-pane -p -t {self.session}\n")
        self.proc.stdin.flush()
        lines: list[str] = []
        inside = False
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("tmux control client ended")
            if not inside:
                inside = line.startswith("%begin ")  # notifications outside blocks: skipped
                continue
            if line.startswith(("%end ", "%error ")):
                return "".join(lines)
            lines.append(line)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


CLIENT_FLAGS = "no-output,read-only,ignore-size"


def wait_screen(pane: Pane, needle: str, timeout: float = 30.0) -> float:
    start_t = time.perf_counter()
    while time.perf_counter() - start_t < timeout:
        if needle in pane.text():
            return time.perf_counter()
        time.sleep(0.001)
    raise TimeoutError(needle)


def fixture(seq: int, tool: str, run: str = RUN) -> dict:
    return {
        "format": 1, "run_id": run, "call_id": f"{run}-{seq:06d}", "seq": seq, "tool": tool,
        "status": "ok", "input": {"n": seq}, "output": {"ok": True},
        "error": None, "ts": f"2026-03-10T12:{seq // 60 % 60:02d}:{seq % 60:02d}+00:00",
        "ended_at": None, "duration_ms": 1.0, "replay": None, "redacted": [], "meta": {},
    }  # fmt: skip


def cpu_seconds(session: str) -> float:
    """User + system CPU seconds of the pane's process (``exec``: the app itself)."""
    pid = tmux("list-panes", "-t", session, "-F", "#{pane_pid}").split()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Busy:
    """CPU % of one core the app used from now until :meth:`percent` (while landings arrive)."""

    def __init__(self, session: str) -> None:
        self.session = session
        self.cpu, self.t = cpu_seconds(session), time.perf_counter()

    def percent(self) -> float:
        used = cpu_seconds(self.session) - self.cpu
        return used / (time.perf_counter() - self.t) * 100


def idle_cpu(session: str, seconds: float = 10.0) -> float:
    """Percent of one core the app uses while nothing lands."""
    time.sleep(2.0)  # let the last repaint and any analysis finish
    before = cpu_seconds(session)
    time.sleep(seconds)
    return (cpu_seconds(session) - before) / seconds * 100


class Background:
    """Writes ``rate`` items per second until stopped (the 200/s load)."""

    def __init__(self, rate: int, write: Callable[[int], None]) -> None:
        self.rate, self.write = rate, write
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i, start = 0, time.perf_counter()
        while not self.stop.is_set():
            self.write(i)
            i += 1
            delay = start + i / self.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)

    def __enter__(self) -> Background:
        if self.rate:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.rate:
            self.thread.join()


Result = tuple[list[float], float, float]
"""Latencies (ms), CPU % of one core while landings arrive, CPU % idle afterwards."""


def bench_forensics(n: int, rate: int, tree: Path = ROOT) -> Result:
    root = Path(tempfile.mkdtemp(prefix="ftui-bench-")) / "fixtures"
    run_dir = root / RUN
    run_dir.mkdir(parents=True)
    manifest = {"format": 1, "run_id": RUN, "started_at": "2026-03-10T12:00:00+00:00",
                "status": "running", "host": socket.gethostname(), "pid": os.getpid()}  # fmt: skip
    (run_dir / "run.json").write_text(json.dumps(manifest))
    (run_dir / "000001_warmup.json").write_text(json.dumps(fixture(1, "warmup")))
    bulk_dir = root / BULK_RUN
    bulk_dir.mkdir()
    older = {**manifest, "run_id": BULK_RUN, "started_at": "2026-03-10T11:00:00+00:00"}
    (bulk_dir / "run.json").write_text(json.dumps(older))
    env = f"PYTHONPATH={tree} XDG_CONFIG_HOME={root.parent / 'cfg'} TERM=xterm-256color"
    session = start(f"cd {tree} && exec env {env} {sys.executable} -m forensics_tui --dir {root}")
    seq = iter(range(2, 10**9))
    lock = threading.Lock()

    def land(tool: str, folder: Path = run_dir) -> None:
        with lock:
            number = next(seq)
        tmp = folder / f".{number:06d}.tmp"
        tmp.write_text(json.dumps(fixture(number, tool, folder.name)))
        os.replace(tmp, folder / f"{number:06d}_{tool}.json")

    samples: list[float] = []
    pane = Pane(session)
    try:
        wait_screen(pane, "warmup")
        time.sleep(1.0)
        busy = Busy(session)
        with Background(rate if rate > 1 else 0, lambda i: land(f"bulk{i:06d}", bulk_dir)):
            for i in range(n):
                tool = f"probe{i:04d}"
                t0 = time.perf_counter()
                land(tool)
                samples.append((wait_screen(pane, tool) - t0) * 1000)
                time.sleep(1.0 if rate <= 1 else 0.25)
        busy_cpu = busy.percent()
        cpu = idle_cpu(session)
    finally:
        pane.close()
        tmux("kill-session", "-t", session)
        shutil.rmtree(root.parent, ignore_errors=True)
    return samples, busy_cpu, cpu


def bench_toolong(tl: str, n: int, rate: int) -> Result:
    folder = Path(tempfile.mkdtemp(prefix="toolong-bench-"))
    log = folder / "app.log"
    log.write_text("warmup line\n")
    bulk = folder / "bulk.log"
    bulk.write_text("bulk start\n")
    session = start(f"exec {tl} {log} {bulk}")  # two tabs: the bulk one is tailed too
    samples: list[float] = []
    lock = threading.Lock()
    handle = log.open("a")
    bulk_handle = bulk.open("a")

    def line(text: str, out: Any = handle) -> None:
        with lock:
            out.write(f"2026-03-10 12:00:00 INFO {text}\n")
            out.flush()

    pane = Pane(session)
    try:
        wait_screen(pane, "warmup")
        time.sleep(1.0)
        busy = Busy(session)
        with Background(rate if rate > 1 else 0, lambda i: line(f"bulk{i:06d}", bulk_handle)):
            for i in range(n):
                marker = f"probe{i:04d}"
                t0 = time.perf_counter()
                line(marker)
                samples.append((wait_screen(pane, marker) - t0) * 1000)
                time.sleep(1.0 if rate <= 1 else 0.25)
        busy_cpu = busy.percent()
        cpu = idle_cpu(session)
    finally:
        pane.close()
        handle.close()
        bulk_handle.close()
        tmux("kill-session", "-t", session)
        shutil.rmtree(folder, ignore_errors=True)
    return samples, busy_cpu, cpu


def report(name: str, result: Result, baseline: Result | None = None) -> None:
    samples, busy, cpu = result
    qs = statistics.quantiles(samples, n=20)
    p50 = statistics.median(samples)
    line = (
        f"{name:<22} n={len(samples):<4} p50={p50:6.1f} ms  p95={qs[18]:6.1f} ms  "
        f"max={max(samples):6.1f} ms  first 5: {' '.join(f'{x:.0f}' for x in samples[:5])} ms  "
        f"CPU {busy:4.1f} % busy, {cpu:4.1f} % idle"
    )
    if baseline is not None:
        base_p95 = statistics.quantiles(baseline[0], n=20)[18]
        line += (
            f"  ({p50 / statistics.median(baseline[0]):.2f}x Toolong p50, "
            f"{qs[18] / base_p95:.2f}x p95)"
        )
    print(f"{line}  [load {os.getloadavg()[0]:.2f}]", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--rate", choices=("1", "200", "both"), default="both")
    parser.add_argument("--toolong", default=None, help="path to Toolong 1.5's `tl`")
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        help="another forensics-tui source tree (e.g. `git archive` of main) measured in the run",
    )
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("tmux is required")
    rates = (1, 200) if args.rate == "both" else (int(args.rate),)
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    for rate in rates:
        baseline = bench_toolong(args.toolong, args.n, rate) if args.toolong else None
        if baseline is not None:
            report(f"toolong 1.5 @{rate}/s", baseline)
        if args.before is not None:
            report(f"before @{rate}/s", bench_forensics(args.n, rate, args.before), baseline)
        report(f"forensics-tui @{rate}/s", bench_forensics(args.n, rate), baseline)
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
