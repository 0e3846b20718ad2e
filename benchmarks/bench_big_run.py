"""A 100,000-call run: cold start to first rows, full indexing, paint and keypress times, RSS.

1. Writes (once, cached) a fixture root with one run of N calls under ``--root``.
2. Starts ``forensics-tui`` in tmux (120x36) and polls ``capture-pane``: time until the first
   rows are visible, and until the status line reports every call indexed; then reads the
   process's RSS from /proc.
   It then presses ``j`` 40 times: time from send-keys until the cursor row is on screen.
3. Runs the app headless (``App.run_test``) over the same root: time to paint the calls pane
   from scratch (no line cache).

    python benchmarks/bench_big_run.py [--calls 100000] [--root /tmp/ftui-bench-100k]
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
RUN = "20260310_120000"
TOOLS = ("search", "fetch_page", "summarize", "send_email", "upsert_records")


def build(root: Path, calls: int) -> None:
    run_dir = root / RUN
    marker = root / f".complete-{calls}"
    if marker.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({
        "format": 1, "run_id": RUN, "started_at": "2026-03-10T12:00:00+00:00",
        "ended_at": "2026-03-10T20:00:00+00:00", "status": "failed", "agent": "bench",
    }))  # fmt: skip
    for seq in range(1, calls + 1):
        tool = TOOLS[seq % len(TOOLS)]
        status = "error" if seq % 97 == 0 else "ok"
        secs = seq % 86400
        ts = f"2026-03-10T{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}+00:00"
        body = {
            "format": 1, "run_id": RUN, "call_id": f"{RUN}-{seq:06d}", "seq": seq,
            "tool": tool, "status": status, "input": {"q": f"item {seq}"},
            "output": {"rows": seq % 13} if status == "ok" else None,
            "error": {"type": "HTTPError", "message": "502"} if status == "error" else None,
            "ts": ts, "ended_at": ts, "duration_ms": float(seq % 400), "replay": None,
            "redacted": [], "meta": {},
        }  # fmt: skip
        (run_dir / f"{seq:06d}_{tool}.json").write_text(json.dumps(body))
    marker.write_text("ok")


def tmux_screen(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
    ).stdout


def cold_start(root: Path, calls: int) -> dict[str, float]:
    session = f"bench-{uuid.uuid4().hex[:8]}"
    env = f"PYTHONPATH={ROOT} XDG_CONFIG_HOME={root.parent / 'cfg'} TERM=xterm-256color"
    cmd = f"cd {ROOT} && exec env {env} {sys.executable} -m forensics_tui --dir {root}"
    t0 = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "36", cmd],
                   check=True)  # fmt: skip
    out: dict[str, float] = {}
    try:
        while time.perf_counter() - t0 < 120:
            screen = tmux_screen(session)
            if "first_rows" not in out and "fetch_page" in screen:
                out.setdefault("first_rows", time.perf_counter() - t0)
            if f"{calls}/{calls} calls" in screen:
                out["indexed"] = time.perf_counter() - t0
                break
            time.sleep(0.01)
        time.sleep(0.5)
        keys = []
        for seq in range(2, 42):
            t = time.perf_counter()
            subprocess.run(["tmux", "send-keys", "-t", session, "j"], check=True)
            while f"▌{seq:>5} " not in tmux_screen(session):
                if time.perf_counter() - t > 10:
                    raise TimeoutError(f"cursor never reached {seq}")
            keys.append((time.perf_counter() - t) * 1000)
        out["key_p50_ms"] = statistics.median(keys)
        out["key_p95_ms"] = statistics.quantiles(keys, n=20)[18]
        pid = subprocess.run(
            ["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"],
            capture_output=True, text=True,
        ).stdout.split()[0]  # fmt: skip
        time.sleep(1.0)
        status = Path(f"/proc/{pid}/status").read_text()
        rss_kb = int(
            next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]
        )
        out["rss_mb"] = rss_kb / 1024
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    return out


async def headless(root: Path, calls: int) -> dict[str, float]:
    from forensics_tui.ui.app import ForensicsApp
    from forensics_tui.ui.widgets.calls_pane import CallsPane

    app = ForensicsApp(root, watch=False)
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        while len(app.screen.index) < calls:
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        pane = app.screen.query_one(CallsPane)
        pane.focus()
        paints = []
        for _ in range(20):
            pane.clear_cache()
            t = time.perf_counter()
            for y in range(pane.size.height):
                pane.render_line(y)
            paints.append((time.perf_counter() - t) * 1000)
        out["paint_ms"] = statistics.median(paints)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--root", type=Path, default=Path("/tmp/ftui-bench-100k/fixtures"))
    args = parser.parse_args()
    t = time.perf_counter()
    build(args.root, args.calls)
    print(f"fixtures ready ({args.calls} calls) in {time.perf_counter() - t:.1f} s")
    if shutil.which("tmux"):
        cold = cold_start(args.root, args.calls)
        print(
            f"cold start: first rows {cold.get('first_rows', float('nan')):.2f} s, "
            f"fully indexed {cold.get('indexed', float('nan')):.2f} s, "
            f"RSS {cold.get('rss_mb', float('nan')):.0f} MB; keypress to screen (tmux) "
            f"p50 {cold['key_p50_ms']:.0f} ms, p95 {cold['key_p95_ms']:.0f} ms"
        )
    warm = asyncio.run(headless(args.root, args.calls))
    print(f"headless: calls pane full paint (no line cache) {warm['paint_ms']:.1f} ms")


if __name__ == "__main__":
    os.environ.setdefault("TEXTUAL_FPS", "120")
    main()
