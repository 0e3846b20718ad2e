"""The foundation CLI (runs, replay, tail) through CliRunner, plus one real `tail --json` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from forensics_tui import __version__
from forensics_tui.capture import Recorder
from forensics_tui.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_version_and_help() -> None:
    assert invoke("--version").output.strip().endswith(__version__)
    for command in ("runs", "tail", "replay", "demo"):
        result = invoke(command, "--help")
        assert result.exit_code == 0, result.output
        assert "--dir" in result.output


def test_runs_json_counts_and_order(corpus_copy) -> None:
    root = corpus_copy("v1")
    result = invoke("runs", "--dir", str(root), "--json")
    assert result.exit_code == 0
    runs = json.loads(result.output)
    assert [r["run_id"] for r in runs][:2] == ["20260308_090000", "20260307_090000"]
    assert runs[0] == {
        "run_id": "20260308_090000",
        "started_at": "2026-03-08T09:00:00+00:00",
        "status": "failed",
        "outcome": "failed",
        "kind": "agent",
        "calls": 5,
        "counts": {"ok": 4, "error": 1},
    }
    skipped = next(r for r in runs if r["run_id"] == "20260305_090000")
    assert skipped["counts"] == {"ok": 4, "skipped": 1}


def test_runs_honours_env_and_group_dir(corpus_copy) -> None:
    root = corpus_copy("legacy")
    by_env = invoke("runs", "--json", env={"FORENSICS_FIXTURE_DIR": str(root)})
    by_group = invoke("--dir", str(root), "runs", "--json")
    assert json.loads(by_env.output) == json.loads(by_group.output)
    assert {r["run_id"] for r in json.loads(by_env.output)} == {
        "20260228_101500",
        "20260301_101500",
    }


def test_runs_table_is_plain_text(corpus_copy) -> None:
    result = invoke("runs", "--dir", str(corpus_copy("bad")))
    assert result.exit_code == 0
    assert "\x1b" not in result.output
    assert "20260310_120000" in result.output


def test_missing_root_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["runs", "--dir", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no fixture root" in result.output
    assert "Traceback" not in result.output


def test_replay_prints_chain_escaped(corpus_copy) -> None:
    root = corpus_copy("bad")
    result = invoke("replay", "--dir", str(root), "20260310_120000")
    assert result.exit_code == 0
    assert "[replay] ✓ fetch\\u202eexe.txt (ok)" in result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output
    unknown = CliRunner().invoke(cli, ["replay", "--dir", str(root), "../etc"])
    assert unknown.exit_code == 1


def test_replay_legacy_with_tool_filter(corpus_copy) -> None:
    root = corpus_copy("legacy")
    result = invoke("replay", "--dir", str(root), "20260301_101500", "--tool", "post_slack")
    assert result.exit_code == 0
    assert "post_slack" in result.output and "search_docs" not in result.output


def test_tail_once_json_with_broken_files(corpus_copy) -> None:
    root = corpus_copy("bad")
    result = invoke("tail", "--dir", str(root), "--once", "--json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 8
    broken = [r for r in rows if r["status"] == "broken"]
    assert len(broken) == 6
    assert all(r["error"] and r["path"].endswith(".json") for r in broken)
    assert {r["status"] for r in rows if r["status"] != "broken"} == {"ok", "pending"}


def test_tail_once_last_n_and_run_filter(corpus_copy) -> None:
    root = corpus_copy("v1")
    result = invoke("tail", "--dir", str(root), "--once", "-n", "3", "--json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["run_id"], r["seq"]) for r in rows] == [
        ("20260308_090000", 3),
        ("20260308_090000", 4),
        ("20260308_090000", 5),
    ]
    one = invoke("tail", "--dir", str(root), "--once", "--run", "20260305_090000")
    lines = one.output.splitlines()
    assert len(lines) == 5 and all("20260305_090000" in line for line in lines)
    assert "⊘" in lines[2] and "skipped" in lines[2]


def test_tail_once_missing_root_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["tail", "--dir", str(tmp_path / "x"), "--once"])
    assert result.exit_code == 2


def _read_json_line(proc: subprocess.Popen[str], deadline: float) -> dict:
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    while time.monotonic() < deadline:
        if sel.select(timeout=0.2):
            line = proc.stdout.readline()
            if line:
                return json.loads(line)
    raise AssertionError("tail printed nothing in time")


def test_tail_json_subprocess_streams_new_file(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FORENSICS_FIXTURE_DIR": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "forensics_tui", "tail", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        time.sleep(1.0)  # let it start; a file written during start-up is caught up anyway
        recorder = Recorder(root, run_id="live-run")
        handle = recorder.start_call("send_notification", {"text": "hi"})
        first = _read_json_line(proc, time.monotonic() + 20)
        assert first["tool"] == "send_notification" and first["status"] == "pending"
        handle.finish({"delivered": True}, "ok")
        second = _read_json_line(proc, time.monotonic() + 20)
        assert second["call_id"] == first["call_id"] and second["status"] == "ok"
        assert second["run_id"] == "live-run" and second["seq"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
