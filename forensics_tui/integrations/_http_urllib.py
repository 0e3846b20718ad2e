"""The stdlib ``urllib.request`` and the ``urllib3`` hooks, both teeing bodies as they are read.

``urllib.request``: ``AbstractHTTPHandler.do_open`` (every ``urlopen`` over http and https,
whatever opener built it).  A 4xx/5xx is recorded from the response before ``urlopen`` raises
``HTTPError``; its body is recorded if the caller reads ``err.read()``, else when the error is
dropped.  ``urllib3``: the outermost ``HTTPConnectionPool.urlopen`` (its own retries and
redirects stay inside one exchange); a preloaded body is recorded at once, a
``preload_content=False`` body as the caller reads it.  Reads are teed by replacing the read
methods on the response instance, with a depth guard so a ``read`` that calls ``readinto``
inside is counted once.
"""

from __future__ import annotations

import contextvars
import importlib
from collections.abc import Callable
from typing import Any

from forensics_tui.integrations._http_record import Settings, begin, is_streaming
from forensics_tui.integrations._http_tee import BodyTee, finalize_abandoned, unpatch

__all__ = ["urllib3_patches", "urllib_patches"]

_IN_URLLIB3: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "forensics_in_urllib3", default=False
)


class _Reads:
    """Instance-level read wrappers for one response; ``finished`` says when the body ended."""

    def __init__(self, resp: Any, tee: BodyTee, finished: Callable[[Any, Any], bool]) -> None:
        self.resp, self.tee, self.finished = resp, tee, finished
        self.depth = 0
        self.released_inside = False
        self.names: list[str] = []  # patched on the instance: undone when the tee closes
        tee.on_close = unpatch(resp, self.names)

    def wrap(self, name: str, counts: Callable[[Any, Any], Any]) -> None:
        original = getattr(self.resp, name, None)
        if original is None:
            return

        def read(*args: Any, **kwargs: Any) -> Any:
            if self.depth or self.tee.done:
                return original(*args, **kwargs)
            self.depth += 1
            try:
                result = original(*args, **kwargs)
            except BaseException as exc:
                self.tee.fail(exc)
                raise
            finally:
                self.depth -= 1
            data = counts(result, args)
            if data:
                self.tee.feed(data)
            if self.released_inside or self.finished(data, args):
                self.tee.end()
            return result

        setattr(self.resp, name, read)
        self.names.append(name)

    def wrap_generator(self, name: str) -> None:
        original = getattr(self.resp, name, None)
        if original is None:
            return
        tee = self.tee

        def chunks(*args: Any, **kwargs: Any) -> Any:
            self.depth += 1
            try:
                for chunk in original(*args, **kwargs):
                    tee.feed(chunk)
                    yield chunk
            except GeneratorExit:
                tee.abandon("closed_early")
                raise
            except BaseException as exc:
                tee.fail(exc)
                raise
            finally:
                self.depth -= 1
            tee.end()

        setattr(self.resp, name, chunks)
        self.names.append(name)

    def wrap_close(self, name: str, complete: Callable[[], bool]) -> None:
        original = getattr(self.resp, name, None)
        if original is None:
            return

        def close(*args: Any, **kwargs: Any) -> Any:
            if self.depth:  # the library releasing a body it just finished reading
                self.released_inside = True
                return original(*args, **kwargs)
            if complete():
                self.tee.end()
            try:
                return original(*args, **kwargs)
            finally:
                self.tee.abandon("closed_early")

        setattr(self.resp, name, close)
        self.names.append(name)


def _data(result: Any, args: Any) -> Any:
    return result if isinstance(result, bytes | bytearray) else None


def _readinto_data(result: Any, args: Any) -> Any:
    if isinstance(result, int) and result > 0 and args:
        return bytes(memoryview(args[0])[:result])
    return None


def _tee_stdlib(resp: Any, ex: Any) -> None:
    pairs = list(resp.getheaders())
    tee = BodyTee(ex, resp.status, pairs, reason=resp.reason, streamed=is_streaming(pairs))
    if resp.length == 0 or resp.fp is None:  # HEAD, 204, 304: there is no body to wait for
        tee.end()
        return
    reads = _Reads(resp, tee, lambda data, args: resp.fp is None)
    for name in ("read", "read1", "readline"):
        reads.wrap(name, _data)
    reads.wrap("readinto", _readinto_data)
    reads.wrap_close("close", lambda: resp.fp is None)
    finalize_abandoned(resp, tee)


def urllib_patches(settings: Settings) -> list[tuple[type, str, Any]]:
    request_mod = importlib.import_module("urllib.request")
    handler = request_mod.AbstractHTTPHandler
    orig = handler.__dict__["do_open"]

    def do_open(self: Any, http_class: Any, req: Any, **kw: Any) -> Any:
        data = req.data if isinstance(req.data, bytes | str) else None
        ex = begin(
            settings,
            "urllib",
            req.get_method(),
            req.full_url,
            req.header_items(),
            data,
            timeout=req.timeout if isinstance(req.timeout, int | float) else None,
        )
        if ex is None:
            return orig(self, http_class, req, **kw)
        try:  # not ``with on_failure(...)``: a generator context costs ~2 µs
            resp = orig(self, http_class, req, **kw)
        except BaseException as exc:
            ex.failure(exc)
            raise
        _tee_stdlib(resp, ex)
        return resp

    return [(handler, "do_open", do_open)]


def _tee_urllib3(resp: Any, ex: Any, url: str) -> None:
    pairs = list(resp.headers.items())
    version = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}.get(getattr(resp, "version", 0))
    tee = BodyTee(
        ex,
        resp.status,
        pairs,
        reason=getattr(resp, "reason", None),
        http_version=version,
        streamed=is_streaming(pairs),
    )
    body = getattr(resp, "_body", None)
    if body is not None:  # preload_content=True: urllib3 already read it
        tee.feed(body)
        tee.end()
        return

    def finished(data: Any, args: Any) -> bool:
        amt = args[0] if args else None
        return amt is None or not data or getattr(resp, "length_remaining", None) == 0

    reads = _Reads(resp, tee, finished)
    reads.wrap("read", _data)
    reads.wrap("read1", _data)
    reads.wrap_generator("read_chunked")
    for name in ("release_conn", "close"):
        reads.wrap_close(name, lambda: False)
    finalize_abandoned(resp, tee)


def urllib3_patches(settings: Settings) -> list[tuple[type, str, Any]]:
    pool_mod = importlib.import_module("urllib3.connectionpool")
    pool = pool_mod.HTTPConnectionPool
    orig = pool.__dict__["urlopen"]

    def urlopen(self: Any, method: str, url: str, body: Any = None, headers: Any = None, **kw):  # type: ignore[no-untyped-def]
        if _IN_URLLIB3.get():  # a retry or redirect inside the exchange already recorded
            return orig(self, method, url, body, headers, **kw)
        full = url if "://" in url else f"{self.scheme}://{self.host}:{self.port}{url}"
        hdrs = dict(headers) if headers is not None else dict(self.headers or {})
        ex = begin(
            settings,
            "urllib3",
            method,
            full,
            hdrs.items(),
            body if isinstance(body, bytes | str) else None,
        )
        if ex is None:
            return orig(self, method, url, body, headers, **kw)
        token = _IN_URLLIB3.set(True)
        try:  # not ``with on_failure(...)``: a generator context costs ~2 µs
            resp = orig(self, method, url, body, headers, **kw)
        except BaseException as exc:
            ex.failure(exc)
            raise
        finally:
            _IN_URLLIB3.reset(token)
        _tee_urllib3(resp, ex, full)
        return resp

    return [(pool, "urlopen", urlopen)]
