"""Tail latency: from ``os.replace`` of a fixture to its line on ``tail --json`` stdout.

Starts ``forensics-tui tail --json`` as a real subprocess over a fresh root (on /dev/shm when
present), then writes fixtures the way the recorder does (temp dot-file + ``os.replace``) and
timestamps each line as it arrives.  Two patterns: isolated writes (one every ``--gap`` ms) and
a burst (all at once).  Reports p50/p95/max in ms.

    python benchmarks/bench_tail.py [-n 200] [--gap 25]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _fixture(run_id: str, seq: int) -> bytes:
    return json.dumps(
        {
            "format": 1,
            "run_id": run_id,
            "call_id": f"{run_id}-{seq:06d}",
            "seq": seq,
            "tool": "bench_tool",
            "status": "ok",
            "input": {"q": "x" * 400},
            "output": {"status_code": 200, "body": {"text": "y" * 400}},
            "error": None,
            "ts": "2026-01-01T00:00:00+00:00",
            "ended_at": "2026-01-01T00:00:00.1+00:00",
            "duration_ms": 100.0,
            "replay": None,
            "redacted": [],
            "meta": {},
        }
    ).encode()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(n: int, gap_ms: float, burst: bool) -> list[float]:
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        root = Path(tmp) / "root"
        run_dir = root / "bench-run"
        run_dir.mkdir(parents=True)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "forensics_tui", "tail", "--json", "--dir", str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        arrived: dict[str, float] = {}
        done = threading.Event()

        def reader() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                arrived[json.loads(line)["call_id"]] = time.perf_counter()
                if len(arrived) >= n:
                    break
            done.set()

        threading.Thread(target=reader, daemon=True).start()
        time.sleep(1.5)  # start-up (imports, first scan, watch established)
        written: dict[str, float] = {}
        for seq in range(1, n + 1):
            call_id = f"bench-run-{seq:06d}"
            tmp_path = run_dir / f".tmp-{seq}"
            tmp_path.write_bytes(_fixture("bench-run", seq))
            os.replace(tmp_path, run_dir / f"{seq:06d}_bench_tool.json")
            written[call_id] = time.perf_counter()
            if not burst:
                time.sleep(gap_ms / 1000)
        done.wait(timeout=30)
        proc.terminate()
        proc.wait(timeout=10)
        missing = [c for c in written if c not in arrived]
        if missing:
            print(f"  !! {len(missing)} fixtures never appeared")
        return [(arrived[c] - t) * 1000 for c, t in written.items() if c in arrived]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--gap", type=float, default=25.0, help="ms between isolated writes")
    args = parser.parse_args()
    for label, burst in (("isolated", False), ("burst", True)):
        lat = measure(args.n, args.gap, burst)
        print(
            f"{label:9} n={len(lat):4}  p50 {statistics.median(lat):6.1f} ms"
            f"  p95 {_percentile(lat, 0.95):6.1f} ms  max {max(lat):6.1f} ms"
        )


if __name__ == "__main__":
    main()
