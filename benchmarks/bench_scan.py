"""Benchmark: index a large fixture root with FixtureStore.scan() against the I/O floor.

Generates N fixtures (~1 KB each, format 1) spread over R runs, then measures, each in a fresh
child process so peak RSS (ru_maxrss) is the scan's own:

* floor: bare ``os.scandir`` of every run + reading every file's bytes (two variants: built-in
  ``open().read()`` and raw ``os.open``/``os.read``; the faster one is the floor);
* ``FixtureStore.scan()`` (optionally with reader threads);
* time to first rows of the progressive ``scan_iter()``.

Wall times are medians of ``--repeat`` runs on a warm page cache (one untimed pass first).
Run: ``python benchmarks/bench_scan.py`` (``--files 10000`` for a quick run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = ("crm_lookup", "tag_ticket", "post_reply", "fetch_stock", "upsert_records")


def generate(root: Path, files: int, runs: int) -> None:
    per_run = max(1, files // runs)
    padding = "x" * 420
    for r in range(runs):
        run_id = f"2026{(r // 28) % 12 + 1:02d}{r % 28 + 1:02d}_{r % 24:02d}0000_{r:05d}"
        run_dir = root / run_id
        run_dir.mkdir(parents=True)
        manifest = {
            "format": 1,
            "run_id": run_id,
            "started_at": f"2026-01-01T{r % 24:02d}:00:00.{r:06d}+00:00",
            "status": "ok",
            "task": "bench",
        }
        (run_dir / "run.json").write_text(json.dumps(manifest))
        for seq in range(1, per_run + 1):
            tool = TOOLS[seq % len(TOOLS)]
            fixture = {
                "format": 1,
                "run_id": run_id,
                "call_id": f"{run_id}-{seq:06d}",
                "seq": seq,
                "tool": tool,
                "status": "error" if seq % 50 == 0 else "ok",
                "input": {"customer": f"C-{seq}", "batch": list(range(10)), "note": padding[:60]},
                "output": {"status_code": 200, "body": {"items": seq, "text": padding}},
                "error": None,
                "ts": f"2026-01-01T{r % 24:02d}:00:{seq % 60:02d}.{seq:06d}+00:00",
                "ended_at": f"2026-01-01T{r % 24:02d}:00:{seq % 60:02d}.{seq:06d}+00:00",
                "duration_ms": 12.5,
                "replay": {"kind": "http", "method": "GET", "url": "http://127.0.0.1:1/x"},
                "redacted": [],
                "meta": {"host": "bench", "pid": 1},
            }
            (run_dir / f"{seq:06d}_{tool}.json").write_text(json.dumps(fixture, indent=1))


# -- child-process measurements ---------------------------------------------------------


def _floor_open(root: str) -> int:
    count = 0
    for run in os.scandir(root):
        for entry in os.scandir(run.path):
            with open(entry.path, "rb") as handle:
                handle.read()
            count += 1
    return count


def _floor_os(root: str) -> int:
    count = 0
    for run in os.scandir(root):
        for entry in os.scandir(run.path):
            fd = os.open(entry.path, os.O_RDONLY)
            try:
                os.read(fd, os.fstat(fd).st_size + 1)
            finally:
                os.close(fd)
            count += 1
    return count


def child(mode: str, root: str, workers: int) -> dict[str, float]:
    sys.path.insert(0, str(REPO))
    from forensics_tui.core.storage.store import FixtureStore

    start = time.perf_counter()
    result: dict[str, float] = {}
    if mode == "floor_open":
        result["count"] = _floor_open(root)
    elif mode == "floor_os":
        result["count"] = _floor_os(root)
    elif mode == "scan":
        store = FixtureStore(Path(root), workers=workers)
        store.scan()
        result["count"] = sum(len(r.calls) for r in store.runs())
    elif mode == "first_rows":
        store = FixtureStore(Path(root), workers=workers)
        steps = store.scan_iter()
        first = next(steps)
        result["first_rows_s"] = time.perf_counter() - start
        result["first_rows"] = first.done
        result["visible"] = len(store.calls(first.run_ids[0])) if first.run_ids else 0
        for _ in steps:
            pass
        result["count"] = sum(len(r.calls) for r in store.runs())
    result["wall_s"] = time.perf_counter() - start
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _child_run(mode: str, root: Path, workers: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", mode, "--root", str(root)]
    cmd += ["--workers", str(workers)]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def measure(modes: list[str], root: Path, repeat: int, workers: int) -> dict[str, dict]:
    """Median per mode; modes are interleaved so that background load hits them alike."""
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    for _ in range(repeat):
        for mode in modes:
            runs[mode].append(_child_run(mode, root, workers))
    return {
        mode: {k: statistics.median(r[k] for r in results) for k in results[0]}
        for mode, results in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="reader threads for scan()")
    parser.add_argument("--dir", type=Path, help="generate under DIR (default: a temp dir)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.root, args.workers)))
        return

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp) / "fixtures"
        t0 = time.perf_counter()
        generate(root, args.files, args.runs)
        took = time.perf_counter() - t0
        print(f"generated {args.files} fixtures in {args.runs} runs in {took:.1f} s")
        _child_run("floor_open", root, 1)  # warm the page cache
        modes = ["floor_open", "floor_os", "scan", "first_rows"]
        results = measure(modes, root, args.repeat, args.workers)
        floor_open, floor_os = results["floor_open"], results["floor_os"]
        scan, first = results["scan"], results["first_rows"]
        floor = min(floor_open["wall_s"], floor_os["wall_s"])
        for label, result in (("open().read()  ", floor_open), ("os.open/os.read", floor_os)):
            print(f"floor {label}   {result['wall_s']:.3f} s  rss {result['maxrss_mb']:.0f} MB")
        print(
            f"FixtureStore.scan()     {scan['wall_s']:.3f} s  rss {scan['maxrss_mb']:.0f} MB"
            f"  ratio {scan['wall_s'] / floor:.2f}x floor  ({int(scan['count'])} calls,"
            f" workers={args.workers})"
        )
        print(
            f"scan_iter() first rows  {first['first_rows_s'] * 1000:.0f} ms"
            f" ({int(first['first_rows'])} calls indexed), full {first['wall_s']:.3f} s,"
            f" rss {first['maxrss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
