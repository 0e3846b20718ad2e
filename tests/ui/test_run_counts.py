"""The feed's per-run status counts follow the store's events without recounting a run."""

from __future__ import annotations

import shutil
from pathlib import Path

from forensics_tui.core.storage.store import FixtureStore
from forensics_tui.ui.feed import StoreFeed
from forensics_tui.ui.messages import FeedSnapshot
from forensics_tui.ui.run_counts import RunCounts

from .fixtures_writer import write_call, write_manifest

RUN = "20260310_120000"
OTHER = "20260310_110000"


class CountingRun:
    """A store run that fails the test if its calls are counted by walking them."""

    def __init__(self, run) -> None:
        self.run_id = run.run_id

    @property
    def calls(self):
        raise AssertionError("the run was recounted")


def _step(store: FixtureStore, tally: RunCounts, changes: list[tuple[str, Path]]) -> None:
    for event in store.apply_changes(changes):
        tally.apply(event)


def _check(store: FixtureStore, tally: RunCounts, run_id: str, *, recount: bool = False) -> None:
    run = store.run(run_id)
    assert run is not None
    expected = run.counts()
    if recount:
        assert tally.counts(run) == expected
    else:  # the tally alone must know (walking the run's calls would fail)
        assert tally.counts(CountingRun(run)) == expected


def test_counts_follow_adds_updates_deletes_and_revivals(tmp_path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    first = [write_call(root, RUN, seq) for seq in range(1, 4)]
    store = FixtureStore(root)
    store.scan()
    tally = RunCounts()
    run = store.run(RUN)
    assert run is not None
    assert tally.reset(RUN, run.calls) == {"ok": 3}

    added = write_call(root, RUN, 4, status="pending")
    _step(store, tally, [("added", added)])
    _check(store, tally, RUN)
    done = write_call(root, RUN, 4, status="error")  # pending -> error, same file
    _step(store, tally, [("modified", done)])
    _check(store, tally, RUN)
    first[0].unlink()
    _step(store, tally, [("deleted", first[0])])
    _check(store, tally, RUN)
    assert tally.counts(CountingRun(run)) == {"ok": 2, "error": 1}
    # The deleted file comes back (with another status): counted once, not twice, and its
    # old status is not taken off again.
    revived = write_call(root, RUN, 1, status="timeout")
    _step(store, tally, [("added", revived)])
    _check(store, tally, RUN)
    assert tally.counts(CountingRun(run)) == {"ok": 2, "error": 1, "timeout": 1}
    # A repeated batch (the disk is the truth) changes nothing.
    _step(store, tally, [("added", revived), ("modified", done)])
    _check(store, tally, RUN)


def test_a_run_directory_deleted_and_recreated_and_a_new_run(tmp_path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    for seq in range(1, 6):
        write_call(root, RUN, seq, status="ok" if seq % 2 else "error")
    store = FixtureStore(root)
    store.scan()
    tally = RunCounts()
    run = store.run(RUN)
    assert run is not None
    tally.reset(RUN, run.calls)

    shutil.rmtree(root / RUN)
    write_manifest(root, RUN)
    write_call(root, RUN, 2, status="ok")
    _step(store, tally, [("added", root / RUN)])
    _check(store, tally, RUN)
    # A run the tally has not met is counted whole, once.
    write_manifest(root, OTHER, started_at="2026-03-10T11:00:00+00:00")
    for seq in range(1, 4):
        write_call(root, OTHER, seq)
    _step(store, tally, [("added", root / OTHER)])
    other = store.run(OTHER)
    assert other is not None and OTHER not in tally
    assert tally.counts(other) == {"ok": 3}
    _check(store, tally, OTHER)


def test_the_feed_counts_a_long_run_once(tmp_path) -> None:
    """Through the feed: the snapshot counts each run, later batches apply their events."""
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    for seq in range(1, 51):
        write_call(root, RUN, seq)
    posted: list[object] = []
    feed = StoreFeed(root, posted.append)
    feed.scan()
    snapshot = next(m for m in posted if isinstance(m, FeedSnapshot) and m.complete)
    assert snapshot.runs[0].counts == {"ok": 50}
    for seq in range(51, 61):
        path = write_call(root, RUN, seq, status="error" if seq % 5 == 0 else "ok")
        feed.publish(feed._apply([("added", path)]))
    delta = feed.drain()
    run = feed.store.run(RUN)
    assert run is not None
    assert delta.runs[RUN].counts == {"ok": 58, "error": 2} == run.counts()
