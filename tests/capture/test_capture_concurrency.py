"""Many writers, one run: no collisions, no lost fixtures, nothing half-written after a kill."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROCESSES, THREADS, CALLS = 8, 4, 40

WRITER = """
import sys, threading
from forensics_tui.capture import Recorder
root, run_id, threads, calls = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rec = Recorder(root, run_id)
go = threading.Barrier(threads)

def work(t):
    go.wait()
    for i in range(calls):
        if i % 2:
            rec.record("same_tool", {"t": t, "i": i}, {"ok": True})
        else:
            h = rec.start_call("same_tool", {"t": t, "i": i})
            h.finish({"ok": True})

workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
for w in workers: w.start()
for w in workers: w.join()
print(rec.dropped)
"""

LOOPING_WRITER = """
import sys
from forensics_tui.capture import Recorder
rec = Recorder(sys.argv[1], "crashy")
i = 0
print("ready", flush=True)
while True:
    i += 1
    payload = {"i": i, "blob": "y" * (i % 5000), "nested": [{"k": j} for j in range(i % 50)]}
    if i % 3:
        rec.record("writer", payload, {"echo": payload})
    else:
        rec.start_call("writer", payload).finish({"echo": payload})
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_processes_and_threads_sharing_one_run(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), "shared", str(THREADS), str(CALLS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for _ in range(PROCESSES)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "0"  # nothing dropped
    run_dir = tmp_path / "shared"
    names = [n for n in os.listdir(run_dir) if not n.startswith(".") and n != "run.json"]
    expected = PROCESSES * THREADS * CALLS
    assert len(names) == expected
    docs = [json.loads((run_dir / n).read_text()) for n in names]
    assert all(d["status"] == "ok" and d["output"] == {"ok": True} for d in docs)
    seqs = sorted(d["seq"] for d in docs)
    assert seqs == list(range(1, expected + 1))  # unique, and gap-free with one counter
    assert len({d["call_id"] for d in docs}) == expected
    writers = {(d["meta"]["pid"], d["input"]["t"], d["input"]["i"]) for d in docs}
    assert len(writers) == expected  # every call of every thread of every process landed
    assert not [n for n in os.listdir(run_dir) if n.endswith(".tmp")]


def test_killed_writer_never_leaves_a_half_written_fixture(tmp_path: Path) -> None:
    rng = random.Random(1234)
    for _ in range(30):
        proc = subprocess.Popen(
            [sys.executable, "-c", LOOPING_WRITER, str(tmp_path)],
            stdout=subprocess.PIPE,
            env=_env(),
        )
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.08))
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        proc.stdout.close()
    run_dir = tmp_path / "crashy"
    finals = [p for p in run_dir.iterdir() if not p.name.startswith(".")]
    assert len(finals) > 30
    seqs = []
    for path in finals:
        doc = json.loads(path.read_text())  # raises on a torn file
        if path.name != "run.json":
            assert doc["status"] in ("ok", "pending")
            seqs.append(doc["seq"])
    assert len(seqs) == len(set(seqs))
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "running"  # killed: readers will call it crashed


def test_forked_child_gets_its_own_counter_lock(tmp_path: Path) -> None:
    from forensics_tui.capture import Recorder

    rec = Recorder(tmp_path, "forked")
    rec.record("before_fork", {}, None)  # the counter file is open in the parent now
    pid = os.fork()
    if pid == 0:  # child: share the run, never end it
        try:
            for i in range(1000):
                rec.record("child", {"i": i}, None)
        finally:
            os._exit(0)
    for i in range(1000):
        rec.record("parent", {"i": i}, None)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    docs = [json.loads(p.read_text()) for p in rec.run_dir.glob("0*.json")]
    assert len(docs) == 2001
    assert sorted(d["seq"] for d in docs) == list(range(1, 2002))
    assert {d["meta"]["pid"] for d in docs} == {os.getpid(), pid}
    manifest = json.loads((rec.run_dir / "run.json").read_text())
    assert manifest["pid"] == os.getpid()
