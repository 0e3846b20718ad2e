"""Landings in a flood (a fleet mirror catching up, a copied tree) are gathered into a few big
batches; a landing after a quiet spell is applied on its own, at once."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from forensics_tui.ui.feed import StoreFeed
from forensics_tui.ui.messages import FeedChanged, FeedSnapshot

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
