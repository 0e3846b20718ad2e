"""Fleet bodies on demand: fetch a large call's body from the JetStream Object Store when the
call is opened, and keep it in the mirror in place of its stub.

The reader mirrors a large call as a stub (summary + object name, see
:mod:`~forensics_tui.core.storage.bodies`), so following a fleet costs summaries only.
:class:`ObjectBodies` is the store's :class:`~forensics_tui.core.storage.bodies.BodyFetcher` for
the mirror: callers on any thread (the TUI's load worker, a CLI command, an analysis) block on
:meth:`ObjectBodies.fetch` while it runs on a private event loop thread with its own connection,
made on first use.  The body is untrusted: a stub may only name an object of its own host, the
size is checked against the loader's cap before and after the download, and the loader checks
the bytes like any fixture when the store reads them back.  Every failure is a sentence for the
load problem, never an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from forensics_tui.core.sources.mirror import Mirror, split_run_id
from forensics_tui.core.sources.nats_conn import (
    NatsOptions,
    connect,
    describe,
    import_nats,
    reachable,
)
from forensics_tui.core.sources.wire import bodies_bucket, encode_token
from forensics_tui.core.storage.loader import LOAD_CAP
from forensics_tui.core.storage.safe_read import format_mb

__all__ = ["ObjectBodies"]

log = logging.getLogger(__name__)


class ObjectBodies:
    """Fetches bodies of ``stream``'s object store into ``mirror``.  Thread-safe."""

    def __init__(
        self,
        options: NatsOptions,
        stream: str,
        mirror: Mirror,
        *,
        timeout: float = 30.0,
        cap: int = LOAD_CAP,
    ) -> None:
        self.options = options
        self.stream = stream
        self.mirror = mirror
        self.timeout = timeout
        self.cap = cap
        self.fetched = 0  # bodies brought into the mirror by this instance
        self._start_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._nc: Any = None
        self._bucket: Any = None
        self._connecting: asyncio.Lock | None = None

    # -- the caller's side (any thread) -----------------------------------------------------

    def fetch(self, path: Path, ref: dict[str, Any]) -> str | None:
        name, size = ref["object"], ref["size"]
        host, _ = split_run_id(Path(path).parent.name)
        if host is None or not name.startswith(encode_token(host) + "."):
            return "body not fetched: the stub names an object of another host"
        if size > self.cap:
            return self._over_cap(size)
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(self._fetch(Path(path), name), loop)
        try:
            return future.result(self.timeout + 5.0)
        except FutureTimeout:
            future.cancel()
            return f"body not fetched: {self.options.url} did not answer in {self.timeout:g} s"
        except Exception as exc:  # the fetcher never raises into a loader
            return f"body not fetched: {describe(exc)}"

    def close(self) -> None:
        with self._start_lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._disconnect(), loop).result(5.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5.0)

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=_run_forever, args=(loop,), name="fleet-bodies", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def _over_cap(self, size: int) -> str:
        return f"body of {format_mb(size)} is over the {format_mb(self.cap)} load cap: not fetched"

    # -- the loop's side -------------------------------------------------------------------

    async def _fetch(self, path: Path, name: str) -> str | None:
        nats = import_nats()
        try:
            bucket = await asyncio.wait_for(self._objects(), self.timeout)
        except Exception as exc:
            return f"body not fetched: cannot reach the object store at {self.options.url}: {describe(exc)}"
        try:
            info = await asyncio.wait_for(bucket.get_info(name), self.timeout)
            if (info.size or 0) > self.cap:
                return self._over_cap(info.size)
            result = await asyncio.wait_for(bucket.get(name), self.timeout)
        except nats.js.errors.NotFoundError:
            return f"body not fetched: object {name[:80]!r} is not in the object store (expired?)"
        except TimeoutError:
            return f"body not fetched: {self.options.url} did not answer in {self.timeout:g} s"
        except Exception as exc:
            return f"body not fetched: {describe(exc)}"
        data: bytes = result.data or b""
        if len(data) > self.cap:
            return self._over_cap(len(data))
        try:
            replaced = await asyncio.to_thread(self.mirror.replace_stub, path, name, data)
        except OSError as exc:
            return f"body fetched but not kept in the mirror: {describe(exc)}"
        if replaced:
            self.fetched += 1
        return None

    async def _objects(self) -> Any:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._bucket is None:
                if self._nc is None:
                    await reachable(self.options)
                    self._nc = await connect(self.options, name="forensics-tui-bodies")
                js = self._nc.jetstream()
                self._bucket = await js.object_store(bodies_bucket(self.stream))
            return self._bucket

    async def _disconnect(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
            self._nc = self._bucket = None


def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()
