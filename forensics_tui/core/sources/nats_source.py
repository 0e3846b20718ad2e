"""The NATS JetStream source: consume the fleet stream into a mirror, resuming where it stopped.

An ordered push consumer starts at the sequence after the mirror's cursor.  The client
reconnects forever and the ordered consumer re-creates itself at the last sequence it
delivered, so after a disconnect the stream continues without a gap; any message at or below
the cursor is dropped, so none is applied twice.  Every message is untrusted: headers are
checked by :mod:`~forensics_tui.core.sources.wire`, bodies are capped, and anything malformed
becomes an error row.

Bodies on demand: a call whose body went to the object store is mirrored as a stub (its
summary and the object's name); the body is fetched when the call is opened or analysed, by
the :class:`~forensics_tui.core.sources.nats_bodies.ObjectBodies` of :meth:`NatsSource.bodies`.
Only a run manifest too large for a message is fetched as it arrives (listing needs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forensics_tui.core.sources.base import Batch, HostState, Source, SourceError
from forensics_tui.core.sources.mirror import Mirror, default_mirror_root
from forensics_tui.core.sources.nats_conn import (
    NatsOptions,
    connect,
    describe,
    import_nats,
    reachable,
)
from forensics_tui.core.sources.wire import (
    HEARTBEAT,
    MESSAGE_CAP,
    SUBJECT_ROOT,
    WireError,
    bodies_bucket,
    parse_headers,
)
from forensics_tui.core.storage.loader import LOAD_CAP

if TYPE_CHECKING:
    from forensics_tui.core.sources.nats_bodies import ObjectBodies

__all__ = ["NatsSource"]

log = logging.getLogger(__name__)
_BATCH = 2000


class NatsSource(Source):
    """Fleet fixtures from one JetStream stream, mirrored under :attr:`root`."""

    kind = "nats"

    def __init__(
        self,
        options: NatsOptions,
        stream: str,
        *,
        mirror_root: Path | None = None,
        label: str | None = None,
    ) -> None:
        self.options = options
        self.stream = stream
        self.label = label or f"{options.url}/{stream}"
        self.root = Path(mirror_root) if mirror_root else default_mirror_root(self.label)
        self.mirror = Mirror(self.root)
        self.applied: list[int] = []  # stream sequences applied by this instance, in order
        self.keep_applied = False
        self._nc: Any = None
        self._js: Any = None
        self._sub: Any = None
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._closed = asyncio.Event()
        self._bodies: Any = None

    async def start(self) -> None:
        nats = import_nats()
        try:
            await reachable(self.options)
            self._nc = await connect(self.options)
        except Exception as exc:
            raise SourceError(f"cannot reach NATS at {self.options.url}: {describe(exc)}") from None
        self._js = self._nc.jetstream()
        try:
            info = await self._js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            await self._nc.close()
            raise SourceError(
                f"no stream {self.stream!r} on {self.options.url}: start a shipper "
                "(forensics-tui ship) first, or name the stream in the URL"
            ) from None
        except Exception as exc:
            await self._nc.close()
            raise SourceError(
                f"{self.options.url}: {describe(exc)} (is JetStream on? -js)"
            ) from None
        created = str(info.created) if getattr(info, "created", None) else None
        if self.mirror.stream_created not in (None, created):
            log.info("stream %s was recreated: mirroring it from its start", self.stream)
            self.mirror.reset(created)
        self.mirror.stream_created = created
        self._target = info.state.last_seq
        await self._subscribe()

    async def _subscribe(self) -> None:
        api = import_nats().js.api
        config = api.ConsumerConfig(
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=self.mirror.last_seq + 1,
        )

        async def on_msg(msg: Any) -> None:
            self._queue.put_nowait(msg)

        self._sub = await self._js.subscribe(
            f"{SUBJECT_ROOT}.>",
            stream=self.stream,
            cb=on_msg,
            ordered_consumer=True,
            config=config,
            idle_heartbeat=1.0,
        )

    async def catch_up(self) -> int:
        """Apply messages until the stream's end as it was at :meth:`start`."""
        count = 0
        while self.mirror.last_seq < self._target:
            try:
                first = await asyncio.wait_for(self._queue.get(), timeout=10.0)
            except TimeoutError:
                info = await self._js.stream_info(self.stream)
                if info.state.last_seq <= self.mirror.last_seq or info.state.messages == 0:
                    break
                continue
            count += len(await self._apply_async([first, *self._drain()]))
        return count

    def _drain(self) -> list[Any]:
        out: list[Any] = []
        while len(out) < _BATCH:
            try:
                out.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        return out

    async def changes(self) -> AsyncIterator[Batch]:  # type: ignore[override]
        while not self._closed.is_set():
            getter = asyncio.ensure_future(self._queue.get())
            closer = asyncio.ensure_future(self._closed.wait())
            done, _ = await asyncio.wait({getter, closer}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                return
            closer.cancel()
            msgs = [getter.result(), *self._drain()]
            batch = await self._apply_async(msgs)
            if batch:
                yield batch

    async def _apply_async(self, msgs: list[Any]) -> Batch:
        """Like :meth:`_apply`, fetching a large run manifest from the object store first (a
        large call stays a stub until it is opened)."""
        bodies: dict[int, bytes] = {}
        for msg in msgs:
            headers = msg.headers or {}
            name = headers.get("Fx-Object")
            if isinstance(name, str) and name and headers.get("Fx-Kind") == "run":
                data = await self._fetch_object(name)
                if data is not None:
                    bodies[id(msg)] = data
        return self._apply(msgs, bodies)

    async def _fetch_object(self, name: str) -> bytes | None:
        try:
            if self._bodies is None:
                self._bodies = await self._js.object_store(bodies_bucket(self.stream))
            info = await self._bodies.get_info(name)
            if (info.size or 0) > LOAD_CAP:
                return None
            result = await self._bodies.get(name)
            data: bytes = result.data or b""
            return data
        except Exception as exc:
            log.warning("body %s not fetched: %s", name[:80], describe(exc))
            return None

    def _apply(self, msgs: list[Any], bodies: dict[int, bytes] | None = None) -> Batch:
        batch: Batch = []
        for msg in msgs:
            try:
                meta = msg.metadata
                seq = meta.sequence.stream
                at = meta.timestamp.timestamp()
            except Exception:
                continue  # not a stream message (status/heartbeat of the consumer)
            if seq <= self.mirror.last_seq:
                continue  # delivered again after a reconnect: already applied
            path = self._apply_one(msg, seq, at, (bodies or {}).get(id(msg)))
            self.mirror.last_seq = seq
            if self.keep_applied:
                self.applied.append(seq)
            if path is not None:
                batch.append(("modified", path))
        if msgs:
            self.mirror.save_cursor()
        return batch

    def _apply_one(self, msg: Any, seq: int, at: float, body: bytes | None) -> Path | None:
        try:
            env = parse_headers(msg.subject, msg.headers)
        except WireError as exc:
            return self.mirror.write_malformed(seq, msg.subject, str(exc))
        if env.kind == HEARTBEAT:
            self.mirror.heartbeat(env.host, msg.data, at)
            return None
        data = body if body is not None else msg.data
        if len(data) > (LOAD_CAP if body is not None else MESSAGE_CAP):
            return self.mirror.write_malformed(seq, msg.subject, "body over the size cap")
        if env.object_name is not None and env.kind == "call":
            stub = self.mirror.stub(data, env)
            if stub is None:
                return self.mirror.write_malformed(seq, msg.subject, "summary is not JSON")
            data = stub
        elif env.object_name is not None and body is None:
            return self.mirror.write_malformed(
                seq, msg.subject, "run manifest too large and not fetched"
            )
        try:
            return self.mirror.write(env, data, at)
        except OSError as exc:
            log.warning("mirror write failed: %s", exc)
            return None

    def hosts(self) -> list[HostState]:
        return self.mirror.hosts()

    def bodies(self) -> ObjectBodies:
        """The fetcher of this fleet's large bodies into the mirror (its own connection)."""
        from forensics_tui.core.sources.nats_bodies import ObjectBodies

        return ObjectBodies(self.options, self.stream, self.mirror)

    async def close(self) -> None:
        self._closed.set()
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
