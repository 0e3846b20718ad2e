"""The tolerant loader on real files: both formats load, every broken file explains itself."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from forensics_tui.core.model import BROKEN, Fixture
from forensics_tui.core.storage.loader import (
    LIST_CAP,
    LoadProblem,
    load_fixture,
    read_call,
    read_call_if_exists,
    read_manifest,
)
from forensics_tui.core.storage.migrate import MIGRATIONS

BAD_RUN = "20260310_120000"
EXPECTED_BAD = {
    "000002_truncated.json": "truncated JSON (unexpected end at byte 35)",
    "000003_empty.json": "empty file",
    "000004_array.json": "not a JSON object (array)",
    "000005_binary.json": "not UTF-8",
    "000007_deep.json": "too deeply nested (3001 levels > 512)",
    "000008_missing_fields.json": "missing fields: run_id, tool, status",
}


def _fixture_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*.json") if p.name != "run.json")


def test_v1_corpus_loads(corpus_copy) -> None:
    root = corpus_copy("v1")
    files = _fixture_files(root)
    assert len(files) == 40
    for path in files:
        call = read_call(path, run_id=path.parent.name, root=root)
        assert call.status in {"ok", "error", "skipped"}, (path, call.problem)
        assert call.problem is None
        assert call.format == 1
        assert call.call_id == f"{path.parent.name}-{path.name[:6]}"
        assert call.seq == int(path.name[:6])
        fixture = load_fixture(path, root=root)
        assert isinstance(fixture, Fixture)
        assert fixture.call_id == call.call_id and fixture.tool == call.tool
    crm = load_fixture(root / "20260301_090000" / "000001_crm_lookup.json")
    assert isinstance(crm, Fixture)
    assert crm.replay is not None and crm.replay["headers"]["Authorization"] == "[REDACTED]"
    assert crm.redacted == ["replay.headers.Authorization"]
    assert crm.input == {"customer": "C-1042"}


def test_previews_summarise_output_and_error(corpus_copy) -> None:
    root = corpus_copy("v1")
    expired = read_call(root / "20260303_090000" / "000001_crm_lookup.json", run_id="r")
    assert expired.preview == 'status_code 200 {"error":"token_expired"}'
    failed = read_call(root / "20260306_090000" / "000005_post_reply.json", run_id="r")
    assert failed.preview == "HTTPStatusError: 503 Service Unavailable (attempt 6)"
    long_output = root / "20260301_090000" / "000009_long.json"
    long_output.write_text(
        json.dumps({"format": 1, "run_id": "r", "tool": "t", "status": "ok", "output": "x\n" * 500})
    )
    preview = read_call(long_output, run_id="r").preview
    assert len(preview) <= 120 and "\n" not in preview and preview.endswith("...")


def test_legacy_corpus_loads_and_migrates(corpus_copy) -> None:
    root = corpus_copy("legacy")
    path = root / "20260301_101500" / "post_slack_000.json"
    call = read_call(path, run_id="20260301_101500", root=root)
    assert (call.status, call.tool, call.format) == ("timeout", "post_slack", 0)
    assert call.call_id == "20260301_101500-post_slack_000"
    assert call.ts == "2026-03-01T10:15:12+00:00"  # naive legacy ts made explicit UTC
    assert call.preview == "error: timeout"
    fixture = load_fixture(path)
    assert isinstance(fixture, Fixture)
    shape = fixture.to_dict()
    assert shape["format"] == 1 and shape["call_id"] == call.call_id
    assert shape["ts"] == "2026-03-01T10:15:12+00:00"
    assert shape["error"] is None and shape["redacted"] == [] and shape["meta"] == {}
    assert fixture.raw["ts"] == "2026-03-01T10:15:12.000000"  # the file as read, untouched
    assert 0 in MIGRATIONS
    for path in _fixture_files(root):
        assert read_call(path, run_id=path.parent.name).status != BROKEN


def test_every_bad_file_is_a_broken_call_with_its_reason(corpus_copy) -> None:
    root = corpus_copy("bad")
    run_dir = root / BAD_RUN
    for path in _fixture_files(root):
        call = read_call(path, run_id=BAD_RUN, root=root)
        loaded = load_fixture(path, root=root)
        if path.name in EXPECTED_BAD:
            assert call.status == BROKEN, path.name
            assert call.problem is not None and call.problem.startswith(EXPECTED_BAD[path.name])
            assert isinstance(loaded, LoadProblem) and loaded.reason == call.problem
            assert call.seq == int(path.name[:6])  # still placed where its name says
            assert call.call_id == f"{BAD_RUN}-{path.stem}"
        else:
            assert call.problem is None and isinstance(loaded, Fixture), path.name
    pending = read_call(run_dir / "000006_pending.json", run_id=BAD_RUN)
    assert pending.status == "pending" and pending.ended_at is None
    hostile = read_call(run_dir / "000001_fetch.json", run_id=BAD_RUN)
    assert hostile.status == "ok" and hostile.tool == "fetch\u202eexe.txt"
    # Compact JSON escapes control characters; the UI still passes previews through safe_text().
    assert "\x1b" not in hostile.preview and "\\u001b]52" in hostile.preview
    assert read_call(run_dir / "000004_array.json", run_id=BAD_RUN).tool == "array"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"format": 1, "run_id": "r", "tool": "t", "status": "weird"}', "unknown status 'weird'"),
        (b'{"format": 7, "run_id": "r", "tool": "t", "status": "ok"}', "unsupported format 7"),
        (b'{"format": "1", "run_id": "r", "tool": "t", "status": "ok"}', "bad field: format"),
        (b'{"format": 1, "run_id": "r", "tool": 3, "status": "ok"}', "bad fields (expected"),
        (b'{"format": 1, "run_id": "r", "tool": "t"}', "missing fields: status"),
        (b"   \n", "empty file"),
        (b'"just a string"', "not a JSON object (string)"),
        (b"{nope}", "not JSON: "),
        (b'{"a": 1} trailing', "not JSON: "),
        (b"[" * 600 + b"]" * 600, "too deeply nested (600 levels > 512)"),
    ],
)
def test_reasons(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "run" / "000001_t.json"
    path.parent.mkdir()
    path.write_bytes(content)
    call = read_call(path, run_id="run")
    assert call.status == BROKEN and call.problem is not None
    assert call.problem.startswith(reason), call.problem
    loaded = load_fixture(path)
    assert isinstance(loaded, LoadProblem) and loaded.reason.startswith(reason)


def test_tolerates_odd_types_in_optional_fields(tmp_path: Path) -> None:
    path = tmp_path / "run" / "000004_t.json"
    path.parent.mkdir()
    doc = {"format": 1, "run_id": "r", "tool": "t", "status": "ok", "seq": "x", "ts": 5}
    path.write_text(json.dumps({**doc, "duration_ms": "slow", "error": "boom"}))
    call = read_call(path, run_id="run")
    assert (call.status, call.seq, call.ts, call.duration_ms) == ("ok", 4, None, None)
    fixture = load_fixture(path)
    assert isinstance(fixture, Fixture)
    assert fixture.error == {"type": None, "message": "boom", "traceback": None}


def test_symlink_outside_root_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"format": 1, "run_id": "r", "tool": "t", "status": "ok"}))
    root = tmp_path / "root"
    (root / "run").mkdir(parents=True)
    link = root / "run" / "000001_t.json"
    link.symlink_to(secret)
    call = read_call(link, run_id="run", root=root)
    assert call.status == BROKEN and call.problem == "symlink outside the root"
    loaded = load_fixture(link, root=root)
    assert isinstance(loaded, LoadProblem) and loaded.reason == "symlink outside the root"
    inside = root / "run" / "000002_t.json"
    inside.symlink_to(root / "run" / "000001_t.json")  # a chain that still leaves the root
    assert read_call(inside, run_id="run", root=root).problem == "symlink outside the root"
    real = root / "other" / "000003_t.json"
    real.parent.mkdir()
    real.write_bytes(secret.read_bytes())
    ok_link = root / "run" / "000003_t.json"
    ok_link.symlink_to(real)
    assert read_call(ok_link, run_id="run", root=root).status == "ok"


def test_fifo_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "run" / "000001_fifo.json"
    path.parent.mkdir()
    os.mkfifo(path)
    results: list[object] = []
    reader = threading.Thread(
        target=lambda: results.extend([read_call(path, run_id="run"), load_fixture(path)]),
        daemon=True,
    )
    reader.start()
    reader.join(timeout=30)  # a hang guard, not a timing assertion
    assert not reader.is_alive(), "reading a FIFO blocked"
    call, loaded = results
    assert call.status == BROKEN and call.problem == "not a regular file (fifo)"
    assert isinstance(loaded, LoadProblem) and loaded.reason == "not a regular file (fifo)"


def test_directory_named_like_a_fixture(tmp_path: Path) -> None:
    path = tmp_path / "run" / "000001_dir.json"
    path.mkdir(parents=True)
    assert read_call(path, run_id="run").problem == "not a regular file (directory)"


def test_huge_file_is_listed_from_its_head_only(tmp_path: Path) -> None:
    path = tmp_path / "run" / "000001_big.json"
    path.parent.mkdir()
    head = b'{"format": 1, "run_id": "run", "call_id": "big-1", "seq": 1, "tool": "dump",'
    head += b' "status": "ok", "output": "'
    with open(path, "wb") as handle:
        handle.write(head)
        handle.truncate(10 * 1024**3)  # 10 GB, sparse: the rest is NUL bytes, not JSON
    call = read_call(path, run_id="run")
    # Parsing the whole file would have found NUL bytes and called it broken.
    assert (call.status, call.tool, call.call_id, call.seq) == ("ok", "dump", "big-1", 1)
    assert call.size == 10 * 1024**3 and "large fixture (10240.0 MB)" in call.preview
    loaded = load_fixture(path)
    assert isinstance(loaded, LoadProblem) and loaded.reason.startswith("too large (10240.0 MB")
    nameless = tmp_path / "run" / "000002_blob.json"
    with open(nameless, "wb") as handle:
        handle.truncate(LIST_CAP + 1)
    blob = read_call(nameless, run_id="run")
    assert blob.status == BROKEN and blob.problem is not None
    assert blob.problem.startswith("too large to list (8.0 MB > 8.0 MB cap)")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "run" / "000001_gone.json"
    assert read_call_if_exists(path, run_id="run") is None
    assert read_call(path, run_id="run").problem == "unreadable: file not found"
    assert isinstance(load_fixture(path), LoadProblem)


def test_read_manifest(corpus_copy, tmp_path: Path) -> None:
    root = corpus_copy("v1")
    manifest, problem = read_manifest(root / "20260301_090000")
    assert problem is None and manifest is not None and manifest["task"] == "triage-tickets"
    assert read_manifest(tmp_path) == (None, None)
    (tmp_path / "run.json").write_text("[1]")
    assert read_manifest(tmp_path) == (None, "not a JSON object (array)")
    (tmp_path / "run.json").write_text('{"status": "runn')
    assert read_manifest(tmp_path)[1] == "truncated JSON (unexpected end at byte 16)"


def test_a_fixture_caught_between_its_create_and_its_write_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Capture creates a call's first file and then writes it: a reader in between finds it
    empty and reads it again while it is young; an old empty file is reported at once."""
    from forensics_tui.core.storage import safe_read

    monkeypatch.setattr(safe_read, "REREADS", 2000)  # ~2 s of 1 ms re-reads: no race on a busy box
    monkeypatch.setattr(safe_read, "REREAD_BUDGET", 10_000)
    run_dir = tmp_path / "run1"
    run_dir.mkdir()
    path = run_dir / "000001_lookup.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    doc = {"format": 1, "run_id": "run1", "seq": 1, "tool": "lookup", "status": "ok"}

    def write_later() -> None:
        threading.Event().wait(0.05)
        os.write(fd, json.dumps(doc).encode())
        os.close(fd)

    writer = threading.Thread(target=write_later)
    writer.start()
    call = read_call(path, run_id="run1")
    writer.join()
    assert call.status == "ok" and call.tool == "lookup"

    stale = run_dir / "000002_lookup.json"
    stale.write_bytes(b"")
    os.utime(stale, (1, 1))  # its writer is long gone
    call = read_call(stale, run_id="run1")
    assert call.status == BROKEN and call.problem == "empty file"
    assert isinstance(load_fixture(stale), LoadProblem)


def test_a_root_of_freshly_touched_empty_files_cannot_stall_a_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-reading a young empty file is budgeted per second: 300 of them (a hostile root) are
    each reported "empty file" after at most the budget's re-reads, not 5 each."""
    import time as real_time

    from forensics_tui.core.storage import safe_read

    sleeps = []
    sleep = real_time.sleep

    def counted_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        sleep(seconds)

    monkeypatch.setattr(safe_read.time, "sleep", counted_sleep)
    run_dir = tmp_path / "run1"
    run_dir.mkdir()
    start = real_time.monotonic()
    for i in range(300):
        path = run_dir / f"{i + 1:06d}_t.json"
        path.write_bytes(b"")
        assert read_call(path, run_id="run1").problem == "empty file"
    seconds = int(real_time.monotonic()) - int(start) + 1
    assert len(sleeps) <= safe_read.REREAD_BUDGET * seconds < 300 * safe_read.REREADS
