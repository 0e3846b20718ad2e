"""Record a response body as the caller reads it: the tee between a client and its caller.

A body is never read ahead of the caller (the first line of a stream reaches it as soon as the
server sends it).  ``BodyTee`` keeps a bounded prefix of what passes and finishes the exchange's
fixture exactly once: when the body ends, when reading it fails (a stalled stream's
``ReadTimeout`` is a ``timeout``, not ``ok``), or when the caller closes or drops the response
early (``meta.stream`` says which).  Client adapters wrap their stream objects around it.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from forensics_tui.integrations._http_record import Exchange, _safely, _warn

__all__ = ["BodyTee", "finalize_abandoned", "unpatch"]


class BodyTee:
    """The bounded copy of one response body and the exchange it finishes."""

    __slots__ = ("_done", "_finalizer", "_lock", "decode", "exchange", "headers", "http_version")
    __slots__ += ("kept", "on_close")
    __slots__ += ("limit", "reason", "status_code", "streamed", "total")

    def __init__(
        self,
        exchange: Exchange,
        status_code: int,
        headers: Iterable[tuple[str, str]],
        *,
        reason: str | None = None,
        http_version: str | None = None,
        streamed: bool = False,
        decode: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.exchange = exchange
        self.status_code = status_code
        self.headers = list(headers)
        self.reason = reason
        self.http_version = http_version
        self.streamed = streamed
        self.decode = decode
        self.limit = exchange.settings.max_body * 4  # bytes: enough for max_body characters
        self.kept = bytearray()
        self.total = 0
        self._done = False
        self._lock = threading.Lock()
        self._finalizer: Any = None
        # Run once when the tee closes: adapters undo their per-response patches here, which
        # reference the response and so keep it in a cycle (freed only by the cyclic GC, at a
        # cost of ~20 µs a request in collections) until they are gone.
        self.on_close: Callable[[], None] | None = None

    @property
    def done(self) -> bool:
        return self._done

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        """``chunk`` passed to the caller; keep it while under the limit."""
        size = len(chunk)
        self.total += size
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += chunk if size <= room else bytes(chunk)[:room]

    def end(self) -> None:
        """The body is complete."""
        self._close(None, None)

    def fail(self, exc: BaseException) -> None:
        """Reading the body failed with ``exc`` (the caller gets it too)."""
        self._close("failed", exc)

    def abandon(self, how: str = "closed_early") -> None:
        """The caller closed (``closed_early``) or dropped (``abandoned``) an unfinished body."""
        self._close(how, None)

    def _close(self, stream: str | None, failure: BaseException | None) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        if self._finalizer is not None:  # finished: nothing to do when the owner goes away
            _watched.pop(self._finalizer, None)
        on_close, self.on_close = self.on_close, None
        if on_close is not None:
            _safely(on_close)
        body = bytes(self.kept)
        if self.decode is not None and body:
            decode = self.decode
            body = _safely(lambda: decode(body)) or body
        try:  # not ``_safely(lambda: ...)``: a closure per response
            self.exchange.response(
                self.status_code,
                self.headers,
                body,
                reason=self.reason,
                streamed=self.streamed,
                http_version=self.http_version,
                truncated=self.total > len(self.kept),
                stream=stream,
                failure=failure,
            )
        except Exception as exc:  # recording must never break the caller's HTTP
            _warn(exc)


# weak reference to a body's owner -> its tee, until the tee is closed.  The registry keeps the
# references alive (a reference dying with its owner would never call back); lighter than
# ``weakref.finalize``, which costs as much as a quarter of a captured exchange.
_watched: dict[weakref.ref[Any], BodyTee] = {}


def _collected(ref: weakref.ref[Any], watched: dict[Any, BodyTee] = _watched) -> None:
    # ``watched`` bound at definition: at interpreter exit the module's globals may already be
    # gone when the last owners are collected.
    tee = watched.pop(ref, None)
    if tee is not None:
        tee.abandon("abandoned")


def _at_exit() -> None:
    """A body still open when the interpreter exits is finished as ``abandoned``."""
    while _watched:
        with contextlib.suppress(Exception):
            _watched.popitem()[1].abandon("abandoned")


atexit.register(_at_exit)


def unpatch(owner: Any, names: Iterable[str]) -> Callable[[], None]:
    """For ``BodyTee.on_close``: drop the instance attributes ``names`` (read when it runs)
    that an adapter set on ``owner`` (its class's methods show through again)."""

    def undo() -> None:
        attrs = getattr(owner, "__dict__", None)
        if attrs is not None:
            for name in names:
                attrs.pop(name, None)

    return undo


def finalize_abandoned(owner: Any, tee: BodyTee) -> None:
    """Finish ``tee`` as ``abandoned`` if ``owner`` is garbage-collected before its body ended."""
    with contextlib.suppress(TypeError):  # not weak-referenceable: the close hooks still apply
        ref = weakref.ref(owner, _collected)
        tee._finalizer = ref
        _watched[ref] = tee
