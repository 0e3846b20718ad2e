"""Run a source on its own thread and event loop, for a UI that reads its root.

The TUI watches the source's root like any local root; this keeps the source filling it (start,
catch up, then follow) without touching the UI's event loop.  A failure is kept in
:attr:`SourceRunner.error` for the UI to show; the thread never raises into anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from forensics_tui.core.sources.base import HostState, Source

__all__ = ["SourceRunner"]


class SourceRunner:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.error: str | None = None
        self.caught_up = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="fleet-source", daemon=True)

    def start(self) -> SourceRunner:
        self._thread.start()
        return self

    def hosts(self) -> list[HostState]:
        return self.source.hosts()

    def _main(self) -> None:
        asyncio.run(self._run())  # cancels whatever the client left running when it ends

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.source.start()
            await self.source.catch_up()
            self.caught_up.set()
            follow = asyncio.ensure_future(self._follow())
            stop = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait({follow, stop}, return_when=asyncio.FIRST_COMPLETED)
            follow.cancel()
            stop.cancel()
        except Exception as exc:
            self.error = str(exc) or type(exc).__name__
        finally:
            self.caught_up.set()
            with contextlib.suppress(Exception):
                await self.source.close()

    async def _follow(self) -> None:
        async for _batch in self.source.changes():
            pass  # the files are in the root; the UI's watcher picks them up

    def stop(self, timeout: float = 5.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout)
