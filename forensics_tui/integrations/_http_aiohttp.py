"""The aiohttp hook: ``ClientSession._request`` at class level, the body teed as it is read.

Every ``session.get/post/request(...)`` goes through ``_request``; timeouts and connection
errors raised there are recorded as ``timeout`` / ``error``.  The response's ``content`` stream
is replaced by a proxy that records each read (``read``, ``readline``, ``iter_chunked``,
``iter_any``, ``async for``...) as it passes, so ``.json()``/``.text()`` and streamed reading
both finish the fixture when the body ends, fails or is released early.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from forensics_tui.integrations._http_record import Settings, begin, is_streaming
from forensics_tui.integrations._http_tee import BodyTee, finalize_abandoned, unpatch

__all__ = ["aiohttp_patches"]


class _TeeContent:
    """Stands in for a response's ``StreamReader``; reads go through the tee."""

    def __init__(self, inner: Any, tee: BodyTee, iterator: Any) -> None:
        self._inner, self._tee, self._iterator = inner, tee, iterator

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def _through(self, reading: Any) -> Any:
        tee = self._tee
        try:
            data = await reading
        except BaseException as exc:
            if not tee.done:
                tee.fail(exc)
            raise
        chunk = data[0] if isinstance(data, tuple) else data
        if chunk:
            tee.feed(chunk)
        if self._inner.at_eof():
            tee.end()
        return data

    async def read(self, n: int = -1) -> bytes:
        return await self._through(self._inner.read(n))

    async def readany(self) -> bytes:
        return await self._through(self._inner.readany())

    async def readline(self, **kwargs: Any) -> bytes:
        return await self._through(self._inner.readline(**kwargs))

    async def readuntil(self, *args: Any, **kwargs: Any) -> bytes:
        return await self._through(self._inner.readuntil(*args, **kwargs))

    async def readexactly(self, n: int) -> bytes:
        return await self._through(self._inner.readexactly(n))

    async def readchunk(self) -> tuple[bytes, bool]:
        return await self._through(self._inner.readchunk())

    def iter_chunked(self, n: int) -> Any:
        return self._iterator(lambda: self.read(n))

    def iter_any(self) -> Any:
        return self._iterator(self.readany)

    def iter_chunks(self) -> Any:
        streams = importlib.import_module("aiohttp.streams")
        return streams.ChunkTupleAsyncStreamIterator(self)

    def __aiter__(self) -> Any:
        return self._iterator(self.readline)


def _body_of(kwargs: dict[str, Any]) -> bytes | str | None:
    if kwargs.get("json") is not None:
        try:
            return json.dumps(kwargs["json"])
        except (TypeError, ValueError):
            return None
    data = kwargs.get("data")
    return data if isinstance(data, bytes | str) else None


def _tee(resp: Any, ex: Any, streams: Any) -> None:
    pairs = list(resp.headers.items())
    version = getattr(resp, "version", None)
    tee = BodyTee(
        ex,
        resp.status,
        pairs,
        reason=resp.reason,
        http_version=f"HTTP/{version.major}.{version.minor}" if version else None,
        streamed=is_streaming(pairs),
    )
    inner = resp.content
    if resp.status == 101 or inner.at_eof():  # no body (HEAD, 204, an upgrade) or read already
        tee.end()
        return
    resp.content = _TeeContent(inner, tee, streams.AsyncStreamIterator)
    for name in ("release", "close"):
        original = getattr(resp, name)

        def closing(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            if inner.at_eof():
                tee.end()
            try:
                return _original(*args, **kwargs)
            finally:
                tee.abandon("closed_early")

        setattr(resp, name, closing)
    tee.on_close = unpatch(resp, ("release", "close"))
    finalize_abandoned(resp, tee)


def aiohttp_patches(settings: Settings) -> list[tuple[type, str, Any]]:
    client = importlib.import_module("aiohttp.client")
    streams = importlib.import_module("aiohttp.streams")
    session_cls = client.ClientSession
    orig = session_cls.__dict__["_request"]

    async def _request(self: Any, method: str, str_or_url: Any, **kwargs: Any) -> Any:
        try:
            url = self._build_url(str_or_url)
            if kwargs.get("params"):
                url = url.extend_query(kwargs["params"])
            headers = dict(self.headers)
            headers.update(dict(kwargs.get("headers") or {}))
            if kwargs.get("json") is not None and not any(
                k.lower() == "content-type" for k in headers
            ):
                headers["Content-Type"] = "application/json"
        except Exception:
            return await orig(self, method, str_or_url, **kwargs)
        ex = begin(settings, "aiohttp", method, str(url), headers.items(), _body_of(kwargs))
        if ex is None:
            return await orig(self, method, str_or_url, **kwargs)
        try:  # not ``with on_failure(...)``: a generator context costs ~2 µs
            resp = await orig(self, method, str_or_url, **kwargs)
        except BaseException as exc:
            ex.failure(exc)
            raise
        _tee(resp, ex, streams)
        return resp

    return [(session_cls, "_request", _request)]
