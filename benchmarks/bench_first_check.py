"""The first ``check`` of a big root (no checkpoint yet): with the analysis workers, without
them, and another checkout, in interleaved rounds, against a bare store scan in the same run.

Run: ``python benchmarks/bench_first_check.py [--runs 300] [--calls 1000] [--rounds 3]
[--against DIR] [--base /dev/shm]``.

Writes ``runs`` × ``calls`` small fixtures under ``--base`` (tmpfs by default: the root costs no
disk and no writeback runs during the rounds), ages the runs, then per round runs, each in a
fresh process with a fresh cache (``forensics-tui check --json``, Python start-up included):
this checkout with its default workers, this checkout with ``FORENSICS_ANALYSIS_WORKERS=0``,
and ``--against`` (e.g. ``git archive`` of the previous commit) when given.  Reports medians of
wall time, CPU time (the process and its workers) and the largest process's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_verdict import SCAN, age, build, run_child

REPO = Path(__file__).resolve().parents[1]


def run_once(args: list[str], tree: Path, **extra: str) -> tuple[float, float, float, int]:
    """:func:`bench_verdict.run_child` with a fresh cache home of its own."""
    cache = Path(tempfile.mkdtemp(prefix="forensics-first-check-"))
    try:
        return run_child(args, tree, cache, **extra)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout, measured in each round")
    parser.add_argument("--base", type=Path, default=Path("/dev/shm"))
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="forensics-first-check-", dir=args.base))
    try:
        root = tmp / "root"
        started = time.perf_counter()
        build(root, args.runs, args.calls)
        age(root)
        total = args.runs * args.calls
        print(f"wrote {total:,} fixtures in {time.perf_counter() - started:.0f} s under {root}")
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        check = [sys.executable, "-m", "forensics_tui", "check", "--json", "--dir", str(root)]
        cases: list[tuple[str, list[str], Path, dict[str, str]]] = [
            ("scan (floor)", [sys.executable, "-c", SCAN, str(root)], REPO, {}),
            ("check, workers", check, REPO, {}),
            ("check, no workers", check, REPO, {"FORENSICS_ANALYSIS_WORKERS": "0"}),
        ]
        if args.against is not None:
            cases.append((f"check, {args.against.name}", check, args.against, {}))
        results: dict[str, list[tuple[float, float, float, int]]] = {c[0]: [] for c in cases}
        loads = []
        for round_no in range(1, args.rounds + 1):
            for name, argv, tree, extra in cases:
                results[name].append(run_once(argv, tree, **extra))
            loads.append(os.getloadavg()[0])
            print(f"round {round_no}/{args.rounds} done (load average {loads[-1]:.2f})")
        floor = statistics.median(r[0] for r in results["scan (floor)"])
        print(f"\nmedian of {args.rounds} interleaved rounds, {total:,} fixtures")
        print(f"{'case':<22} {'wall':>8} {'cpu':>8} {'peak RSS':>9}  exit  × scan")
        for name, _, _, _ in cases:
            rows = results[name]
            wall = statistics.median(r[0] for r in rows)
            cpu = statistics.median(r[1] for r in rows)
            rss = max(r[2] for r in rows)
            print(
                f"{name:<22} {wall:7.2f}s {cpu:7.2f}s {rss:7.0f}MB  {rows[-1][3]:>4}  {wall / floor:5.2f}"
            )
        mine = statistics.median(r[0] for r in results["check, workers"])
        for name, _, _, _ in cases[2:]:
            other = statistics.median(r[0] for r in results[name])
            print(f"check with workers is {other / mine:.2f}× faster than {name}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
