"""Analysis checkpoints answer exactly what the whole-root analysis answers, and only faster.

``check`` starts from a checkpoint saved in the cache directory when every run before it is
unchanged (core.analysis.checkpoints).  These tests compare its JSON with the whole-root answer
(``FORENSICS_NO_CHECKPOINTS``) over generated histories, after changes to old runs, after an
``accept``, with a damaged or planted cache file, and with chunked first passes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from forensics_tui.cli.main import cli
from forensics_tui.core.analysis import checkpoints
from forensics_tui.core.storage.factories import make_run_dir
from tests.analysis.test_cross_surface import _write, history_st

GOOD = {"tool": "fetch", "output": {"status_code": 200, "body": {"id": 1, "name": "a"}}}
DRIFT = {"tool": "fetch", "output": {"status_code": 200, "body": {"id": "1", "label": "a"}}}
NOTIFY = {"tool": "notify", "output": {"sent": True}}


def _check(root: Path, *args: str, cache: Path, whole: bool = False) -> tuple[int, Any]:
    env = {"XDG_CACHE_HOME": str(cache), "COLUMNS": "200"}
    if whole:
        env["FORENSICS_NO_CHECKPOINTS"] = "1"
    result = CliRunner().invoke(cli, ["check", *args, "--json", "--dir", str(root)], env=env)
    assert "Traceback" not in result.output, result.output
    # a stale pending call says how long it has been pending: the clock, not the analysis
    text = re.sub(r"pending after \d+ s", "pending after N s", result.stdout)
    return result.exit_code, json.loads(text)


def _diff_agrees(root: Path, cache: Path, run_id: str) -> None:
    args = ["diff", "--run", run_id, "--json", "--dir", str(root)]
    env = {"XDG_CACHE_HOME": str(cache), "COLUMNS": "200"}
    whole = CliRunner().invoke(cli, args, env={**env, "FORENSICS_NO_CHECKPOINTS": "1"})
    fast = CliRunner().invoke(cli, args, env=env)
    assert (fast.exit_code, fast.output) == (whole.exit_code, whole.output), run_id


def _postmortem_agrees(root: Path, cache: Path, run_id: str | None = None) -> Any:
    """``postmortem --format json`` from the checkpoints equals the whole-root one."""
    args = ["postmortem", *([run_id] if run_id else []), "--format", "json", "--dir", str(root)]
    env = {"XDG_CACHE_HOME": str(cache), "COLUMNS": "200"}
    whole = CliRunner().invoke(cli, args, env={**env, "FORENSICS_NO_CHECKPOINTS": "1"})
    fast = CliRunner().invoke(cli, args, env=env)
    assert "Traceback" not in fast.output, fast.output
    assert (fast.exit_code, fast.output) == (whole.exit_code, whole.output), run_id
    return json.loads(whole.output) if whole.exit_code == 0 else None


def _age(root: Path, seconds: float = 60.0, only: str | None = None) -> None:
    """Make every run directory (or run ``only``) look untouched for a while (checkpoints
    skip hot runs)."""
    past = time.time() - seconds
    for entry in root.iterdir():
        if entry.is_dir() and only in (None, entry.name):
            os.utime(entry, (past, past))


def _same(root: Path, cache: Path, *args: str) -> Any:
    whole = _check(root, *args, cache=cache, whole=True)
    first = _check(root, *args, cache=cache)
    again = _check(root, *args, cache=cache)
    assert first == whole and again == whole, (args, whole, first, again)
    return whole[1]


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The runs each store scan was asked for from now on (``{"<all>"}``: the whole root)."""
    seen: list[set[str]] = []
    real_scan = checkpoints.FixtureStore.scan

    def spy(self: Any, progress: Any = None, *, only: Any = None) -> None:
        seen.append(set(only) if only is not None else {"<all>"})
        real_scan(self, progress, only=only)

    monkeypatch.setattr(checkpoints.FixtureStore, "scan", spy)
    return seen


def _cache_dir(root: Path, cache: Path) -> Path:
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache)
    try:
        return checkpoints.cache_dir(root)
    finally:
        if old is not None:
            os.environ["XDG_CACHE_HOME"] = old


def _history(root: Path, runs: int, drift_at: int | None = None) -> list[str]:
    ids = []
    for n in range(1, runs + 1):
        run_id = f"202602{n:02d}_000000"
        first = DRIFT if n == drift_at else GOOD
        make_run_dir(root, run_id, [first, NOTIFY, dict(GOOD)])
        ids.append(run_id)
    return ids


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(history=history_st)
def test_generated_histories_answer_the_same(history: list[Any]) -> None:
    root = Path(tempfile.mkdtemp(prefix="checkpoints_"))
    cache = Path(tempfile.mkdtemp(prefix="checkpoints_cache_"))
    try:
        run_ids = _write(root, history)
        _age(root)
        _same(root, cache)
        for run_id in run_ids:
            _same(root, cache, run_id)
        # an old run changes (a failing call lands in it) and a new run arrives
        make_run_dir(
            root, run_ids[0], [{"tool": "fetch", "status": "error", "seq": 9}], status=None
        )
        make_run_dir(root, "20260199_000000", [GOOD])
        _same(root, cache)
        for run_id in run_ids:
            _same(root, cache, run_id)
            _diff_agrees(root, cache, run_id)
            _postmortem_agrees(root, cache, run_id)
        _postmortem_agrees(root, cache)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)


def test_second_check_reads_only_the_newest_run(tmp_path: Path, scanned: list[set[str]]) -> None:
    root, cache = tmp_path / "root", tmp_path / "cache"
    ids = _history(root, 6)
    _age(root)
    _same(root, cache)
    assert (_cache_dir(root, cache) / "runs.json").is_file()
    scanned.clear()
    code, report = _check(root, cache=cache)
    assert code == 0 and report["runs"][0]["run_id"] == ids[-1]
    assert scanned == [{ids[-1]}]


def test_a_changed_old_run_is_seen(tmp_path: Path) -> None:
    root, cache = tmp_path / "root", tmp_path / "cache"
    ids = _history(root, 5)
    _age(root)
    assert _same(root, cache)["ok"]
    # run 4 drifts after the checkpoint was taken: run 5 is now compared with run 3 and
    # sees no drift, while run 4 itself fails
    make_run_dir(root, ids[3], [DRIFT, NOTIFY, dict(GOOD)])
    _age(root)
    report = _same(root, cache, ids[3])
    assert not report["ok"] and report["runs"][0]["findings"][0]["kind"] == "schema_drift"
    assert _same(root, cache)["ok"]


def test_hot_runs_are_never_checkpointed(tmp_path: Path) -> None:
    root, cache = tmp_path / "root", tmp_path / "cache"
    _history(root, 4)  # just written: every run is hot
    _same(root, cache)
    assert not list(_cache_dir(root, cache).glob("cp-*.json"))


def test_accept_takes_effect_at_once(tmp_path: Path) -> None:
    root, cache = tmp_path / "root", tmp_path / "cache"
    ids = _history(root, 4, drift_at=4)
    _age(root)
    assert not _same(root, cache)["ok"]
    result = CliRunner().invoke(
        cli,
        ["accept", ids[-1], "--tool", "fetch", "--dir", str(root)],
        env={"XDG_CACHE_HOME": str(cache)},
    )
    assert result.exit_code == 0, result.output
    assert _same(root, cache)["ok"]


def test_a_damaged_or_planted_cache_is_ignored(tmp_path: Path) -> None:
    root, cache = tmp_path / "root", tmp_path / "cache"
    _history(root, 5, drift_at=5)
    _age(root)
    expected = _same(root, cache)
    directory = _cache_dir(root, cache)
    (point,) = [p for p in directory.glob("cp-*.json") if p.name != "cp-5.json"][-1:]
    data = json.loads(point.read_text())
    for row in data["state"]["calls"]:  # a checkpoint naming a call outside the root
        row[5] = "../../etc/passwd"
    point.write_text(json.dumps(data))
    assert _check(root, cache=cache)[1] == expected
    point.write_text("{not json")
    assert _check(root, cache=cache)[1] == expected
    for path in directory.glob("cp-*.json"):
        path.unlink()
        target = tmp_path / f"elsewhere-{path.name}"
        target.write_text("{}")
        path.symlink_to(target)
    assert _check(root, cache=cache)[1] == expected
    for target in tmp_path.glob("elsewhere-*"):
        assert target.read_text() == "{}"  # planted links are never written through
    (directory / "runs.json").write_text('{"signature": "forged", "runs": 7}')
    assert _check(root, cache=cache)[1] == expected


def test_chunked_first_pass_leaves_checkpoints(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(checkpoints, "CHUNK_CALLS", 4)  # two runs per chunk
    root, cache = tmp_path / "root", tmp_path / "cache"
    ids = _history(root, 9, drift_at=7)
    _age(root)
    for run_id in (None, ids[6], ids[2]):
        _same(root, cache, *([run_id] if run_id else []))
    saved = json.loads((_cache_dir(root, cache) / "runs.json").read_text())["points"]
    assert len(saved) > 1 and all(p <= len(ids) for p in saved)
    assert sorted(p.name for p in _cache_dir(root, cache).glob("cp-*")) == sorted(
        f"cp-{p}.json" for p in saved
    )


@pytest.mark.parametrize("name", ["0201", "run_20260203_000000"])
def test_names_the_tui_shows_are_accepted(tmp_path: Path, name: str) -> None:
    root, cache = tmp_path / "root", tmp_path / "cache"
    _history(root, 3)
    _age(root)
    code, report = _check(root, name, cache=cache)
    assert code == 0 and report["runs"][0]["run_id"].startswith("202602")


FAILING = {
    "tool": "fetch",
    "status": "error",
    "error": {"type": "ReadTimeout", "message": "timed out after 5 s"},
}


def test_postmortem_reads_only_the_runs_after_the_checkpoint(
    tmp_path: Path, scanned: list[set[str]]
) -> None:
    """The streak and the recurring failure began before the checkpoint: the post-mortem of a
    new run still names the onset run, the run before it and the promoted pattern."""
    root, cache = tmp_path / "root", tmp_path / "cache"
    ids = _history(root, 3)
    for n in (4, 5, 6):
        run_id = f"202602{n:02d}_000000"
        manifest = {"labels": {"agent_version": f"1.{n}"}}
        make_run_dir(root, run_id, [FAILING, NOTIFY], status="failed", manifest=manifest)
        ids.append(run_id)
    _age(root)
    _same(root, cache)  # leaves a checkpoint after run 6
    make_run_dir(root, "20260207_000000", [FAILING, NOTIFY], status="failed")
    _age(root, only="20260207_000000")
    report = _postmortem_agrees(root, cache)
    assert scanned[-1] == {"20260207_000000"}, scanned
    assert report["onset"]["run_id"] == ids[3]
    assert report["onset"]["previous_run_id"] == ids[2]
    assert any(c["what"] == "label" for c in report["onset"]["changed"])
    assert report["recurring"]["run_count"] == 4
    assert report["recurring"]["first_seen"] == ids[3]
    assert report["first_failure"]["baseline"]["run_id"] == ids[2]


def test_postmortem_grades_the_runs_reexecutions(tmp_path: Path, scanned: list[set[str]]) -> None:
    """A re-execution run after the target is read (and graded) from the checkpoint too."""
    from forensics_tui.core.storage.factories import make_fixture

    root, cache = tmp_path / "root", tmp_path / "cache"
    _history(root, 3)
    target = "20260204_000000"
    make_run_dir(root, target, [FAILING, NOTIFY], status="failed")
    _age(root)
    _same(root, cache)
    original = json.loads(next((root / target).glob("000001_*.json")).read_text())
    redo = make_fixture(
        tool="fetch",
        seq=1,
        output=GOOD["output"],
        meta={"reexec_of": {"call_id": original["call_id"]}},
    )
    manifest = {"labels": {"reexec_of": original["call_id"], "reexec_of_run": target}}
    make_run_dir(root, "20260205_000000", [redo], manifest=manifest)
    _age(root, only="20260205_000000")
    report = _postmortem_agrees(root, cache, target)
    assert scanned[-1] == {target, "20260205_000000"}, scanned
    assert report["reexecutions"], report
