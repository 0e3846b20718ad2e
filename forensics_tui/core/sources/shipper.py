"""The shipper: one per host, publishes the host's fixtures to JetStream as they land and as
they finish, acknowledged, resumable, and never in the agents' way.

It is a separate process that only reads the root, so capture never waits on the network.  The
watcher is started before the catch-up scan (nothing written meanwhile is missed); touched
files collect in a de-duplicated backlog that survives a NATS outage in memory and, through the
cursor, across restarts.  A file is published when its state (``pending``/``final``, or a
manifest's content hash) is newer than what the cursor says was acknowledged.  Publishes are
pipelined (``publish_async``) and the cursor records a fixture only once its ack arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from forensics_tui.core.sources.nats_conn import NatsOptions, connect, import_nats
from forensics_tui.core.sources.ship_cursor import ShipCursor
from forensics_tui.core.sources.ship_message import file_state, large_summary, redact_body
from forensics_tui.core.sources.wire import (
    INLINE_MAX,
    SUBJECT_ROOT,
    bodies_bucket,
    call_headers,
    heartbeat_subject,
    msg_id,
    subject_for,
)
from forensics_tui.core.storage.loader import LOAD_CAP
from forensics_tui.core.storage.safe_read import ReadRefused, read_settled, still_writing
from forensics_tui.core.storage.scan import is_fixture_name, plan_root
from forensics_tui.core.waiting import event_set_within

__all__ = ["ShipStats", "Shipper"]

log = logging.getLogger(__name__)


class ShipStats(msgspec.Struct):
    published: int = 0
    acked: int = 0
    objects: int = 0
    failures: int = 0


class Shipper:
    """Publishes ``root`` to ``stream`` as ``host``; :meth:`run` until ``stop`` is set."""

    def __init__(
        self,
        root: Path,
        options: NatsOptions,
        *,
        host: str,
        stream: str,
        replicas: int = 1,
        inline_max: int = INLINE_MAX,
        heartbeat_s: float = 5.0,
        window: int = 1000,
        ack_timeout: float = 5.0,
        redactor: Any = None,
    ) -> None:
        self.root = Path(root).absolute()
        self._root_text = os.fspath(self.root)
        self.options = options
        self.host = host
        self.stream = stream
        self.replicas = replicas
        self.inline_max = inline_max
        self.heartbeat_s = heartbeat_s
        self.window = window
        self.ack_timeout = ack_timeout
        self.redactor = redactor
        self.cursor = ShipCursor(self.root, host)
        self.stats = ShipStats()
        self.backlog: OrderedDict[str, None] = OrderedDict()
        self._wake = asyncio.Event()
        self._nc: Any = None
        self._js: Any = None
        self._bodies: Any = None
        self._last_save = 0.0
        self._save_cost = 0.0
        self._heartbeats_sent = 0
        self._inflight: deque[tuple[str, str, float, asyncio.Future[Any]]] = deque()
        self.connected = False

    # -- backlog ---------------------------------------------------------------------------

    def enqueue_root(self) -> None:
        """Every fixture and manifest under the root (a start, or a rescan)."""
        for plan in plan_root(self.root):
            if plan.problem and not plan.names:
                continue
            for name in ["run.json", *plan.names]:
                self.backlog[f"{plan.run_id}/{name}"] = None
        self._wake.set()

    def enqueue_changes(self, batch: list[tuple[str, Path]]) -> None:
        prefix = os.fspath(self.root) + os.sep
        for kind, path in batch:
            if kind == "rescan":
                self.enqueue_root()
                continue
            text = os.fspath(path)
            if kind == "deleted" or not text.startswith(prefix):
                continue
            parts = text[len(prefix) :].split(os.sep)
            if len(parts) == 1 and kind == "added":
                run_dir = self.root / parts[0]
                with contextlib.suppress(OSError):
                    for name in os.listdir(run_dir):
                        if name == "run.json" or is_fixture_name(name):
                            self.backlog[f"{parts[0]}/{name}"] = None
            elif len(parts) == 2 and (parts[1] == "run.json" or is_fixture_name(parts[1])):
                self.backlog[f"{parts[0]}/{parts[1]}"] = None
        self._wake.set()

    # -- messages --------------------------------------------------------------------------

    def _message(self, key: str) -> tuple[str, str, bytes, dict[str, str]] | None:
        """``(state, subject, body, headers)`` for a file that needs publishing, else None."""
        run, _, name = key.partition("/")
        acked = self.cursor.state(key)
        if acked == "final":
            return None
        try:
            raw = read_settled(
                os.path.join(self._root_text, run, name), root=self.root, cap=LOAD_CAP
            )
        except FileNotFoundError:
            return None
        except ReadRefused as refused:
            log.warning("not shipped: %s/%s: %s", run, name, refused.reason)
            return None
        if still_writing(raw):  # created, not yet written: its write's event brings it back
            return None
        data = raw.data
        kind, call_id, state = file_state(run, name, data)
        if acked == state:
            return None
        data = redact_body(data, self.redactor) if kind == "call" else data
        headers = call_headers(kind=kind, host=self.host, name=name, call_id=call_id, state=state)
        if len(data) > self.inline_max:
            headers["Fx-Object"] = msg_id(self.host, call_id, state)
            headers["Fx-Size"] = str(len(data))
        return state, subject_for(self.host, run), data, headers

    async def _put_object(self, name: str, data: bytes) -> bytes:
        """Store a large body; the message then carries the summary only."""
        if self._bodies is None:
            nats = import_nats()
            bucket = bodies_bucket(self.stream)
            try:
                self._bodies = await self._js.object_store(bucket)
            except nats.js.errors.NotFoundError:
                config = nats.js.api.ObjectStoreConfig(bucket=bucket, replicas=self.replicas)
                self._bodies = await self._js.create_object_store(bucket, config=config)
        await self._bodies.put(name, data)
        self.stats.objects += 1
        return large_summary(data)

    # -- connection --------------------------------------------------------------------------

    async def _connect(self, stop: asyncio.Event) -> bool:
        delay = 0.25
        while not stop.is_set():
            try:
                # the client retries a first connect forever: race it against ``stop``
                attempt = asyncio.ensure_future(
                    connect(self.options, name=f"forensics-ship-{self.host}")
                )
                stopping = asyncio.ensure_future(stop.wait())
                await asyncio.wait({attempt, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not attempt.done():
                    attempt.cancel()
                    with contextlib.suppress(BaseException):
                        await attempt
                    return False
                self._nc = attempt.result()
                self._js = self._nc.jetstream(timeout=self.ack_timeout)
                await self._ensure_stream()
                self.connected = True
                return True
            except Exception as exc:
                log.warning("waiting for NATS at %s: %s", self.options.url, type(exc).__name__)
                if self._nc is not None:
                    with contextlib.suppress(Exception):
                        await self._nc.close()
                    self._nc = None
                await event_set_within(stop, delay)
                delay = min(delay * 2, 2.0)
        return False

    async def _ensure_stream(self) -> None:
        nats = import_nats()
        try:
            await self._js.stream_info(self.stream)
            return
        except nats.js.errors.NotFoundError:
            pass
        config = nats.js.api.StreamConfig(
            name=self.stream,
            subjects=[f"{SUBJECT_ROOT}.>"],
            duplicate_window=120.0,
            num_replicas=self.replicas,
            storage=nats.js.api.StorageType.FILE,
        )
        try:
            await self._js.add_stream(config)
        except nats.js.errors.BadRequestError:
            await self._js.stream_info(self.stream)  # created meanwhile by another shipper

    # -- main loop ----------------------------------------------------------------------------

    async def run(
        self,
        stop: asyncio.Event | None = None,
        on_ready: Callable[[], None] | None = None,
        *,
        once: bool = False,
    ) -> None:
        """Ship until ``stop`` is set; ``once``: until what is in the root now is acknowledged
        (one heartbeat included), for cron jobs and the end of a batch job."""
        from forensics_tui.core.storage.watcher import watch_root

        stop = stop or asyncio.Event()

        async def watch() -> None:
            async for batch in watch_root(self.root, stop_event=stop):
                self.enqueue_changes(batch)

        watcher = asyncio.create_task(watch())
        await asyncio.sleep(0.05)  # the watch is up before the catch-up listing
        self.enqueue_root()
        heartbeat: asyncio.Task[None] | None = None
        try:
            if not await self._connect(stop):
                return
            heartbeat = asyncio.create_task(self._heartbeats(stop))
            if on_ready is not None:
                on_ready()
            while not stop.is_set():
                if not self.backlog:
                    if self._inflight and not await self._settle(0):
                        continue
                    self._save(force=True)
                    if once:
                        if self._heartbeats_sent:
                            return
                        await asyncio.sleep(0.05)
                        continue
                    self._wake.clear()
                    await event_set_within(self._wake, 0.5)
                    continue
                if not await self._ship_some():
                    await event_set_within(stop, 0.25)
        finally:
            if self._inflight and self.connected:
                with contextlib.suppress(BaseException):
                    await self._settle(0)
            for task in (watcher, heartbeat):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
            self._save(force=True)
            if self._nc is not None:
                with contextlib.suppress(Exception):
                    await self._nc.close()

    async def _ship_some(self) -> bool:
        """Publish up to ``window`` backlog entries without waiting for their acks (up to two
        windows stay in flight); False when a publish or an ack failed (retry later)."""
        keys: list[str] = []
        while self.backlog and len(keys) < self.window:
            keys.append(self.backlog.popitem(last=False)[0])
        unsent: list[str] = []
        loop = asyncio.get_running_loop()
        # read and prepare the window on a thread: the loop meanwhile takes the previous
        # window's acks off the socket (file I/O and the client's work overlap)
        messages = await asyncio.to_thread(lambda: [self._message(k) for k in keys])
        for n, key in enumerate(keys):
            try:
                message = messages[n]
                if message is None:
                    continue
                state, subject, body, headers = message
                if "Fx-Object" in headers:
                    body = await self._put_object(headers["Fx-Object"], body)
                future = await self._js.publish_async(subject, body, headers=headers)
            except Exception as exc:
                log.warning("publish failed: %s", type(exc).__name__)
                unsent = keys[n:]
                break
            self._inflight.append((key, state, loop.time() + self.ack_timeout, future))
            self.stats.published += 1
        settled = await self._settle(0 if unsent else 2 * self.window)
        if unsent:
            self._requeue(unsent)
            return False
        return settled

    async def _settle(self, limit: int) -> bool:
        """Take acks from the front of the in-flight queue until at most ``limit`` remain;
        an ack that failed or did not come in time puts its file back in the backlog."""
        loop = asyncio.get_running_loop()
        failed: list[str] = []
        while self._inflight:
            key, state, deadline, future = self._inflight[0]
            if not future.done():
                if len(self._inflight) <= limit:
                    break
                remaining = deadline - loop.time()
                if remaining > 0:
                    await asyncio.wait([future], timeout=remaining)
                if not future.done():
                    future.cancel()
            self._inflight.popleft()
            if future.cancelled() or future.exception() is not None:
                failed.append(key)
            else:
                self.cursor.record(key, state)
                self.stats.acked += 1
        if failed:
            self._requeue(failed)
            return False
        self._save()
        return True

    def _requeue(self, keys: list[str]) -> None:
        self.stats.failures += len(keys)
        for key in reversed(keys):  # back at the front, in order
            self.backlog[key] = None
            self.backlog.move_to_end(key, last=False)
        self._save(force=True)

    def _save(self, force: bool = False) -> None:
        """Write the cursor at most every 0.2 s (and never more than ~5% of the time: it grows
        with the root), or now when ``force``."""
        now = time.monotonic()
        if force or now - self._last_save >= max(0.2, 20 * self._save_cost):
            try:
                self.cursor.save()
            except OSError as exc:
                log.warning("cursor not saved: %s", exc)
            self._save_cost = time.monotonic() - now
            self._last_save = time.monotonic()

    async def _heartbeats(self, stop: asyncio.Event) -> None:
        from forensics_tui import __version__

        while not stop.is_set():
            body = {
                "host": self.host,
                "clock": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "version": __version__,
                "backlog": len(self.backlog) + len(self._inflight),
                "pid": os.getpid(),
                "acked": self.stats.acked,
            }
            with contextlib.suppress(Exception):
                await self._js.publish(
                    heartbeat_subject(self.host),
                    json.dumps(body).encode(),
                    headers={"Fx-Kind": "heartbeat"},
                    timeout=2.0,
                )
                self._heartbeats_sent += 1
            await event_set_within(stop, self.heartbeat_s)
