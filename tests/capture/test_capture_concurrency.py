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


def test_killed_writer_never_leaves_a_torn_fixture(tmp_path: Path) -> None:
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
    unwritten = []
    for path in finals:
        data = path.read_bytes()
        if not data and path.name != "run.json":  # created; the kill beat its one write
            unwritten.append(path.name)
            continue
        doc = json.loads(data)  # raises on a torn file
        if path.name != "run.json":
            assert doc["status"] in ("ok", "pending")
            seqs.append(doc["seq"])
    assert len(seqs) == len(set(seqs))
    assert len(unwritten) <= 30  # at most one per kill
    if unwritten:  # listed, not lost: a broken row that says what it is
        from forensics_tui.core.storage.loader import read_call

        call = read_call(run_dir / unwritten[0], run_id="crashy")
        assert call.status == "broken" and call.problem == "empty file"
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


def test_a_run_from_an_earlier_version_continues_after_its_highest_seq(tmp_path: Path) -> None:
    from forensics_tui.capture import Recorder

    run_dir = tmp_path / "old"
    run_dir.mkdir()
    (run_dir / "000007_lookup.json").write_text("{}")
    (run_dir / ".seq").write_bytes(b"%020d" % 9)  # the old counter: seqs 8, 9 were handed out
    rec = Recorder(tmp_path, "old")
    assert rec.record("lookup", {}, None).name == "000010_lookup.json"
    fresh = tmp_path / "files-only"
    fresh.mkdir()
    (fresh / "000041_x.json").write_text("{}")
    assert Recorder(tmp_path, "files-only").record("x", {}, None).name == "000042_x.json"


def test_a_writer_that_does_not_share_the_counter_is_never_overwritten(tmp_path: Path) -> None:
    from forensics_tui.capture import Recorder

    rec = Recorder(tmp_path, "mixed")
    assert rec.record("lookup", {"n": 1}, None).name == "000001_lookup.json"
    foreign = rec.run_dir / "000002_lookup.json"  # e.g. another version with its own counter
    foreign.write_text('{"foreign": true}')
    path = rec.record("lookup", {"n": 2}, None)
    assert path is not None and path.name == "000003_lookup.json"
    assert json.loads(foreign.read_text()) == {"foreign": True}
    assert json.loads(path.read_text())["seq"] == 3
    handle = rec.start_call("lookup", {"n": 3})  # a two-phase call claims its name the same way
    (rec.run_dir / "000005_lookup.json").write_text('{"foreign": 5}')
    assert handle.path is not None and handle.path.name == "000004_lookup.json"
    assert handle.finish({"ok": True}) == handle.path  # the final file replaces its own pending
    assert rec.record("lookup", {"n": 4}, None).name == "000006_lookup.json"
    assert json.loads((rec.run_dir / "000005_lookup.json").read_text()) == {"foreign": 5}
    assert not [n for n in os.listdir(rec.run_dir) if n.endswith(".tmp")]
