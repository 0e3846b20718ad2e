"""Recorder: fixture fields, pending -> final lifecycle, the manifest, permissions, laziness."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from forensics_tui.capture import Recorder, get_recorder, set_recorder, tool_checkpoint
from forensics_tui.core.model import Run

ROOT = Path(__file__).resolve().parents[2]
FIELDS = [
    "format",
    "run_id",
    "call_id",
    "seq",
    "tool",
    "status",
    "input",
    "output",
    "error",
    "ts",
    "ended_at",
    "duration_ms",
    "replay",
    "redacted",
    "meta",
]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


def test_creating_a_recorder_touches_no_disk(tmp_path: Path) -> None:
    rec = Recorder(tmp_path / "root", "r1")
    assert rec.run_dir == tmp_path / "root" / "r1"
    assert not (tmp_path / "root").exists()
    rec.end()  # ending a run that never wrote anything writes nothing either
    assert not (tmp_path / "root").exists()


def test_record_writes_one_complete_fixture(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "run-a", agent="bot")
    path = rec.record(
        "send_notification", {"to": "#ops"}, {"ok": True}, "ok", duration_ms=12.5, meta={"k": 1}
    )
    assert path == tmp_path / "run-a" / "000001_send_notification.json"
    doc = load(path)
    assert list(doc) == FIELDS
    assert doc["format"] == 1
    assert doc["run_id"] == "run-a"
    assert doc["call_id"] == "run-a-000001"
    assert doc["seq"] == 1
    assert doc["tool"] == "send_notification"
    assert doc["status"] == "ok"
    assert doc["input"] == {"to": "#ops"}
    assert doc["output"] == {"ok": True}
    assert doc["error"] is None
    assert doc["ts"].endswith("+00:00") and doc["ended_at"].endswith("+00:00")
    assert doc["ts"] < doc["ended_at"]
    assert doc["duration_ms"] == 12.5
    assert doc["redacted"] == []
    assert doc["meta"]["pid"] == os.getpid()
    assert doc["meta"]["host"]
    assert doc["meta"]["agent"] == "bot"
    assert doc["meta"]["k"] == 1
    assert rec.dropped == 0


def test_seq_and_call_ids_count_up_across_tools(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r")
    paths = [rec.record(tool, {}, None) for tool in ["a", "b", "a", "c"]]
    assert [p.name for p in paths] == [
        "000001_a.json",
        "000002_b.json",
        "000003_a.json",
        "000004_c.json",
    ]
    assert [load(p)["call_id"] for p in paths] == [f"r-{i:06d}" for i in range(1, 5)]


def test_error_from_exception_and_dict(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r")
    try:
        raise KeyError("missing")
    except KeyError as exc:
        first = load(rec.record("lookup", {"id": 1}, None, "error", error=exc))
    assert first["error"]["type"] == "KeyError"
    assert first["error"]["message"] == "'missing'"
    assert "raise KeyError" in first["error"]["traceback"]
    given = {"type": "HTTPError", "message": "503", "traceback": None}
    second = load(rec.record("lookup", {}, None, "error", error=given))
    assert second["error"] == given


def test_pending_then_final_keeps_path_and_call_id(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r")
    handle = rec.start_call("slow_search", {"q": "x"}, replay={"kind": "python", "target": "m:f"})
    pending = load(handle.path)
    assert pending["status"] == "pending"
    assert pending["output"] is None and pending["ended_at"] is None
    assert pending["duration_ms"] is None
    assert pending["input"] == {"q": "x"}
    assert pending["replay"] == {"kind": "python", "target": "m:f"}
    final_path = handle.finish({"hits": 2}, "ok", meta={"attempt": 1})
    assert final_path == handle.path
    final = load(final_path)
    assert final["call_id"] == pending["call_id"] == handle.call_id
    assert final["seq"] == pending["seq"] == handle.seq == 1
    assert final["status"] == "ok"
    assert final["output"] == {"hits": 2}
    assert final["ts"] == pending["ts"]
    assert final["duration_ms"] >= 0 and final["ended_at"] >= final["ts"]
    assert final["input"] == {"q": "x"}
    assert final["meta"]["attempt"] == 1
    assert sorted(os.listdir(rec.run_dir)) == [".seqlog", "000001_slow_search.json", "run.json"]
    assert handle.finish({"again": True}) == final_path  # a second finish changes nothing
    assert load(final_path)["output"] == {"hits": 2}


def test_input_is_captured_when_the_call_starts(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r")
    args = {"items": [1, 2]}
    handle = rec.start_call("mutating_tool", args)
    args["items"].append(3)  # the tool changes its own input while running
    handle.finish("done")
    assert load(handle.path)["input"] == {"items": [1, 2]}


def test_private_permissions(tmp_path: Path) -> None:
    rec = Recorder(tmp_path / "deep" / "root", "r")
    path = rec.record("t", {}, None)
    for directory in (tmp_path / "deep", tmp_path / "deep" / "root", rec.run_dir):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((rec.run_dir / "run.json").stat().st_mode) == 0o600


def test_manifest_contents_and_end_status(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r", agent="sync-inventory", task="nightly", labels={"env": "prod"})
    rec.record("fetch", {}, {"n": 1})
    running = load(rec.run_dir / "run.json")
    assert running["format"] == 1
    assert running["run_id"] == "r"
    assert running["status"] == "running"
    assert running["ended_at"] is None
    assert running["agent"] == "sync-inventory" and running["task"] == "nightly"
    assert running["labels"]["env"] == "prod"  # besides the automatic labels (git, host, ...)
    assert running["pid"] == os.getpid() and running["host"]
    assert running["started_at"] <= load(rec.run_dir / "000001_fetch.json")["ts"]
    rec.record("upsert", {}, None, "timeout")
    rec.end()
    ended = load(rec.run_dir / "run.json")
    assert ended["status"] == "failed"
    assert ended["ended_at"] >= ended["started_at"] == running["started_at"]


def test_end_ok_and_explicit_status(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r")
    rec.record("a", {}, None)
    rec.end()
    assert load(rec.run_dir / "run.json")["status"] == "ok"
    rec.end("failed")
    assert load(rec.run_dir / "run.json")["status"] == "failed"


def test_normal_exit_ends_the_run_and_a_kill_leaves_it_crashed(tmp_path: Path) -> None:
    code = """
        import os, signal, sys
        from forensics_tui.capture import tool_checkpoint
        tool_checkpoint("step", {"i": 1}, {"ok": True}, "ok")
        if sys.argv[-1] == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
    """
    env = {"FORENSICS_FIXTURE_DIR": str(tmp_path)}
    done = run_python(code + "\n", {**env, "FORENSICS_RUN_ID": "clean"})
    assert done.returncode == 0, done.stderr
    clean = load(tmp_path / "clean" / "run.json")
    assert clean["status"] == "ok" and clean["ended_at"] is not None
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), "kill"],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env, "FORENSICS_RUN_ID": "killed"},
    )
    assert proc.wait(timeout=60) == -signal.SIGKILL
    killed = load(tmp_path / "killed" / "run.json")
    assert killed["status"] == "running" and killed["pid"] == proc.pid
    assert Run("killed", tmp_path / "killed", manifest=killed).status == "crashed"


def test_a_second_process_shares_the_run_without_taking_the_manifest(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "shared")
    rec.record("a", {}, None)
    code = f"""
        from forensics_tui.capture import Recorder
        Recorder({str(tmp_path)!r}, "shared").record("b", {{}}, None, "error")
    """
    assert run_python(code).returncode == 0
    manifest = load(rec.run_dir / "run.json")
    assert manifest["pid"] == os.getpid() and manifest["status"] == "running"
    assert sorted(p.name for p in rec.run_dir.glob("0*.json")) == ["000001_a.json", "000002_b.json"]


def test_a_new_process_takes_over_an_ended_run(tmp_path: Path) -> None:
    first = Recorder(tmp_path, "again")
    first.record("a", {}, None)
    first.end()
    started = load(first.run_dir / "run.json")["started_at"]
    code = f"""
        from forensics_tui.capture import Recorder
        Recorder({str(tmp_path)!r}, "again").record("b", {{}}, None)
        import os; os._exit(0)  # skip atexit: the run stays running under this pid
    """
    assert run_python(code).returncode == 0
    manifest = load(first.run_dir / "run.json")
    assert manifest["status"] == "running" and manifest["pid"] != os.getpid()
    assert manifest["started_at"] == started
    assert (first.run_dir / "000002_b.json").exists()


def test_run_directory_deleted_mid_run_is_recreated(tmp_path: Path) -> None:
    import shutil

    rec = Recorder(tmp_path, "r")
    rec.record("a", {}, None)
    shutil.rmtree(rec.run_dir)
    path = rec.record("b", {}, None)
    assert path is not None and path.exists() and rec.dropped == 0
    assert (rec.run_dir / "run.json").exists()


def test_run_directory_swapped_for_a_symlink_does_not_redirect_fixtures(tmp_path: Path) -> None:
    """First files are created through a descriptor of the run directory opened at the first
    write: a run directory moved away and replaced by a symlink keeps receiving them."""
    victim = tmp_path / "victim"
    victim.mkdir()
    rec = Recorder(tmp_path / "root", "r")
    rec.record("a", {}, None)
    moved = tmp_path / "root" / "moved"
    rec.run_dir.rename(moved)
    rec.run_dir.symlink_to(victim, target_is_directory=True)
    rec.record("b", {"i": 2}, None)
    assert list(victim.iterdir()) == []
    assert load(moved / "000002_b.json")["input"] == {"i": 2}
    assert rec.dropped == 0


def test_hostile_run_id_stays_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    rec = Recorder(root, "../../escape")
    path = rec.record("t", {}, None)
    assert path is not None
    assert path.resolve().is_relative_to(root.resolve())
    assert not (tmp_path / "escape").exists()


def test_default_recorder_and_legacy_signature(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FORENSICS_FIXTURE_DIR", str(tmp_path))
    monkeypatch.setenv("RUN_ID", "legacy-run")
    monkeypatch.delenv("FORENSICS_RUN_ID", raising=False)
    set_recorder(None)
    try:
        path = tool_checkpoint("send_notification", {"to": "x"}, {"ok": True}, "ok")
        assert path == tmp_path / "legacy-run" / "000001_send_notification.json"
        assert get_recorder() is get_recorder()
        assert get_recorder().run_id == "legacy-run"
        custom = Recorder(tmp_path, "custom")
        set_recorder(custom)
        assert tool_checkpoint("t", 1, 2, "ok").parent == tmp_path / "custom"
    finally:
        set_recorder(None)


def test_explicit_start_time(tmp_path: Path) -> None:
    import datetime as dt

    rec = Recorder(tmp_path, "r")
    naive = load(rec.record("a", {}, None, ts=dt.datetime(2026, 3, 1, 9, 0, 1)))
    assert naive["ts"] == "2026-03-01T09:00:01.000000+00:00"  # naive means UTC
    assert naive["duration_ms"] > 0
    text = load(rec.record("b", {}, None, ts="2026-03-01T09:00:02+00:00", duration_ms=5))
    assert text["ts"] == "2026-03-01T09:00:02.000000+00:00" and text["duration_ms"] == 5.0
    epoch = load(rec.record("c", {}, None, ts=0))
    assert epoch["ts"] == "1970-01-01T00:00:00.000000+00:00"
    manifest = load(rec.run_dir / "run.json")
    assert manifest["started_at"] == naive["ts"]  # the run started with its earliest call
