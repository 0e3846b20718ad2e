"""Files the project writes or reads under a fixture root, against planted symlinks, FIFOs,
devices and a full disk (a real ``RLIMIT_FSIZE``): nothing follows a link out, nothing hangs,
nothing is left half-written, and everything written is private."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics_tui.capture import Recorder
from forensics_tui.capture.safe_io import (
    ReadRefused,
    WriteRefused,
    append_bytes,
    atomic_write,
    create_file,
    private_dirs,
    read_file_bytes,
)
from forensics_tui.cli.main import cli
from forensics_tui.core.analysis.accept import AcceptedShapes
from forensics_tui.core.storage.factories import make_fixture, make_run_dir

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")

VICTIM_TEXT = "# victim shell rc\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "victim.rc"
    path.parent.mkdir()
    path.write_text(VICTIM_TEXT)
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    make_run_dir(root, "20260101_000000", [make_fixture(status="error", error={"type": "E"})])
    return root


def _env(root: Path) -> dict[str, str]:
    return {"FORENSICS_CONFIG": str(root.parent / "none.toml"), "FORENSICS_FIXTURE_DIR": ""}


# -- the helpers themselves -----------------------------------------------------------------


def test_append_refuses_a_symlink_and_a_fifo(tmp_path: Path, victim: Path) -> None:
    link = tmp_path / "audit.jsonl"
    link.symlink_to(victim)
    with pytest.raises(WriteRefused):
        append_bytes(link, b"line\n")
    assert victim.read_text() == VICTIM_TEXT
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(WriteRefused):  # ENXIO at once: nobody reads it
        append_bytes(fifo, b"line\n")


@pytest.mark.timeout(20)
def test_append_to_a_fifo_with_a_reader_is_refused_not_written(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(WriteRefused, match="fifo"):
            append_bytes(fifo, b"line\n")
        assert os.read(reader, 10) == b""  # nothing was written into the pipe
    finally:
        os.close(reader)


def test_atomic_write_replaces_a_planted_symlink_and_fifo(tmp_path: Path, victim: Path) -> None:
    (tmp_path / "out.md").symlink_to(victim)
    os.mkfifo(tmp_path / "other.md")
    atomic_write(str(tmp_path), "out.md", b"report")
    atomic_write(str(tmp_path), "other.md", b"report")
    assert victim.read_text() == VICTIM_TEXT
    for name in ("out.md", "other.md"):
        st = os.lstat(tmp_path / name)
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
        assert (tmp_path / name).read_bytes() == b"report"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_create_file_never_opens_or_replaces_an_entry(tmp_path: Path, victim: Path) -> None:
    (tmp_path / "link.json").symlink_to(victim)
    (tmp_path / "dangling.json").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "taken.json").write_bytes(b"someone else's")
    for name in ("link.json", "dangling.json", "fifo.json", "taken.json"):
        with pytest.raises(FileExistsError):
            create_file(str(tmp_path), name, b"{}")
    assert victim.read_text() == VICTIM_TEXT
    assert not (tmp_path / "nowhere").exists()
    assert (tmp_path / "taken.json").read_bytes() == b"someone else's"
    path = create_file(str(tmp_path), "new.json", b'{"a":1}')
    st = os.lstat(path)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert Path(path).read_bytes() == b'{"a":1}'


def test_private_dirs_refuse_a_symlinked_component(tmp_path: Path, victim: Path) -> None:
    (tmp_path / ".postmortems").symlink_to(victim.parent)
    with pytest.raises(WriteRefused):
        private_dirs(tmp_path, ".postmortems")
    made = private_dirs(tmp_path, "fresh")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700


@pytest.mark.timeout(20)
def test_reader_refuses_fifo_device_and_outside_symlink(tmp_path: Path, victim: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    os.mkfifo(root / "fifo.json")
    (root / "zero.json").symlink_to("/dev/zero")
    (root / "out.json").symlink_to(victim)
    for name, why in (("fifo.json", "fifo"), ("zero.json", "outside"), ("out.json", "outside")):
        with pytest.raises(ReadRefused, match=why):
            read_file_bytes(root / name, root=root, cap=1000)


# -- a full disk: short writes are finished or fail, never a truncated file --------------------

_FULL_DISK = textwrap.dedent(
    """
    import os, resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # EFBIG instead of a kill
    root = sys.argv[1]
    os.makedirs(os.path.join(root, "run1"))
    resource.setrlimit(resource.RLIMIT_FSIZE, (150, 150))  # the disk is "full" at 150 bytes
    from forensics_tui.capture import Recorder
    rec = Recorder(root, "run1", agent="a" * 400, task="t")
    rec.record("lookup", {"q": 1}, {"ok": True}, "ok")
    rec.end("ok")
    """
)


def test_run_json_is_never_truncated_on_a_full_disk(tmp_path: Path) -> None:
    root = tmp_path / "root"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(root)], env=env, capture_output=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr.decode()
    manifest = root / "run1" / "run.json"
    if manifest.exists():  # whatever is there is whole JSON, never the first 150 bytes
        json.loads(manifest.read_bytes())
    assert [p.name for p in (root / "run1").iterdir() if p.name.endswith((".tmp", ".claim"))] == []
    for path in (root / "run1").glob("0*.json"):  # a fixture the disk cut short is removed
        json.loads(path.read_bytes())


def test_write_file_raises_on_a_short_write(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import os, resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))
        from forensics_tui.capture.safe_io import write_file
        try:
            write_file(sys.argv[1], b"x" * 1000)
        except OSError as exc:
            print("raised", exc.errno)
        """
    )
    target = tmp_path / "out.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(target)], env=env, capture_output=True, timeout=60
    )
    assert b"raised" in proc.stdout, proc.stderr.decode()
    assert not target.exists()
    assert [p for p in tmp_path.iterdir()] == []  # the temp file is gone too


# -- the project's writers and readers under a root -----------------------------------------


def test_seq_counter_never_writes_through_a_symlink(tmp_path: Path, victim: Path) -> None:
    run = tmp_path / "root" / "run1"
    run.mkdir(parents=True)
    (run / ".seqlog").symlink_to(victim)
    with pytest.warns(RuntimeWarning, match="symbolic link"):  # refused, not followed
        Recorder(tmp_path / "root", "run1").record("lookup", {}, {}, "ok")
    assert victim.read_text() == VICTIM_TEXT


def test_old_seq_counter_symlink_is_not_read_or_written(tmp_path: Path, victim: Path) -> None:
    run = tmp_path / "root" / "run1"
    run.mkdir(parents=True)
    (run / ".seq").symlink_to(victim)  # the counter of earlier versions, read once if regular
    path = Recorder(tmp_path / "root", "run1").record("lookup", {}, {}, "ok")
    assert path is not None and path.name == "000001_lookup.json"
    assert victim.read_text() == VICTIM_TEXT


def test_postmortem_file_is_private_and_safe(root: Path, victim: Path) -> None:
    from forensics_tui.core.analysis.postmortem_file import postmortem_path, save_postmortem

    path = postmortem_path(root, "20260101_000000")
    path.parent.mkdir()
    os.chmod(path.parent, 0o755)
    (path.parent / f".{path.name}.tmp").symlink_to(victim)  # the old predictable temp name
    written = save_postmortem("# report\n", root=root, run_id="20260101_000000")
    assert written == path and path.read_text() == "# report\n"
    assert victim.read_text() == VICTIM_TEXT
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_postmortem_dir_symlink_is_refused(root: Path, victim: Path) -> None:
    from forensics_tui.core.analysis.postmortem_file import save_postmortem

    (root / ".postmortems").symlink_to(victim.parent)
    with pytest.raises(WriteRefused):
        save_postmortem("# report\n", root=root, run_id="20260101_000000")
    assert sorted(p.name for p in victim.parent.iterdir()) == ["victim.rc"]


def test_cli_postmortem_output_is_private(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "pm.md"
    result = CliRunner().invoke(
        cli, ["postmortem", "--dir", str(root), "-o", str(out)], env=_env(root)
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700


@pytest.mark.timeout(30)
@pytest.mark.parametrize("command", [["check"], ["patterns"], ["postmortem"]])
def test_accepted_fifo_does_not_hang_the_cli(root: Path, command: list[str]) -> None:
    os.mkfifo(root / ".accepted.json")
    result = CliRunner().invoke(cli, [*command, "--dir", str(root)], env=_env(root))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output


@pytest.mark.timeout(30)
def test_accepted_shapes_refuse_fifo_and_dev_zero(root: Path) -> None:
    os.mkfifo(root / ".accepted.json")
    shapes = AcceptedShapes.load(root)
    assert shapes.problem and "fifo" in shapes.problem
    os.unlink(root / ".accepted.json")
    (root / ".accepted.json").symlink_to("/dev/zero")
    shapes = AcceptedShapes.load(root)
    assert shapes.problem and "outside" in shapes.problem


def test_accept_writes_privately_and_not_through_a_symlink(root: Path, victim: Path) -> None:
    (root / ".accepted.json").symlink_to(victim)
    shapes = AcceptedShapes.load(root)
    assert shapes.problem  # a symlink out of the root is not read, and not overwritten
    os.unlink(root / ".accepted.json")
    shapes = AcceptedShapes.load(root)
    shapes.add("20260101_000000")
    path = shapes.save(root)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert victim.read_text() == VICTIM_TEXT


@pytest.mark.timeout(30)
def test_raw_tab_uses_the_safe_reader(tmp_path: Path, victim: Path) -> None:
    from forensics_tui.ui.widgets.detail_pane import _raw_text_lines

    run = tmp_path / "root" / "run1"
    run.mkdir(parents=True)
    (run / "000001_x.json").symlink_to(victim)
    os.mkfifo(run / "000002_y.json")
    for name in ("000001_x.json", "000002_y.json"):
        lines = _raw_text_lines(run / name, tmp_path / "root")
        shown = "".join(line.plain for line, _ in lines)
        assert "victim" not in shown and "cannot read file" in shown


def test_replay_refuses_a_symlinked_run_outside_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    make_run_dir(outside, "secret_run", [make_fixture(input={"k": "OUTSIDE_ROOT_7f3a"})])
    root = tmp_path / "root"
    root.mkdir()
    (root / "linked").symlink_to(outside / "secret_run")
    result = CliRunner().invoke(cli, ["replay", "linked", "--dir", str(root)], env=_env(root))
    assert result.exit_code != 0
    assert "OUTSIDE_ROOT_7f3a" not in result.output
    assert "outside the root" in result.output
