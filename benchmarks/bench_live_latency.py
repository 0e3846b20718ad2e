"""Live latency on a real terminal: ``os.replace`` of a fixture -> its row visible in tmux.

Runs forensics-tui in tmux (120x36) over a live run, then, ~100 times, atomically writes a
fixture with a unique tool name and polls ``tmux capture-pane`` until the name is on screen.
Optionally does the same with Toolong 1.5 tailing a log (``--toolong /path/to/tl``; install it
in its own virtualenv: it pins an old Textual).  Run on demand:

    python benchmarks/bench_live_latency.py [--n 100] [--toolong /tmp/toolong-venv/bin/tl]
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
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = "20260310_120000"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def start(command: str, cols: int = 120, rows: int = 36) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", str(cols), "-y", str(rows), command],
        check=True,
    )
    return name


def wait_screen(session: str, needle: str, timeout: float = 30.0) -> float:
    start_t = time.perf_counter()
    while time.perf_counter() - start_t < timeout:
        if needle in tmux("capture-pane", "-p", "-t", session):
            return time.perf_counter()
        time.sleep(0.001)
    raise TimeoutError(needle)


def fixture(seq: int, tool: str) -> dict:
    return {
        "format": 1, "run_id": RUN, "call_id": f"{RUN}-{seq:06d}", "seq": seq, "tool": tool,
        "status": "ok", "input": {"n": seq}, "output": {"ok": True},
        "error": None, "ts": f"2026-03-10T12:{seq // 60 % 60:02d}:{seq % 60:02d}+00:00",
        "ended_at": None, "duration_ms": 1.0, "replay": None, "redacted": [], "meta": {},
    }  # fmt: skip


def bench_forensics(n: int) -> list[float]:
    root = Path(tempfile.mkdtemp(prefix="ftui-bench-")) / "fixtures"
    run_dir = root / RUN
    run_dir.mkdir(parents=True)
    manifest = {"format": 1, "run_id": RUN, "started_at": "2026-03-10T12:00:00+00:00",
                "status": "running", "host": socket.gethostname(), "pid": os.getpid()}  # fmt: skip
    (run_dir / "run.json").write_text(json.dumps(manifest))
    (run_dir / "000001_warmup.json").write_text(json.dumps(fixture(1, "warmup")))
    env = f"PYTHONPATH={ROOT} XDG_CONFIG_HOME={root.parent / 'cfg'} TERM=xterm-256color"
    session = start(f"cd {ROOT} && exec env {env} {sys.executable} -m forensics_tui --dir {root}")
    samples: list[float] = []
    try:
        wait_screen(session, "warmup")
        time.sleep(1.0)
        for i in range(n):
            seq = i + 2
            tool = f"probe{i:04d}"
            tmp = run_dir / f".{seq:06d}.tmp"
            tmp.write_text(json.dumps(fixture(seq, tool)))
            t0 = time.perf_counter()
            os.replace(tmp, run_dir / f"{seq:06d}_{tool}.json")
            samples.append((wait_screen(session, tool) - t0) * 1000)
            time.sleep(0.05)
    finally:
        tmux("kill-session", "-t", session)
        shutil.rmtree(root.parent, ignore_errors=True)
    return samples


def bench_toolong(tl: str, n: int) -> list[float]:
    folder = Path(tempfile.mkdtemp(prefix="toolong-bench-"))
    log = folder / "app.log"
    log.write_text("warmup line\n")
    session = start(f"exec {tl} {log}")
    samples: list[float] = []
    try:
        wait_screen(session, "warmup")
        time.sleep(1.0)
        with log.open("a") as handle:
            for i in range(n):
                marker = f"probe{i:04d}"
                t0 = time.perf_counter()
                handle.write(f"2026-03-10 12:00:00 INFO {marker}\n")
                handle.flush()
                samples.append((wait_screen(session, marker) - t0) * 1000)
                time.sleep(0.05)
    finally:
        tmux("kill-session", "-t", session)
        shutil.rmtree(folder, ignore_errors=True)
    return samples


def report(name: str, samples: list[float]) -> None:
    qs = statistics.quantiles(samples, n=20)
    print(
        f"{name:<14} n={len(samples):<4} p50={statistics.median(samples):6.1f} ms  "
        f"p95={qs[18]:6.1f} ms  max={max(samples):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--toolong", default=None, help="path to Toolong 1.5's `tl`")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("tmux is required")
    report("forensics-tui", bench_forensics(args.n))
    if args.toolong:
        report("toolong 1.5", bench_toolong(args.toolong, args.n))


if __name__ == "__main__":
    main()
