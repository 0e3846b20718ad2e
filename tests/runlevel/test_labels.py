"""Automatic run labels: the git commit read from files (no git process), env and agent labels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from forensics_tui.capture import Recorder
from forensics_tui.capture import labels as labels_mod
from forensics_tui.capture.labels import env_labels, git_commit


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    (path / "a.txt").write_text("1")
    _git(path, "add", "a.txt")
    _git(path, "commit", "-q", "-m", "one")
    return path


def test_git_commit_loose_packed_detached_and_worktree(repo: Path, tmp_path: Path) -> None:
    head = _git(repo, "rev-parse", "HEAD")
    sub = repo / "src" / "pkg"
    sub.mkdir(parents=True)
    assert git_commit(str(sub)) == (head, "main")
    _git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert git_commit(str(repo)) == (head, "main")
    _git(repo, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "wt"))
    assert git_commit(str(tmp_path / "wt")) == (head, "feature")
    _git(repo, "checkout", "-q", "--detach")
    assert git_commit(str(repo)) == (head, None)
    assert git_commit(str(tmp_path / "nowhere")) == (None, None)


def test_hostile_git_files_never_raise(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    os.mkfifo(tmp_path / ".git" / "HEAD")  # a FIFO must not block the agent
    assert git_commit(str(tmp_path)) == (None, None)
    other = tmp_path / "other"
    other.mkdir()
    (other / ".git").write_text("gitdir: /does/not/exist\n")
    assert git_commit(str(other)) == (None, None)


def test_env_labels_parse() -> None:
    assert env_labels("agent_version=1.5.0, model=gpt-x,bad,=x") == {
        "agent_version": "1.5.0",
        "model": "gpt-x",
    }


def test_manifest_carries_automatic_env_and_agent_labels(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    monkeypatch.setattr(labels_mod, "_cache", None)  # computed once per process: start afresh
    monkeypatch.setenv("FORENSICS_LABELS", "env=staging,model=m1")
    rec = Recorder(tmp_path / "root", "r1", labels={"model": "m2"})
    rec.record("t", {}, {"ok": True})
    rec.set_label("agent_version", "2.0.0")
    rec.end()
    manifest = json.loads((rec.run_dir / "run.json").read_text())
    labels = manifest["labels"]
    assert labels["git_commit"] == _git(repo, "rev-parse", "HEAD")
    assert labels["git_branch"] == "main"
    assert labels["python"] == ".".join(map(str, sys.version_info[:3]))
    assert labels["host"] == manifest["host"]
    assert labels["env"] == "staging" and labels["model"] == "m2"  # the agent's own wins
    assert labels["agent_version"] == "2.0.0"
    monkeypatch.setenv("FORENSICS_AUTO_LABELS", "0")
    rec2 = Recorder(tmp_path / "root", "r2")
    rec2.record("t", {}, None)
    assert json.loads((rec2.run_dir / "run.json").read_text())["labels"] == {
        "env": "staging",
        "model": "m1",
    }


def test_labels_are_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORENSICS_AUTO_LABELS", "0")
    monkeypatch.delenv("FORENSICS_LABELS", raising=False)
    rec = Recorder(tmp_path, "r", labels={"api_key": "sk-live-1234567890abcdef"})
    rec.record("t", {}, None)
    assert json.loads((rec.run_dir / "run.json").read_text())["labels"]["api_key"] == "[REDACTED]"


def test_recorded_tool_definitions_and_labels_explain_an_onset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: two runs written by the recorder, the second with a new tool contract."""
    from forensics_tui.core.analysis.history import call_history
    from tests.runlevel.conftest import open_analysis

    monkeypatch.setenv("FORENSICS_AUTO_LABELS", "0")
    monkeypatch.delenv("FORENSICS_LABELS", raising=False)
    schema = {"type": "object", "properties": {"sku": {"type": "string"}}}
    for n, (props, status) in enumerate(
        [(schema, "ok"), ({**schema, "required": ["sku"]}, "error")]
    ):
        rec = Recorder(tmp_path, f"2026010{n + 1}_000000", task="sync")
        rec.set_tool_definition("lookup", {"description": "Find stock", "input_schema": props})
        rec.set_label("agent_version", f"1.{n}.0")
        rec.record("lookup", {"sku": "A-1"}, {"qty": 1} if status == "ok" else None, status)
        rec.end()
    manifest = json.loads((tmp_path / "20260102_000000" / "run.json").read_text())
    assert manifest["tools"]["lookup"]["input_schema"]["required"] == ["sku"]
    onset = call_history(open_analysis(tmp_path), "lookup").onset
    assert onset is not None and onset.run_id == "20260102_000000"
    assert [(c.what, c.path) for c in onset.changed] == [
        ("tool_definition", "input_schema.required"),
        ("label", "agent_version"),
    ]
