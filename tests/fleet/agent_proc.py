"""A stand-in agent for the fleet tests: CALLS calls, each written pending then final, through
the real capture layer.  Optionally records how long each call's writes took (to prove capture
never waits on the network)."""

from __future__ import annotations

import json
import sys
import time

from forensics_tui.capture import Recorder


def main() -> None:
    root, run, calls, pause_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    stats_path = sys.argv[5] if len(sys.argv) > 5 else None
    rec = Recorder(root, run_id=run, agent="fleet-test")
    slowest = 0.0
    for i in range(calls):
        t0 = time.perf_counter()
        handle = rec.start_call("lookup", {"i": i})
        slowest = max(slowest, time.perf_counter() - t0)
        if pause_ms:
            time.sleep(pause_ms / 2000)  # in flight: a shipper may see the pending state
        t0 = time.perf_counter()
        handle.finish({"value": i, "pad": "x" * 600})
        slowest = max(slowest, time.perf_counter() - t0)
        if pause_ms:
            time.sleep(pause_ms / 2000)
    rec.end()
    if stats_path:
        with open(stats_path, "w") as out:
            json.dump({"slowest_s": slowest, "calls": calls}, out)


if __name__ == "__main__":
    main()
