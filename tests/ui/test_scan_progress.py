"""The first scan of a big root: partial snapshots (O(calls so far) each) are spaced by their
cost, and the progress count moves in between with a cheap message, so the scan stays linear."""

from __future__ import annotations

import pytest

from forensics_tui.ui import feed as feed_module
from forensics_tui.ui.feed import StoreFeed
from forensics_tui.ui.messages import FeedSnapshot, ScanProgress

from .fixtures_writer import write_call, write_manifest

RUNS = [f"20260310_12{minute:02d}00" for minute in range(6)]


def _scan(tmp_path, monkeypatch: pytest.MonkeyPatch, spacing: float) -> list[object]:
    root = tmp_path / "fixtures"
    for run in RUNS:
        write_manifest(root, run)
        for seq in range(1, 301):
            write_call(root, run, seq)
    monkeypatch.setattr(feed_module, "_PROGRESS_EVERY_S", 0.0)  # every batch is a progress point
    monkeypatch.setattr(feed_module, "_SCAN_BATCH", 100)
    monkeypatch.setattr(feed_module, "_SNAPSHOT_SPACING", spacing)
    posted: list[object] = []
    StoreFeed(root, posted.append).scan()
    return posted


def test_after_the_first_rows_a_costly_snapshot_gives_way_to_progress(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posted = _scan(tmp_path, monkeypatch, spacing=1e9)
    partial = [m for m in posted if isinstance(m, FeedSnapshot) and not m.complete]
    progress = [m for m in posted if isinstance(m, ScanProgress)]
    assert len(partial) == 1  # the first rows at once, then none: each would cost O(n)
    # the newest run is read before the others are even listed: no total yet
    assert partial[0].total is None and list(partial[0].calls) == [RUNS[-1]]
    assert len(progress) >= 10
    counts = [m.indexed for m in progress]
    assert counts == sorted(counts) and counts[0] > partial[0].indexed
    assert all(m.indexed < 1800 for m in progress)
    totals = [m.total for m in progress]
    assert set(totals) == {None, 1800} and totals.index(1800) > 0  # known once all is listed
    assert totals[totals.index(1800) :] == [1800] * (len(totals) - totals.index(1800))
    final = posted[-1]
    assert isinstance(final, FeedSnapshot) and final.complete
    assert sum(len(c) for c in final.calls.values()) == 1800


def test_cheap_snapshots_still_stream_rows(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    posted = _scan(tmp_path, monkeypatch, spacing=0.0)
    partial = [m for m in posted if isinstance(m, FeedSnapshot) and not m.complete]
    assert len(partial) >= 10 and not any(isinstance(m, ScanProgress) for m in posted)
