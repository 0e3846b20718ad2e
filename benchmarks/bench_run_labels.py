"""Run labels cost: what the automatic labels (git commit from ``.git``, host, versions) add to
a run's first write, which claims ``run.json``; measured against the same first write with
``FORENSICS_AUTO_LABELS=0`` in the same process, on the same file system (tmpfs when there).

    python benchmarks/bench_run_labels.py [--dir /dev/shm] [--runs 300]

The labels are computed once per process; the cold computation is measured separately (the
cache is reset before each sample).  Target: the cold computation under 1 ms, and a run's first
write with labels within 1.2x of the one without (labels are in every manifest written).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forensics_tui.capture import Recorder
from forensics_tui.capture import labels as labels_mod


def cold_labels(samples: int) -> float:
    times = []
    for _ in range(samples):
        labels_mod._cache = None
        start = time.perf_counter()
        labels_mod.auto_labels()
        times.append(time.perf_counter() - start)
    return median(times)


def first_writes(base: Path, runs: int, auto: bool) -> float:
    os.environ["FORENSICS_AUTO_LABELS"] = "1" if auto else "0"
    times = []
    for i in range(runs):
        rec = Recorder(base, f"run-{'a' if auto else 'n'}-{i:05d}")
        start = time.perf_counter()
        rec.record("crm_lookup", {"customer": "C-1042"}, {"tier": "gold"})
        times.append(time.perf_counter() - start)
        rec.end()
    return median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    parser.add_argument("--dir", default=shm)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-labels-", dir=args.dir))
    try:
        cold = cold_labels(args.runs)
        labels_mod.auto_labels()  # warm, as in an agent after its first run
        first_writes(base, 20, True)  # warm-up
        without = first_writes(base, args.runs, False)
        with_labels = first_writes(base, args.runs, True)
        print(f"automatic labels, cold (once per process): {cold * 1e6:.1f} µs")
        print(f"labels: {sorted(labels_mod.auto_labels())}")
        print(f"first write of a run without automatic labels: {without * 1e6:.1f} µs")
        print(f"first write of a run with automatic labels:    {with_labels * 1e6:.1f} µs")
        print(f"ratio: {with_labels / without:.2f}x")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
