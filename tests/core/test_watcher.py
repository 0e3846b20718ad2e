"""The watcher on a real directory: new files, dot-files, a missing root, a root recreated.

Every wait is bounded (``asyncio.wait_for``) so a broken watcher fails instead of hanging.
Before acting, each test proves the watch is live by writing probe files until one is seen.
Each runs on both backends: inotify (Linux) and the watchfiles fallback.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import threading
from pathlib import Path

import pytest
from watchfiles import Change

from forensics_tui.core.storage import inotify
from forensics_tui.core.storage.store import FixtureStore
from forensics_tui.core.storage.watcher import RootFilter, watch_root, watch_root_sync

TIMEOUT = 20.0  # generous: only reached when something is broken

BACKENDS = [
    pytest.param(
        "inotify",
        marks=pytest.mark.skipif(not inotify.available(), reason="inotify is Linux-only"),
    ),
    "watchfiles",
]


@pytest.fixture(params=BACKENDS, autouse=True)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FORENSICS_TUI_WATCHER", request.param)
    return str(request.param)


class Collector:
    """Runs ``watch_root`` in a task and lets a test wait for a matching change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stop = asyncio.Event()
        self.items: asyncio.Queue[tuple[str, Path]] = asyncio.Queue()
        self.seen: list[tuple[str, Path]] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for batch in watch_root(self.root, stop_event=self.stop, poll_s=0.05, check_s=0.2):
            for item in batch:
                await self.items.put(item)

    async def expect(self, kind: str, path: Path) -> None:
        async def wait() -> None:
            while True:
                item = await self.items.get()
                self.seen.append(item)
                if item == (kind, path):
                    return

        await asyncio.wait_for(wait(), TIMEOUT)

    async def ready(self, run_dir: Path) -> None:
        """Write probes into ``run_dir`` until the watcher reports one."""

        async def probe() -> None:
            n = 0
            while True:
                n += 1
                (run_dir / f"{n:06d}_probe.json").write_text("{}")
                try:
                    item = await asyncio.wait_for(self.items.get(), 0.2)
                except TimeoutError:
                    continue
                self.seen.append(item)
                return

        run_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.wait_for(probe(), TIMEOUT)
        await asyncio.sleep(0.1)
        while not self.items.empty():
            self.seen.append(self.items.get_nowait())

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, TIMEOUT)


async def test_yields_file_written_after_start_and_ignores_dot_files(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    watcher = Collector(root)
    try:
        await watcher.ready(root / "run1")
        target = root / "run1" / "000100_fetch.json"
        temp = root / "run1" / ".000100_fetch.json.tmp"
        temp.write_text('{"a": 1}')
        (root / "run1" / "notes.txt").write_text("not a fixture")
        os.replace(temp, target)
        await watcher.expect("added", target)
        (root / "run1" / "run.json").write_text("{}")
        await watcher.expect("added", root / "run1" / "run.json")
        names = [path.name for _, path in watcher.seen]
        assert not [n for n in names if n.startswith(".") or n == "notes.txt"], names
    finally:
        await watcher.close()


async def test_waits_for_a_missing_root(tmp_path: Path) -> None:
    root = tmp_path / "later" / "root"
    watcher = Collector(root)
    try:
        await asyncio.sleep(0.2)
        assert watcher.items.empty()  # nothing to report while there is no root
        root.mkdir(parents=True)
        await watcher.expect("rescan", root)
        (root / "run1").mkdir()
        await watcher.expect("added", root / "run1")
        path = root / "run1" / "000001_a.json"
        await asyncio.sleep(0.1)
        path.write_text("{}")
        await watcher.expect("added", path)
    finally:
        await watcher.close()


async def test_recovers_after_root_deleted_and_recreated(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    watcher = Collector(root)
    try:
        await watcher.ready(root / "run1")
        shutil.rmtree(root)
        await watcher.expect("lost", root)
        root.mkdir()
        await watcher.expect("rescan", root)
        await watcher.ready(root / "run2")  # the new root is watched, not blind
        # Renamed away and replaced by a new directory: also re-established.
        os.rename(root, tmp_path / "old-root")
        root.mkdir()
        await watcher.expect("rescan", root)
        await watcher.ready(root / "run3")
    finally:
        await watcher.close()


async def test_watcher_feeds_the_store_through_a_recreated_run_dir(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "run1").mkdir(parents=True)
    store = FixtureStore(root)
    store.scan()
    watcher = Collector(root)
    try:
        await watcher.ready(root / "run1")
        store.apply_changes(watcher.seen)
        shutil.rmtree(root / "run1")
        await watcher.expect("deleted", root / "run1")
        store.apply_changes(watcher.seen)
        assert store.run("run1") is None
        (root / "run1").mkdir()
        target = root / "run1" / "000001_fetch.json"
        target.write_text('{"format": 1, "run_id": "run1", "tool": "fetch", "status": "ok"}')
        await watcher.expect("added", root / "run1")
        store.apply_changes(watcher.seen)
        call = store.call_by_path(target)
        assert call is not None and call.status == "ok"
    finally:
        await watcher.close()


def test_sync_watcher_in_a_thread(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "run1").mkdir(parents=True)
    stop = threading.Event()
    seen: list[tuple[str, Path]] = []
    found = threading.Event()
    target = root / "run1" / "000001_fetch.json"

    def consume() -> None:
        for batch in watch_root_sync(root, stop_event=stop, check_s=0.2):
            seen.extend(batch)
            if any(path == target for _, path in batch):
                found.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    n = 0
    while not found.is_set() and n < 200:  # rewrite until seen: the watch starts asynchronously
        n += 1
        target.write_text(f'{{"n": {n}}}')
        found.wait(0.1)
    stop.set()
    thread.join(TIMEOUT)
    assert found.is_set() and not thread.is_alive()


def test_root_filter(tmp_path: Path) -> None:
    keep = RootFilter(tmp_path)
    root = str(tmp_path)
    assert keep(Change.added, root)
    assert keep(Change.added, f"{root}/run1")
    assert keep(Change.added, f"{root}/run1/000001_a.json")
    assert keep(Change.added, f"{root}/run1/run.json")
    assert not keep(Change.added, f"{root}/run1/.000001_a.json.tmp")
    assert not keep(Change.added, f"{root}/.hidden/000001_a.json")
    assert not keep(Change.added, f"{root}/run1/notes.txt")
    assert not keep(Change.added, f"{root}/run1/sub/000001_a.json")
    assert not keep(Change.added, f"{root}-other/run1/000001_a.json")


async def test_falls_back_to_watchfiles_when_inotify_refuses(
    tmp_path: Path,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if backend != "inotify":
        pytest.skip("about the inotify backend")

    def refuse(root: Path) -> None:
        # Exhausting the real per-user watch limit would break every other inotify user on
        # the machine, so the kernel's answer to that is simulated here.
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(inotify, "InotifyWatch", refuse)
    root = tmp_path / "root"
    root.mkdir()
    watcher = Collector(root)
    try:
        with caplog.at_level(logging.WARNING):
            await watcher.expect("rescan", root)  # events may have been missed meanwhile
            await watcher.ready(root / "run1")  # ...and watchfiles now reports changes
        assert "falling back to watchfiles" in caplog.text
    finally:
        await watcher.close()


async def test_ready_means_nothing_is_missed_from_then_on(tmp_path: Path, backend: str) -> None:
    if backend != "inotify":
        pytest.skip("watchfiles starts its watch in its own thread, after ready")
    root = tmp_path / "root"
    (root / "run1").mkdir(parents=True)
    ready = asyncio.Event()
    stop = asyncio.Event()
    seen: asyncio.Queue[tuple[str, Path]] = asyncio.Queue()

    async def run() -> None:
        async for batch in watch_root(root, stop_event=stop, ready=ready):
            for item in batch:
                await seen.put(item)

    task = asyncio.create_task(run())
    try:
        await asyncio.wait_for(ready.wait(), TIMEOUT)
        target = root / "run1" / "000001_a.json"
        target.write_text("{}")  # no probing first: the watch is already there
        assert await asyncio.wait_for(seen.get(), TIMEOUT) == ("added", target)
    finally:
        stop.set()
        await asyncio.wait_for(task, TIMEOUT)
