"""The inotify backend on real directories: what lands, what goes, overflow, symlinks, close.

inotify queues an event inside the system call that caused it, so after a file operation the
event is already readable; ``drain`` still waits (bounded) on the descriptor rather than
assuming it.  Nothing here sleeps for a fixed time.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from forensics_tui.core.storage import inotify
from forensics_tui.core.storage.inotify import InotifyWatch
from forensics_tui.core.storage.store import FixtureStore
from forensics_tui.core.storage.watcher import watch_root_sync

pytestmark = pytest.mark.skipif(not inotify.available(), reason="inotify is Linux-only")

TIMEOUT = 20.0  # generous: only reached when something is broken

Item = tuple[str, Path]


def drain(watch: InotifyWatch, until: Item | None = None) -> list[Item]:
    """Everything readable now; with ``until``, keep reading (bounded) until it was seen."""
    seen: list[Item] = []
    deadline = time.monotonic() + TIMEOUT
    while True:
        batch, gone = watch.read()
        assert not gone
        seen.extend(batch)
        if until is None or until in seen:
            return seen
        left = deadline - time.monotonic()
        assert left > 0, f"{until} never reported; saw {seen}"
        watch.wait(left)


def fixture_text(run: str, seq: int) -> str:
    return f'{{"format": 1, "run_id": "{run}", "seq": {seq}, "tool": "t", "status": "ok"}}'


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "run1").mkdir(parents=True)
    return root


def test_rename_into_place_and_in_place_writes(root: Path) -> None:
    with InotifyWatch(root) as watch:
        run = root / "run1"
        temp = run / ".000001_a.json.tmp"
        temp.write_text(fixture_text("run1", 1))
        os.replace(temp, run / "000001_a.json")
        (run / "notes.txt").write_text("not a fixture")
        (run / "000002_b.json").write_text(fixture_text("run1", 2))  # created, then closed
        seen = drain(watch, ("added", run / "000002_b.json"))
        assert seen == [("added", run / "000001_a.json"), ("added", run / "000002_b.json")]
        (run / "000002_b.json").write_text(fixture_text("run1", 3))  # rewritten in place
        os.link(run / "000001_a.json", run / "000003_c.json")  # no writer: reported at once
        seen = drain(watch, ("added", run / "000003_c.json"))
        assert seen == [("modified", run / "000002_b.json"), ("added", run / "000003_c.json")]


def test_new_run_directory_is_watched_before_it_is_reported(root: Path) -> None:
    with InotifyWatch(root) as watch:
        run = root / "run2"
        run.mkdir()
        (run / "000001_a.json").write_text(fixture_text("run2", 1))  # before any read()
        assert drain(watch, ("added", run)) == [("added", run)]
        # The file written before the directory was reported is found by the store's listing
        # of the new directory; files after it come from the directory's own watch.
        assert "run2" in watch.watched_runs
        (run / "000002_b.json").write_text(fixture_text("run2", 2))
        assert drain(watch, ("added", run / "000002_b.json")) == [("added", run / "000002_b.json")]
        # A run directory renamed into the root (a mirror's atomic publish) is watched too.
        staged = root.parent / "staged"
        staged.mkdir()
        os.rename(staged, root / "run3")
        drain(watch, ("added", root / "run3"))
        (root / "run3" / "000001_a.json").write_text(fixture_text("run3", 1))
        drain(watch, ("added", root / "run3" / "000001_a.json"))


def test_deletions_of_files_and_run_directories(root: Path) -> None:
    run = root / "run1"
    (run / "000001_a.json").write_text(fixture_text("run1", 1))
    (run / "000002_b.json").write_text(fixture_text("run1", 2))
    with InotifyWatch(root) as watch:
        (run / "000001_a.json").unlink()
        assert drain(watch, ("deleted", run / "000001_a.json")) == [
            ("deleted", run / "000001_a.json")
        ]
        shutil.rmtree(run)
        seen = drain(watch, ("deleted", run))
        assert ("deleted", run / "000002_b.json") in seen
        assert "run1" not in watch.watched_runs
        # Renamed out of the root: reported deleted, and what lands there is no longer ours.
        (root / "run2").mkdir()
        drain(watch, ("added", root / "run2"))
        away = root.parent / "away"
        os.rename(root / "run2", away)
        assert drain(watch, ("deleted", root / "run2")) == [("deleted", root / "run2")]
        assert "run2" not in watch.watched_runs
        (away / "000001_a.json").write_text(fixture_text("run2", 1))
        (root / "marker").mkdir()  # a later event, to prove the one above was not reported
        assert drain(watch, ("added", root / "marker")) == [("added", root / "marker")]


def test_root_going_away_is_reported(root: Path) -> None:
    with InotifyWatch(root) as watch:
        os.rename(root, root.parent / "old-root")
        deadline = time.monotonic() + TIMEOUT
        while True:
            _batch, gone = watch.read()
            if gone:
                break
            assert time.monotonic() < deadline
            watch.wait(deadline - time.monotonic())


def test_queue_overflow_asks_for_a_rescan_and_rewatches(root: Path) -> None:
    limit = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    if limit > 200_000:
        pytest.skip(f"max_queued_events is {limit}: too many renames to overflow it here")
    with InotifyWatch(root) as watch:
        a, b = root / "run1" / "000001_a.json", root / "run1" / "000001_b.json"
        a.write_text(fixture_text("run1", 1))
        for _ in range(limit // 2 + 1):  # two events per rename, nothing read meanwhile
            os.rename(a, b)
            os.rename(b, a)
        (root / "late").mkdir()  # its IN_CREATE is lost in the overflow
        assert drain(watch) == [("rescan", root)]
        assert "late" in watch.watched_runs  # the watches were brought back in line
        (root / "late" / "000001_a.json").write_text(fixture_text("late", 1))
        assert drain(watch, ("added", root / "late" / "000001_a.json"))
    # The rescan the watcher asks for brings the store back in line with the disk.
    store = FixtureStore(root)
    store.apply_changes([("rescan", root)])
    late = store.run("late")
    assert late is not None and len(late.calls) == 1


def test_symlinked_run_directories_follow_the_scan_rules(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "inside-target").mkdir()
    with InotifyWatch(root) as watch:
        os.symlink(root / "run1", root / "alias")  # resolves inside the root: followed
        os.symlink(outside, root / "escape")  # resolves outside: reported, never watched
        drain(watch, ("added", root / "escape"))
        assert "alias" in watch.watched_runs and "escape" not in watch.watched_runs
        (root / "run1" / "000001_a.json").write_text(fixture_text("run1", 1))
        seen = drain(watch, ("added", root / "alias" / "000001_a.json"))
        assert ("added", root / "run1" / "000001_a.json") in seen
        (outside / "000001_a.json").write_text(fixture_text("escape", 1))
        (root / "marker").mkdir()
        seen = drain(watch, ("added", root / "marker"))
        assert all("escape" not in path.parts for _, path in seen), seen
    store = FixtureStore(root)
    store.scan()
    escaped = store.run("escape")
    assert escaped is not None and escaped.manifest_problem == "symlink outside the root"


def test_close_wakes_a_blocked_wait_and_stop_ends_the_sync_watcher(root: Path) -> None:
    watch = InotifyWatch(root)
    returned = threading.Event()

    def block() -> None:
        watch.wait(None)  # no timeout: only an event or wake() ends it
        returned.set()

    thread = threading.Thread(target=block, daemon=True)
    thread.start()
    watch.wake()
    assert returned.wait(TIMEOUT)
    watch.close()
    watch.close()  # idempotent
    watch.wake()  # a no-op once closed: never writes to a recycled descriptor

    # The generator blocks on the descriptor with a one-minute identity check: only the stop
    # event's wake can end it within the bound below.
    stop = threading.Event()
    started = threading.Event()

    def consume() -> None:
        for _batch in watch_root_sync(root, stop_event=stop, check_s=60.0, backend="inotify"):
            started.set()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    n = 0
    while not started.is_set():  # the watch starts in the thread: write until it is seen
        n += 1
        (root / "run1" / f"{n:06d}_probe.json").write_text("{}")
        assert started.wait(0.05) or n < 400
    stop.set()
    consumer.join(TIMEOUT)
    assert not consumer.is_alive()


def test_unwatchable_root_raises(tmp_path: Path) -> None:
    with pytest.raises(OSError) as info:
        InotifyWatch(tmp_path / "missing")
    assert info.value.errno == errno.ENOENT


def test_every_fixture_the_recorder_writes_is_reported(root: Path) -> None:
    """The capture's first write of a call must reach a watcher as a finished file: it is
    created under its final name and then written, so the watcher reports it at its close."""
    from forensics_tui.capture import Recorder

    with InotifyWatch(root) as watch:
        rec = Recorder(root, run_id="run1")
        paths = [rec.record("t", {"i": i}, {"ok": True}) for i in range(50)]
        handle = rec.start_call("slow", {"q": 1})
        paths.append(handle.path)
        assert all(p is not None for p in paths)
        wanted = {("added", Path(p)) for p in paths if p is not None}
        seen: set[Item] = set()
        deadline = time.monotonic() + TIMEOUT
        while not wanted <= seen:
            batch, gone = watch.read()
            assert not gone
            for kind, path in batch:
                if kind == "added":  # reported once written, never while still empty
                    assert json.loads(path.read_bytes())["run_id"] == "run1"
            seen.update(batch)
            left = deadline - time.monotonic()
            assert left > 0, f"never reported: {sorted(wanted - seen)[:5]}"
            watch.wait(min(left, 0.5))
