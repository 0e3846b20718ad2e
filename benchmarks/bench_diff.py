"""Benchmark the call diff: few-field changes in 1 MB / 10 MB outputs, and a one-item insert.

Run: ``python benchmarks/bench_diff.py [--repeat 7]``.  Parsing is excluded (payloads are built
in memory).  Also measures DeepDiff alone on the 1 MB case in the same run, for comparison.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forensics_tui.core.analysis.treediff import diff_values


def make_payload(target_bytes: int, seed: int = 1) -> dict[str, Any]:
    """A realistic API response: metadata plus a list of nested records."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    size = 0
    i = 0
    while size < target_bytes:
        item = {
            "id": i,
            "sku": f"SKU-{rng.randrange(10**8):08d}",
            "name": f"Product {i} " + "x" * rng.randrange(5, 30),
            "price": round(rng.uniform(1, 500), 2),
            "in_stock": rng.random() > 0.2,
            "tags": rng.sample(["a", "b", "c", "d", "e", "f"], 3),
            "dims": {"w": rng.randrange(100), "h": rng.randrange(100), "unit": "cm"},
        }
        items.append(item)
        size += len(json.dumps(item)) + 2
        i += 1
    return {"status_code": 200, "body": {"page": 1, "total": len(items), "items": items}}


def few_changes(payload: dict[str, Any], n: int = 3) -> dict[str, Any]:
    new = copy.deepcopy(payload)
    items = new["body"]["items"]
    rng = random.Random(2)
    for index in rng.sample(range(len(items)), n):
        items[index]["price"] = -1.0
    new["body"]["page"] = 2
    return new


def one_insert(payload: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(payload)
    new["body"]["items"].insert(5, {"id": -1, "name": "inserted"})
    return new


def volatile_insert(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every item carries a changing ``ts`` (ignored), plus one insert: the hash-align path."""
    old, new = copy.deepcopy(payload), one_insert(payload)
    for i, item in enumerate(old["body"]["items"]):
        item["ts"] = f"old-{i}"
    for i, item in enumerate(new["body"]["items"]):
        item["ts"] = f"new-{i}"
    return old, new


def timed(func: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-deepdiff", action="store_true", help="skip the slow baseline")
    args = parser.parse_args()

    one_mb = make_payload(1_000_000)
    ten_mb = make_payload(10_000_000)
    vol_old, vol_new = volatile_insert(one_mb)
    cases = [
        ("1 MB, few fields changed", one_mb, few_changes(one_mb), 10),
        ("10 MB, few fields changed", ten_mb, few_changes(ten_mb), 100),
        ("1 MB list, one item inserted near the front", one_mb, one_insert(one_mb), 50),
        ("1 MB list, one insert, every item's ts differs", vol_old, vol_new, None),
    ]
    for label, old, new, target in cases:
        ms, result = timed(lambda o=old, n=new: diff_values(o, n, ignore=["ts"]), args.repeat)
        kinds = sorted({c.kind for c in result.changes})
        if target is None:
            goal = "stress case, no target"
        else:
            goal = f"target ≤ {target} ms, {'OK' if ms <= target else 'SLOW'}"
        print(f"{label:<47} median {ms:8.2f} ms  ({goal}); {len(result.changes)} change(s) {kinds}")
    if not args.skip_deepdiff:
        from deepdiff import DeepDiff

        old, new = one_mb, few_changes(one_mb)
        ms, result = timed(lambda: DeepDiff(old, new, threshold_to_diff_deeper=0), 1)
        print(f"{'DeepDiff alone, 1 MB few fields (1 run)':<47} {ms:8.0f} ms")
        ins = one_insert(one_mb)
        ms, result = timed(lambda: DeepDiff(old, ins, threshold_to_diff_deeper=0), 1)
        count = sum(len(v) for v in result.values())
        print(f"{'DeepDiff alone, 1 MB one insert (1 run)':<47} {ms:8.0f} ms; {count} change(s)")


if __name__ == "__main__":
    main()
