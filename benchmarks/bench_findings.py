"""Benchmark findings and patterns over many runs (default 1,000 runs × 20 calls).

Run: ``python benchmarks/bench_findings.py [--runs 1000] [--calls 20] [--dir DIR]``.  Writes a
fixture root (in a temp dir unless ``--dir``), scans it with the real store, then times the
Analysis (cold: every fixture loaded and checked; warm: after one new run lands) and patterns.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.storage.factories import make_run_dir
from forensics_tui.core.storage.store import FixtureStore

TOOLS = ["search", "fetch", "crm_lookup", "tag_ticket", "post_reply"]


def _call(rng: random.Random, tool: str, n: int) -> dict:
    roll = rng.random()
    output = {"status_code": 200, "body": {"id": n, "name": f"n{n}", "items": [{"a": 1}]}}
    call: dict = {"tool": tool, "input": {"q": n}, "output": output}
    if roll < 0.01:
        call.update(
            status="error",
            output={"status_code": 503},
            error={"type": "HTTPError", "message": f"503 upstream (attempt {n})"},
        )
    elif roll < 0.02:
        call["output"] = {"status_code": 200, "body": {"error": "token_expired"}}
    elif roll < 0.03:
        call["output"] = {"status_code": 200, "body": {"id": str(n), "items": []}}
    elif roll < 0.035:
        call.update(status="skipped", output={"status_code": 429, "headers": {"Retry-After": "3"}})
    return call


def build(root: Path, runs: int, calls: int) -> None:
    rng = random.Random(3)
    for r in range(runs):
        day, minute = divmod(r, 1440)
        run_id = f"2026{1 + day // 28:02d}{1 + day % 28:02d}_{minute // 60:02d}{minute % 60:02d}00"
        chain = [_call(rng, TOOLS[i % len(TOOLS)], i) for i in range(calls)]
        make_run_dir(root, run_id, chain, task="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None, help="keep the fixture root here")
    args = parser.parse_args()

    root = args.dir or Path(tempfile.mkdtemp(prefix="forensics-bench-"))
    try:
        start = time.perf_counter()
        build(root, args.runs, args.calls)
        print(f"wrote {args.runs} runs × {args.calls} calls in {time.perf_counter() - start:.1f} s")
        store = FixtureStore(root)
        start = time.perf_counter()
        store.scan()
        print(f"store scan:                         {time.perf_counter() - start:6.2f} s")
        analysis = Analysis(store)
        start = time.perf_counter()
        findings = analysis.findings()
        cold = time.perf_counter() - start
        start = time.perf_counter()
        patterns = analysis.patterns()
        pattern_time = time.perf_counter() - start
        promoted = sum(p.promoted for p in patterns)
        print(f"findings, cold (load + detect):     {cold:6.2f} s  ({len(findings)} findings)")
        print(
            f"patterns:                           {pattern_time:6.2f} s  "
            f"({len(patterns)} signatures, {promoted} promoted)"
        )
        total = cold + pattern_time
        print(
            f"findings + patterns:                {total:6.2f} s  "
            f"(target ≤ 3 s, {'OK' if total <= 3 else 'SLOW'})"
        )
        make_run_dir(root, "20991231_235900", [_call(random.Random(9), "search", 1)], task="bench")
        store.scan()
        start = time.perf_counter()
        analysis.findings()
        analysis.patterns()
        print(f"after a rescan + one new run:       {time.perf_counter() - start:6.2f} s (cached)")
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
