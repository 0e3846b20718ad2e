"""Landings in a flood (a fleet mirror catching up, a copied tree) are gathered into a few big
batches; a landing after a quiet spell is applied on its own, at once."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from forensics_tui.ui.feed import StoreFeed
from forensics_tui.ui.messages import FeedChanged, FeedSnapshot
from forensics_tui.ui.pacing import LandingPacer

from .fixtures_writer import write_call, write_manifest

RUN = "20260310_120000"


def _drive(root: Path, writer) -> tuple[StoreFeed, list[int], int]:
    """Run a feed over ``root`` while ``writer(root)`` runs in a thread after the first scan;
    returns the feed, the size of each batch it applied, and the calls it ended up with."""
    sizes: list[int] = []
    posted: list[object] = []

    async def main() -> StoreFeed:
        feed = StoreFeed(root, posted.append)
        apply = feed._apply

        def counted(batch):  # the watcher's batches, as the feed applies them
            sizes.append(len(batch))
            return apply(batch)

        feed._apply = counted  # type: ignore[method-assign]
        task = asyncio.create_task(feed.run())
        while not any(isinstance(m, FeedSnapshot) and m.complete for m in posted):
            await asyncio.sleep(0.01)
        thread = threading.Thread(target=writer, args=(root,))
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)  # the last landings
        feed.stop_event.set()
        await asyncio.wait_for(task, 10)
        return feed

    feed = asyncio.run(main())
    assert any(isinstance(m, FeedChanged) for m in posted)
    run = feed.store.run(RUN)
    return feed, sizes, len(run.calls) if run is not None else 0


def test_a_flood_is_gathered_into_few_batches(tmp_path: Path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)

    def flood(root: Path) -> None:
        for seq in range(1, 1501):
            write_call(root, RUN, seq)

    feed, sizes, calls = _drive(root, flood)
    assert calls == 1500
    assert feed.gathered >= 1
    # one or two files per watcher batch, applied one by one, would be ~1,000 batches
    assert len(sizes) <= 200, (len(sizes), sizes[:20])


def test_landings_a_quiet_spell_apart_are_not_held_back(tmp_path: Path) -> None:
    root = tmp_path / "fixtures"
    write_manifest(root, RUN)

    def trickle(root: Path) -> None:
        for seq in range(1, 6):
            write_call(root, RUN, seq)
            time.sleep(0.15)

    feed, sizes, calls = _drive(root, trickle)
    assert calls == 5
    assert feed.gathered == 0
    assert len(sizes) >= 5


def test_the_pacer_holds_batches_back_only_in_a_flood() -> None:
    """A trickle is applied at once; above the rate, each batch waits the gap; after the
    flood, the next landing is applied at once again."""
    now = [100.0]
    pacer = LandingPacer(rate=1000, window_s=0.25, gap_s=0.1, clock=lambda: now[0])
    for _ in range(20):  # 10 landings every 50 ms: 200 a second
        assert pacer.wait_s() == 0
        pacer.applied(10)
        now[0] += 0.05
    pacer.applied(300)  # 300 more within the window: above 250 (1000/s over 0.25 s)
    assert pacer.wait_s() == pytest.approx(0.1)
    now[0] += 0.04
    assert pacer.wait_s() == pytest.approx(0.06)
    now[0] += 0.06
    assert pacer.wait_s() == 0
    pacer.applied(400)  # the flood goes on: held again
    assert pacer.wait_s() == pytest.approx(0.1)
    now[0] += 1.0  # a quiet second: the window starts over, one landing goes at once
    assert pacer.wait_s() == 0
    pacer.applied(1)
    assert pacer.wait_s() == 0


async def test_a_paced_flood_ends_fully_listed(tmp_path: Path) -> None:
    """Thousands of landings at full speed while the TUI runs: the screen applies them in
    fewer batches than the feed delivers, every call ends up listed, and a landing after the
    flood is shown."""
    from .conftest import make_app, rows_ready, wait_for

    root = tmp_path / "fixtures"
    write_manifest(root, RUN)
    write_call(root, RUN, 1)
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await rows_ready(pilot, app)
        screen = app.screen
        screen.pacer.rate = 50  # a flood for this machine whatever its speed
        applied: list[int] = []
        apply = app.state.apply_delta

        def noted(delta):
            applied.append(len(delta.calls))
            return apply(delta)

        app.state.apply_delta = noted  # type: ignore[method-assign]
        paced: list[float] = []
        pace = screen._paced

        def noted_pace() -> None:
            paced.append(screen.pacer.wait_s())
            pace()

        screen._paced = noted_pace

        def flood() -> None:
            for seq in range(2, 3002):
                write_call(root, RUN, seq)

        writer = threading.Thread(target=flood)
        writer.start()
        while writer.is_alive():
            await pilot.pause(0.05)
        writer.join()
        await wait_for(pilot, lambda: len(app.state.index) == 3001, 30)
        assert sum(applied) >= 3000
        assert paced, "the flood was never paced"
        assert max(applied) > 1
        await pilot.pause(0.3)
        write_call(root, RUN, 5000)
        await wait_for(pilot, lambda: len(app.state.index) == 3002, 10)
