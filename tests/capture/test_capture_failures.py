"""Capture never raises into the agent: failed writes are counted, names cannot escape."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from forensics_tui.capture import Recorder, checkpoint

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^\d{6}_[A-Za-z0-9_.-]{1,80}\.json$")


def _fail_with(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


def _leftovers(run_dir: Path) -> list[str]:
    return [n for n in os.listdir(run_dir) if n.endswith(".tmp")]


def test_disk_full_on_write_is_counted_and_warned_once(tmp_path: Path, monkeypatch) -> None:
    rec = Recorder(tmp_path, "r")
    assert rec.record("ok_before", {}, None) is not None
    monkeypatch.setattr(os, "write", _fail_with(errno.ENOSPC))
    with pytest.warns(RuntimeWarning, match="could not write a fixture"):
        assert rec.record("lost", {"x": 1}, None) is None
    assert rec.dropped == 1
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second warning would raise here
        assert rec.record("lost", {"x": 2}, None) is None
    assert rec.dropped == 2
    monkeypatch.undo()
    assert rec.record("ok_after", {}, None) is not None
    assert _leftovers(rec.run_dir) == []


def test_permission_denied_on_placing_files_in_a_decorated_call(
    tmp_path: Path, monkeypatch
) -> None:
    rec = Recorder(tmp_path, "r")

    @checkpoint("agent_step", recorder=rec)
    def step(n: int) -> int:
        return n * 2

    monkeypatch.setattr(os, "link", _fail_with(errno.EACCES))  # a new call's first file
    monkeypatch.setattr(os, "replace", _fail_with(errno.EACCES))  # its final file
    with pytest.warns(RuntimeWarning):
        assert step(21) == 42  # the agent's call returns normally
    assert rec.dropped == 2  # the pending write and the final write
    monkeypatch.undo()
    assert _leftovers(rec.run_dir) == []


def test_file_size_limit_is_a_real_write_error(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel refuse the write (EFBIG), like a full disk."""
    code = f"""
        import resource, signal, warnings
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        from forensics_tui.capture import Recorder
        rec = Recorder({str(tmp_path)!r}, "limited")
        rec.record("small", {{}}, None)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        warnings.simplefilter("ignore")
        result = rec.record("big", {{"blob": "x" * 100_000}}, None)
        print(result, rec.dropped)
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["None", "1"]
    names = sorted(os.listdir(tmp_path / "limited"))
    assert [n for n in names if not n.startswith(".")] == ["000001_small.json", "run.json"]
    assert not [n for n in names if n.endswith(".tmp")]


def test_root_that_is_a_file_drops_instead_of_raising(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    rec = Recorder(blocker, "r")
    with pytest.warns(RuntimeWarning):
        assert rec.record("t", {}, None) is None
    handle = rec.start_call("t", {})
    assert handle.finish("out") is None
    assert rec.dropped == 3
    rec.end()  # nothing started, nothing raised


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_run_directory(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r")
    rec.record("a", {}, None)
    rec.run_dir.chmod(0o500)
    try:
        with pytest.warns(RuntimeWarning):
            assert rec.record("b", {}, None) is None
        assert rec.dropped == 1
    finally:
        rec.run_dir.chmod(0o700)


HOSTILE = [
    "../../x",
    "a/b",
    "/etc/passwd",
    "a\x00b",
    "x" * 300,
    "🔥🔥🔥",
    "",
    ".",
    "..",
    "fetch\u202eexe.txt",
    "con:stream",
    "a\\b\\..\\..\\c",
    "\n\r\t",
]


@pytest.mark.parametrize("tool", HOSTILE, ids=[repr(t)[:20] for t in HOSTILE])
def test_hostile_tool_names_stay_inside_the_run_dir(tmp_path: Path, tool: str) -> None:
    rec = Recorder(tmp_path / "root", "r")
    path = rec.record(tool, {"q": 1}, None)
    assert path is not None
    assert path.parent == rec.run_dir
    assert path.resolve().parent == rec.run_dir.resolve()
    assert NAME.match(path.name), path.name
    assert json.loads(path.read_text())["tool"] == tool  # the real name is kept in the file
    assert sorted(p.name for p in (tmp_path / "root").iterdir()) == ["r"]


def test_non_string_tool_names(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r")
    path = rec.record(42, {}, None)
    assert path.name == "000001_42.json"
    assert json.loads(path.read_text())["tool"] == "42"


def test_a_file_system_without_hard_links_still_gets_every_fixture(
    tmp_path: Path, monkeypatch
) -> None:
    rec = Recorder(tmp_path, "nolinks")
    monkeypatch.setattr(os, "link", _fail_with(errno.EPERM))  # vfat, some FUSE mounts
    paths = [rec.record("tool", {"i": i}, None) for i in range(3)]
    assert [p.name for p in paths] == [f"00000{i}_tool.json" for i in (1, 2, 3)]
    assert [json.loads(p.read_text())["input"] for p in paths] == [{"i": i} for i in range(3)]
    assert rec.dropped == 0 and _leftovers(rec.run_dir) == []
