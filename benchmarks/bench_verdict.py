"""Benchmark the one verdict at scale: ``check RUN`` on a big root, and on big fixtures.

Run: ``python benchmarks/bench_verdict.py [--runs 200] [--calls 1000] [--big-mb 58] [--big-runs 8]
[--skip-whole] [--against DIR] [--root DIR]``.

Part 1 writes ``runs`` × ``calls`` small fixtures (~400 B), ages the run directories (history
is old; checkpoints never cover a run changed in the last 2 s) and times, each in a fresh
process with its own cache home (``forensics-tui ... --json``, Python start-up included):
``check`` of the newest run with checkpoints off (the whole-root analysis, the baseline),
then with them: first (no checkpoint yet), again, after a new run lands (``check`` of it),
``check`` of the oldest run, and ``postmortem`` of the newest (whole root, then from the
checkpoints).  The floor, measured in the same
run, is a bare store scan in a fresh process.  Part 2 writes ``big-runs`` runs of one
``big-mb`` MB fixture each and measures ``check``'s peak RSS against the baseline of one
``json.loads`` of such a file.  Peak RSS is each child's own (``os.wait4``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCAN = "import sys; from pathlib import Path; from forensics_tui.core.storage.store import FixtureStore; FixtureStore(Path(sys.argv[1])).scan()"
LOADS = "import json, sys; json.loads(open(sys.argv[1], 'rb').read())"


def _run_id(n: int) -> str:
    day, rest = divmod(n, 86400)
    hh, rest = divmod(rest, 3600)
    mm, ss = divmod(rest, 60)
    return f"202601{1 + day:02d}_{hh:02d}{mm:02d}{ss:02d}"


def age(root: Path, seconds: float = 3600.0) -> None:
    past = time.time() - seconds
    for entry in root.iterdir():
        os.utime(entry, (past, past))


def build(root: Path, runs: int, calls: int) -> None:
    """Small fixtures written directly (the writer's cost is benchmarked elsewhere)."""
    for r in range(runs):
        build_one(root, _run_id(r), calls, failing=r == runs - 1)


def build_one(root: Path, run_id: str, calls: int, failing: bool = False) -> None:
    tools = ["search", "fetch", "crm_lookup", "tag_ticket", "post_reply"]
    run_dir = root / run_id
    run_dir.mkdir(parents=True)
    day, hh, mm, ss = run_id[6:8], run_id[9:11], run_id[11:13], run_id[13:15]
    started = f"2026-01-{day}T{hh}:{mm}:{ss}+00:00"
    manifest = {"format": 1, "run_id": run_id, "started_at": started, "ended_at": started}
    manifest |= {"status": "ok", "agent": "bench", "task": "bench"}
    (run_dir / "run.json").write_text(json.dumps(manifest))
    for seq in range(1, calls + 1):
        tool = tools[seq % len(tools)]
        failed = failing and seq == calls // 2
        fixture = {
            "format": 1,
            "run_id": run_id,
            "call_id": f"{run_id}-{seq:06d}",
            "seq": seq,
            "tool": tool,
            "status": "error" if failed else "ok",
            "input": {"q": seq},
            "output": {"status_code": 503}
            if failed
            else {"status_code": 200, "body": {"id": seq, "name": "n"}},
            "error": {"type": "HTTPError", "message": "HTTP 503"} if failed else None,
            "ts": started,
            "ended_at": started,
            "duration_ms": 1.0,
            "replay": None,
            "redacted": [],
            "meta": {},
        }
        (run_dir / f"{seq:06d}_{tool}.json").write_text(json.dumps(fixture))


def build_big(root: Path, runs: int, megabytes: int) -> Path:
    item = {"id": 0, "name": "x" * 40, "tags": ["a", "b"], "qty": 1.5}
    count = megabytes * 1024 * 1024 // len(json.dumps(item))
    output = {"status_code": 200, "body": {"items": [dict(item, id=i) for i in range(count)]}}
    path = root
    for r in range(runs):
        run_id = _run_id(r)
        started = f"2026-01-01T00:00:{r:02d}+00:00"
        run_dir = root / run_id
        run_dir.mkdir(parents=True)
        manifest = {"format": 1, "run_id": run_id, "started_at": started, "status": "ok"}
        (run_dir / "run.json").write_text(json.dumps(manifest | {"task": "big"}))
        fixture = {"format": 1, "run_id": run_id, "call_id": f"{run_id}-1", "seq": 1}
        fixture |= {"tool": "export", "status": "ok", "input": {"q": 1}, "output": output}
        path = run_dir / "000001_export.json"
        path.write_text(json.dumps(fixture))
    return path


CACHE = Path(tempfile.mkdtemp(prefix="forensics-verdict-cache-"))


def run_child(
    args: list[str], tree: Path, cache: Path, **extra: str
) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MB, exit code) of one child process and the workers it waited
    for, with ``tree``'s code (another checkout, for a baseline in the same run) and
    ``cache`` as its cache home; peak RSS is the largest of those processes'."""
    env = dict(os.environ, PYTHONPATH=str(tree), XDG_CACHE_HOME=str(cache), **extra)
    start = time.perf_counter()
    # run from the tree: ``python -m`` puts the working directory ahead of PYTHONPATH
    proc = subprocess.Popen(
        args, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def measure(
    args: list[str], tree: Path = REPO, cache: Path | None = None, **extra: str
) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit code) of one child process (see :func:`run_child`)."""
    wall, _cpu, rss, code = run_child(args, tree, cache or CACHE, **extra)
    return wall, rss, code


def median_of(args: list[str], repeat: int, **extra: str) -> tuple[float, float, int]:
    results = [measure(args, **extra) for _ in range(repeat)]
    return (
        statistics.median(r[0] for r in results),
        max(r[1] for r in results),
        results[-1][2],
    )


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "forensics_tui", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--big-mb", type=int, default=58)
    parser.add_argument("--big-runs", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--root",
        type=Path,
        help="reuse a root an earlier run built with the same --runs and --calls (kept; a "
        "new run is written into it, and removed by the next run)",
    )
    parser.add_argument(
        "--against",
        type=Path,
        help="another checkout (e.g. `git archive` of the previous commit): its first check, "
        "fresh cache, in the same run",
    )
    parser.add_argument(
        "--skip-whole",
        action="store_true",
        help="skip the whole-root baselines (minutes at 1M fixtures); the scan floor stays",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="forensics-verdict-"))
    try:
        root = args.root or tmp / "many"
        start = time.perf_counter()
        total = args.runs * args.calls
        if args.root is None:
            build(root, args.runs, args.calls)
            print(
                f"wrote {args.runs} runs × {args.calls} calls ({total:,} fixtures) in {time.perf_counter() - start:.0f} s"
            )
        else:
            shutil.rmtree(root / _run_id(args.runs), ignore_errors=True)  # an earlier "new run"
            print(f"reusing {root} ({total:,} fixtures, as --runs and --calls say)")
        age(root)  # history is old; only the newest run is still being written
        newest, oldest = _run_id(args.runs - 1), _run_id(0)
        floor = median_of([sys.executable, "-c", SCAN, str(root)], args.repeat)
        print(f"baseline: store scan alone         {floor[0]:7.2f} s  {floor[1]:6.0f} MB")
        if not args.skip_whole:
            whole = measure(
                cli("check", newest, "--json", "--dir", str(root)), FORENSICS_NO_CHECKPOINTS="1"
            )
            print(
                f"baseline: check, whole root        {whole[0]:7.2f} s  {whole[1]:6.0f} MB  exit {whole[2]}  ({whole[0] / floor[0]:.1f}× scan)"
            )
        if args.against is not None:
            cache = Path(tempfile.mkdtemp(prefix="forensics-verdict-against-"))
            other = measure(cli("check", newest, "--json", "--dir", str(root)), args.against, cache)
            shutil.rmtree(cache, ignore_errors=True)
            print(
                f"baseline: first check, {args.against.name:<10} {other[0]:7.2f} s  {other[1]:6.0f} MB  exit {other[2]}  ({other[0] / floor[0]:.1f}× scan)"
            )
        cache = Path(tempfile.mkdtemp(prefix="forensics-verdict-serial-"))
        serial = measure(
            cli("check", newest, "--json", "--dir", str(root)),
            cache=cache,
            FORENSICS_ANALYSIS_WORKERS="0",
        )
        shutil.rmtree(cache, ignore_errors=True)
        print(
            f"check newest, first, no workers    {serial[0]:7.2f} s  {serial[1]:6.0f} MB  exit {serial[2]}  ({serial[0] / floor[0]:.1f}× scan)"
        )
        first = measure(cli("check", newest, "--json", "--dir", str(root)))
        print(
            f"check newest, first                {first[0]:7.2f} s  {first[1]:6.0f} MB  exit {first[2]}  ({first[0] / floor[0]:.1f}× scan)"
        )
        second = median_of(cli("check", newest, "--json", "--dir", str(root)), args.repeat)
        print(
            f"check newest, again                {second[0]:7.2f} s  {second[1]:6.0f} MB  exit {second[2]}  ({second[0] / floor[0]:.1f}× scan)"
        )
        landed = _run_id(args.runs)
        build_one(root, landed, args.calls)
        fresh = median_of(cli("check", "--json", "--dir", str(root)), args.repeat)
        print(
            f"a new run lands: check it          {fresh[0]:7.2f} s  {fresh[1]:6.0f} MB  exit {fresh[2]}  ({fresh[0] / floor[0]:.1f}× scan)"
        )
        old = median_of(cli("check", oldest, "--json", "--dir", str(root)), args.repeat)
        print(
            f"check oldest                       {old[0]:7.2f} s  {old[1]:6.0f} MB  exit {old[2]}  ({old[0] / floor[0]:.1f}× scan)"
        )
        postmortem = cli("postmortem", newest, "--format", "json", "--dir", str(root))
        if not args.skip_whole:
            pm_whole = measure(postmortem, FORENSICS_NO_CHECKPOINTS="1")
            print(
                f"baseline: postmortem, whole root   {pm_whole[0]:7.2f} s  {pm_whole[1]:6.0f} MB  exit {pm_whole[2]}"
            )
        pm = median_of(postmortem, args.repeat)
        print(
            f"postmortem newest (checkpoints)    {pm[0]:7.2f} s  {pm[1]:6.0f} MB  exit {pm[2]}  ({pm[0] / floor[0]:.2f}× scan)"
        )
        if args.root is None:
            shutil.rmtree(root)
        if args.big_runs:
            big = tmp / "big"
            sample = build_big(big, args.big_runs, args.big_mb)
            size = sample.stat().st_size / 1e6
            loads = median_of([sys.executable, "-c", LOADS, str(sample)], args.repeat)
            print(
                f"baseline: json.loads of one {size:.0f} MB fixture  {loads[0]:5.2f} s  {loads[1]:6.0f} MB"
            )
            check = median_of(cli("check", "--json", "--dir", str(big)), args.repeat)
            print(
                f"check, {args.big_runs} runs of one {size:.0f} MB fixture  {check[0]:5.2f} s  {check[1]:6.0f} MB  exit {check[2]}  ({check[1] / loads[1]:.1f}× loads RSS)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
