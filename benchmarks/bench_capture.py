"""Capture cost: µs per ``tool_checkpoint`` with 1k / 10k / 50k fixtures already in the run
directory, against the legacy glob-count snippet measured in the same run on the same file
system (tmpfs when available).

    python benchmarks/bench_capture.py [--dir /dev/shm] [--sizes 1000,10000,50000]

Targets (issue 12): <= 25 µs per call with a ~1 KB payload on tmpfs, redaction on, with
stdlib json and with orjson; flat (50k within 1.3x of 1k); >= 100x faster than the legacy
pattern at 10k; an integration adds <= 15 µs over a bare ``@checkpoint`` call.  The floor
(encode + exclusive create + one write, nothing else) is measured in the same run, so numbers
taken on a loaded machine can be read against what it could do at the time.  Also reported:
the cost with new strings in every call (nothing in the redactor's clean-string cache), and
with ``--idle-calls`` single calls after a pause (cold caches), each against the floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import glob
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_integrations import FloorCase, close_all, integration_cases, overheads

from forensics_tui.capture import (
    Recorder,
    serialize,
    set_recorder,
    tool_checkpoint,
)

TOOL = "crm_lookup"
INPUT = {
    "customer": "C-1042",
    "query": "open tickets for the last 30 days",
    "limit": 20,
    "include_closed": False,
}
OUTPUT = {
    "status_code": 200,
    "body": {
        "customer": "C-1042",
        "tier": "gold",
        "tickets": [
            {"id": 1000 + i, "subject": f"Order #{5000 + i} arrived damaged", "priority": "high"}
            for i in range(8)
        ],
    },
}


def legacy_checkpoint(run_dir: str, tool: str, inp: object, out: object, status: str) -> str:
    """The widely copied snippet: count the tool's files with glob, then write the next one."""
    idx = len(glob.glob(f"{run_dir}/{tool}_*.json"))
    path = f"{run_dir}/{tool}_{idx:03d}.json"
    record = {
        "run_id": os.path.basename(run_dir),
        "tool": tool,
        "input": inp,
        "output": out,
        "status": status,
        "ts": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
    }
    with open(path, "w") as fh:
        json.dump(record, fh, indent=2)
    return path


def populate(run_dir: Path, count: int, legacy: bool) -> None:
    """``count`` small fixture files, written directly (faster than recording them)."""
    run_dir.mkdir(parents=True, mode=0o700)
    body = b'{"format":1,"tool":"crm_lookup","status":"ok"}'
    for i in range(count):
        name = f"{TOOL}_{i:03d}.json" if legacy else f"{i + 1:06d}_{TOOL}.json"
        fd = os.open(run_dir / name, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, body)
        os.close(fd)
    if not legacy:  # continue the run's counter after the files already there
        (run_dir / ".seq").write_bytes(b"%020d" % count)


CLOCK = time.perf_counter  # --clock cpu: time.process_time (this process's CPU, user + sys)


def batch_us(fn, calls: int) -> float:
    """µs per call over one batch, with the garbage collector out of the way."""
    gc.collect()
    gc.disable()
    try:
        start = CLOCK()
        for _ in range(calls):
            fn()
        return (CLOCK() - start) / calls * 1e6
    finally:
        gc.enable()


class CaptureCase:
    """A run directory with ``size`` fixtures already there, recorded into by one backend."""

    def __init__(self, base: Path, size: int, backend: str, kind: str = "capture") -> None:
        self.size, self.backend = size, backend
        self.run_dir = base / f"{kind}-{backend}-{size}"
        populate(self.run_dir, size, legacy=False)
        self.rec = Recorder(base, self.run_dir.name)
        self.samples: list[float] = []
        self.batch(50)  # warm-up: manifest, slug check, caches

    def batch(self, calls: int) -> None:
        serialize.set_json_backend(self.backend)
        set_recorder(self.rec)
        self.samples.append(batch_us(lambda: tool_checkpoint(TOOL, INPUT, OUTPUT, "ok"), calls))
        set_recorder(None)

    def close(self) -> None:
        assert self.rec.dropped == 0, "fixtures were dropped during the benchmark"
        self.rec.end()
        shutil.rmtree(self.run_dir)


def fresh_payload(n: int) -> tuple[dict, dict]:
    """An (input, output) pair shaped like INPUT/OUTPUT whose strings are all new, as in a real
    run: none is found in the redactor's cache of strings already judged clean."""
    body = dict(OUTPUT["body"])
    body["customer"] = f"C-{n}"
    body["tickets"] = [
        {"id": t["id"], "subject": f"Order #{n}-{i} arrived damaged", "priority": "high"}
        for i, t in enumerate(OUTPUT["body"]["tickets"])
    ]
    inp = {**INPUT, "customer": f"C-{n}", "query": f"open tickets for the last {n} days"}
    return inp, {"status_code": 200, "body": body}


class FreshCase(CaptureCase):
    """``CaptureCase`` with new strings in every call.  Each payload is made just before its
    call, as a tool makes its output (so it is in the CPU caches, as it would be): a batch that
    makes payloads and captures them is timed against one that only makes them, in alternating
    order, and the sample is the difference."""

    def __init__(self, base: Path, size: int, backend: str) -> None:
        self.made = 0
        super().__init__(base, size, backend, kind="fresh")

    def batch(self, calls: int) -> None:
        serialize.set_json_backend(self.backend)
        set_recorder(self.rec)
        counter = itertools.count(self.made)
        self.made += 2 * calls

        def make() -> None:
            fresh_payload(next(counter))

        def make_and_capture() -> None:
            inp, out = fresh_payload(next(counter))
            tool_checkpoint(TOOL, inp, out, "ok")

        if len(self.samples) % 2:
            both, alone = batch_us(make_and_capture, calls), batch_us(make, calls)
        else:
            alone, both = batch_us(make, calls), batch_us(make_and_capture, calls)
        self.samples.append(both - alone)
        set_recorder(None)


class LegacyCase:
    """The same, for the legacy glob-count snippet."""

    def __init__(self, base: Path, size: int) -> None:
        self.size = size
        self.run_dir = base / f"legacy-{size}"
        populate(self.run_dir, size, legacy=True)
        self.samples: list[float] = []

    def batch(self, calls: int) -> None:
        target = str(self.run_dir)
        self.samples.append(
            batch_us(lambda: legacy_checkpoint(target, TOOL, INPUT, OUTPUT, "ok"), calls)
        )

    def close(self) -> None:
        shutil.rmtree(self.run_dir)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_dir = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    parser.add_argument("--dir", default=default_dir, help="file system to measure on")
    parser.add_argument("--sizes", default="1000,10000,50000", help="fixtures already there")
    parser.add_argument("--calls", type=int, default=500, help="calls per batch (capture)")
    parser.add_argument("--batches", type=int, default=9, help="batches (median is reported)")
    parser.add_argument("--legacy-calls", type=int, default=10, help="calls per legacy batch")
    parser.add_argument("--legacy-batches", type=int, default=3)
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time, or this process's CPU time (stabler on a machine shared with other jobs)",
    )
    parser.add_argument(
        "--idle-calls",
        type=int,
        default=0,
        help="also time this many single calls made after a pause of --idle seconds each "
        "(wall clock, against the floor after the same pause): what a call costs in an agent "
        "that calls a tool every few seconds, with cold caches",
    )
    parser.add_argument("--idle", type=float, default=1.1, help="the pause before an idle call")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = ["json"] + (["orjson"] if serialize.set_json_backend("auto") == "orjson" else [])
    base = Path(tempfile.mkdtemp(prefix="bench-capture-", dir=args.dir))
    payload = len(json.dumps(INPUT)) + len(json.dumps(OUTPUT))
    print(f"file system: {args.dir}  payload: {payload} bytes (input + output), redaction on")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.2f}, ", end=""
    )
    print(f"{args.clock} clock")
    print(f"median of {args.batches} batches of {args.calls} calls (legacy: ", end="")
    print(f"{args.legacy_batches} x {args.legacy_calls}), batches interleaved across cases\n")
    capture = {(size, b): CaptureCase(base, size, b) for size in sizes for b in backends}
    fresh = {b: FreshCase(base, sizes[0], b) for b in backends}
    legacy = {size: LegacyCase(base, size) for size in sizes}
    fixture = json.loads(
        Path(capture[sizes[0], "json"].rec.record(TOOL, INPUT, OUTPUT)).read_text()
    )
    floors = {b: FloorCase(base, b, fixture) for b in backends}
    integrations = integration_cases(base, TOOL, INPUT, OUTPUT, clients=("httpx",))
    overhead: dict[str, list[float]] = {name: [] for name in integrations}
    try:
        # Batches are interleaved across cases so that noise from the machine hits all alike.
        for round_no in range(args.batches):
            for case in [*capture.values(), *fresh.values()]:
                case.batch(args.calls)
            for backend, floor in floors.items():
                serialize.set_json_backend(backend)
                floor.samples.append(batch_us(floor.one, args.calls))
            serialize.set_json_backend("auto")
            for name, call in integrations.items():
                overhead[name].append(_integration_batch(name, call, args.calls))
            if round_no < args.legacy_batches:
                for leg in legacy.values():
                    leg.batch(args.legacy_calls)
        rows = []
        for size in sizes:
            row: dict[str, float] = {"size": size, "legacy": median(legacy[size].samples)}
            for backend in backends:
                row[backend] = median(capture[size, backend].samples)
            row["json_best"] = min(capture[size, "json"].samples)
            rows.append(row)
        fresh_us = {b: median(case.samples) for b, case in fresh.items()}
        idle = idle_calls(capture[sizes[0], backends[-1]], floors[backends[-1]], args)
        for case in [*capture.values(), *fresh.values(), *legacy.values()]:
            case.close()
    finally:
        close_all(integrations)
        shutil.rmtree(base, ignore_errors=True)
    head = f"{'files':>8} | {'capture json':>12} | {'(best)':>9} |"
    head += f" {'capture orjson':>14} |" if "orjson" in backends else ""
    head += f" {'legacy glob':>12} | {'legacy / capture':>16}"
    print(head)
    print("-" * len(head))
    for row in rows:
        line = f"{row['size']:>8,} | {row['json']:>9.1f} µs | {row['json_best']:>6.1f} µs |"
        if "orjson" in backends:
            line += f" {row['orjson']:>11.1f} µs |"
        line += f" {row['legacy']:>9.0f} µs | {row['legacy'] / row['json']:>15.0f}x"
        print(line)
    print()
    first, last = rows[0], rows[-1]
    flat = last["json"] / first["json"]
    print(f"flatness ({last['size']:,} vs {first['size']:,} files, stdlib json): {flat:.2f}x")
    at_10k = next((r for r in rows if r["size"] == 10_000), None)
    if at_10k:
        print(f"legacy / capture at 10,000 files: {at_10k['legacy'] / at_10k['json']:.0f}x")
    print(f"µs per call at {first['size']:,} files, stdlib json: {first['json']:.1f}")
    fresh_text = ", ".join(f"{b} {v:.1f} µs" for b, v in fresh_us.items())
    print(f"new strings in every call (at {first['size']:,} files): {fresh_text}")
    print()
    for backend, floor in floors.items():
        value = median(floor.samples)
        ratio = first[backend] / value
        print(f"floor ({backend}: encode + create + write only): {value:.1f} µs; ", end="")
        print(f"capture at {first['size']:,} files is {ratio:.2f}x the floor")
    if idle:
        cap_us, floor_us = idle
        print(f"a call after {args.idle:g} s idle ({backends[-1]}, wall clock, median of ", end="")
        print(f"{args.idle_calls}): capture {cap_us:.0f} µs, floor {floor_us:.0f} µs ", end="")
        print(f"({cap_us / floor_us:.2f}x)")
    print()
    med = {name: median(samples) for name, samples in overhead.items()}
    for name, value in med.items():
        print(f"{name:>26}: {value:8.1f} µs per call")
    for name, value, added, _alone in overheads(overhead):
        if added is not None:
            print(f"{name} costs {value:.1f} µs, {added:+.1f} µs over a bare call (<= 15 µs)")
    return 0


def idle_calls(case: CaptureCase, floor: FloorCase, args: argparse.Namespace) -> tuple | None:
    """Median wall time of one capture call and of one floor write, each after a pause."""
    if args.idle_calls <= 0:
        return None
    serialize.set_json_backend(case.backend)
    set_recorder(case.rec)
    cap, flo = [], []
    try:
        for _ in range(args.idle_calls):
            time.sleep(args.idle)
            start = time.perf_counter()
            tool_checkpoint(TOOL, INPUT, OUTPUT, "ok")
            cap.append((time.perf_counter() - start) * 1e6)
            time.sleep(args.idle)
            start = time.perf_counter()
            floor.one()
            flo.append((time.perf_counter() - start) * 1e6)
    finally:
        set_recorder(None)
        serialize.set_json_backend("auto")
    return median(cap), median(flo)


def _integration_batch(name: str, call: object, calls: int) -> float:
    install = getattr(call, "install", None)
    if install is None:
        return batch_us(call, calls)
    uninstall = install()  # e.g. http.install(recorder) for the captured httpx case
    try:
        return batch_us(call, calls)
    finally:
        uninstall()


if __name__ == "__main__":
    sys.exit(main())
