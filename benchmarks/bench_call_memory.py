"""Memory per call: ``FixtureStore.scan()`` plus the TUI's call index, in bytes per call.

Writes N small fixtures (the shape the recorder writes: ``call_id`` ``<run>-<seq>``, ISO ``ts``
and ``ended_at``, a short output; with ``--output-chars 1000`` an output of varied text that
fills the 120-character preview) over R runs under ``--base`` (``/dev/shm`` by default, so a
million files cost no disk), then, in a fresh child process per source tree (this checkout, and
``--against DIR`` such as ``git archive main | tar -x -C /tmp/compact_base``):

1. scans the root with ``FixtureStore.scan()``;
2. builds the TUI's state from it the way the app does (``RunSummary`` per run, each run's
   calls, ``ExplorerState.load_snapshot``: the call index and the rows of the newest run);
3. reports the growth of RSS (``/proc/self/statm``, after a ``gc.collect()``) and, with
   ``--trace``, of traced Python memory (tracemalloc, which slows the scan 2-3x), each divided
   by N; plus the scan's CPU seconds (``time.process_time``).

    python benchmarks/bench_call_memory.py --calls 100000 --against /tmp/compact_base [--trace]
        [--analysis] [--output-chars 1000]

``--analysis`` adds a fourth step: the whole-root analysis in the same process
(``Analysis(store).refresh()``, what the TUI keeps after ``A``), its RSS growth per call and
CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = ("crm_lookup", "tag_ticket", "post_reply", "fetch_stock", "upsert_records")


WORDS = tuple(
    a + b
    for a in ("re", "un", "pre", "over", "sub", "co", "de", "in", "out", "mis")
    for b in ("count", "order", "ticket", "stock", "reply", "record", "price", "label", "state",
              "queue", "batch", "note", "user", "item", "value", "limit", "time", "path")
)  # fmt: skip


def body(rng: random.Random, chars: int, seq: int) -> dict[str, object]:
    """A realistic output of about ``chars`` characters: fixed keys, varied words and ids."""
    words = rng.choices(WORDS, k=max(1, chars // 9))
    return {
        "id": f"C-{rng.randrange(10**6)}",
        "name": " ".join(rng.choices(WORDS, k=3)).title(),
        "total": round(rng.random() * 10**4, 2),
        "city": "Zürich" if seq % 20 == 0 else "Lyon",
        "notes": " ".join(words)[:chars],
    }


def generate(root: Path, calls: int, runs: int, output_chars: int = 0) -> None:
    marker = root / f".complete-{calls}-{runs}-{output_chars}"
    if marker.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(15)
    per_run = max(1, calls // runs)
    for r in range(runs):
        run_id = f"202601{r % 28 + 1:02d}_{r % 24:02d}{r % 60:02d}00_{r:05d}"
        run_dir = root / run_id
        run_dir.mkdir(parents=True)
        manifest = {
            "format": 1,
            "run_id": run_id,
            "started_at": f"2026-01-{r % 28 + 1:02d}T{r % 24:02d}:{r % 60:02d}:00+00:00",
            "status": "ok",
            "task": "bench",
        }
        (run_dir / "run.json").write_text(json.dumps(manifest))
        for seq in range(1, per_run + 1):
            tool = TOOLS[seq % len(TOOLS)]
            ts = f"2026-01-{r % 28 + 1:02d}T{r % 24:02d}:{seq // 60 % 60:02d}:{seq % 60:02d}"
            ts += f".{seq * 37 % 1_000_000:06d}+00:00"
            fixture = {
                "format": 1,
                "run_id": run_id,
                "call_id": f"{run_id}-{seq:06d}",
                "seq": seq,
                "tool": tool,
                "status": "error" if seq % 50 == 0 else "ok",
                "input": {"customer": f"C-{seq}"},
                "output": (
                    {"status_code": 200, "body": body(rng, output_chars, seq)}
                    if output_chars
                    else {"status_code": 200, "items": seq, "text": "x" * (seq % 90)}
                ),
                "error": None,
                "ts": ts,
                "ended_at": ts,
                "duration_ms": round(1 + seq % 997 / 7, 3),
                "replay": None,
                "redacted": [],
                "meta": {},
            }
            (run_dir / f"{seq:06d}_{tool}.json").write_text(json.dumps(fixture))
    marker.write_text("ok")


CHILD = r"""
import gc, json, os, sys, time, tracemalloc
from pathlib import Path
root, trace, analyse = Path(sys.argv[1]), sys.argv[2] == "1", sys.argv[3] == "1"
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page
from forensics_tui.core.storage.store import FixtureStore
from forensics_tui.ui.state import ExplorerState
from forensics_tui.ui.view_model import RunSummary
store = FixtureStore(root)
if trace:
    tracemalloc.start()
r0 = rss(); t0 = tracemalloc.get_traced_memory()[0] if trace else 0
c0 = time.process_time()
store.scan()
scan_cpu = time.process_time() - c0
r1 = rss(); t1 = tracemalloc.get_traced_memory()[0] if trace else 0
runs = [RunSummary.from_run(run) for run in store.runs()]
calls = {run.run_id: list(store.calls(run.run_id)) for run in runs}
n = sum(len(c) for c in calls.values())
state = ExplorerState()
state.load_snapshot(runs, calls, complete=True)
del runs, calls
r2 = rss(); t2 = tracemalloc.get_traced_memory()[0] if trace else 0
r3, t3, an_cpu = r2, t2, 0.0
if analyse:
    from forensics_tui.core.analysis.engine import Analysis
    c0 = time.process_time()
    analysis = Analysis(store)
    analysis.refresh()
    an_cpu = time.process_time() - c0
    r3 = rss(); t3 = tracemalloc.get_traced_memory()[0] if trace else 0
print(json.dumps({"calls": n, "scan_cpu_s": scan_cpu, "rss_store": r1 - r0, "rss_ui": r2 - r1,
                  "rss_total": r3, "py_store": t1 - t0, "py_ui": t2 - t1,
                  "rss_analysis": r3 - r2, "py_analysis": t3 - t2, "analysis_cpu_s": an_cpu}))
"""


def measure(tree: Path, root: Path, trace: bool, analyse: bool = False) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), "1" if trace else "0", "1" if analyse else "0"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=25_000)
    ap.add_argument("--runs", type=int, default=0, help="default: one run per 1,000 calls")
    ap.add_argument("--base", type=Path, default=Path("/dev/shm/ftui-callmem"))
    ap.add_argument("--against", type=Path, help="another source tree (a baseline)")
    ap.add_argument("--trace", action="store_true", help="also tracemalloc (slower)")
    ap.add_argument(
        "--analysis",
        action="store_true",
        help="then the whole-root analysis in the same process (what the TUI's A keeps)",
    )
    ap.add_argument(
        "--output-chars",
        type=int,
        default=0,
        help="outputs of about this many characters of varied text (full 120-char previews;"
        " default: short outputs)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the generated root")
    args = ap.parse_args()
    runs = args.runs or max(1, args.calls // 1000)
    root = args.base / f"{args.calls}-{runs}-{args.output_chars}"
    generate(root, args.calls, runs, args.output_chars)
    print(f"load average {os.getloadavg()[0]:.2f}; {args.calls} calls in {runs} runs at {root}")
    trees = [("this", REPO)] + ([("against", args.against)] if args.against else [])
    for name, tree in trees:
        m = measure(tree, root, args.trace, args.analysis)
        n = m["calls"]
        line = (
            f"{name:8} rss store {m['rss_store'] / n:6.0f} B/call  ui {m['rss_ui'] / n:5.0f} B/call"
            f"  total RSS {m['rss_total'] / 2**20:7.1f} MB  scan cpu {m['scan_cpu_s']:.2f} s"
        )
        if args.analysis:
            line += (
                f"  analysis {m['rss_analysis'] / n:5.0f} B/call, cpu {m['analysis_cpu_s']:.2f} s"
            )
        if args.trace:
            line += f"  | traced store {m['py_store'] / n:5.0f} ui {m['py_ui'] / n:5.0f} B/call"
            if args.analysis:
                line += f" analysis {m['py_analysis'] / n:5.0f}"
        print(line, flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
