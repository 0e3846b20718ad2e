"""The local source: today's behaviour, a fixture root on this machine and its watcher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from forensics_tui.core.sources.base import Batch, Source

__all__ = ["LocalSource"]


class LocalSource(Source):
    """The root is read where it is; changes come from :func:`watch_root`."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.label = str(self.root)
        self._stop = asyncio.Event()

    async def changes(self) -> AsyncIterator[Batch]:  # type: ignore[override]
        from forensics_tui.core.storage.watcher import watch_root

        async for batch in watch_root(self.root, stop_event=self._stop):
            yield batch

    async def close(self) -> None:
        self._stop.set()
