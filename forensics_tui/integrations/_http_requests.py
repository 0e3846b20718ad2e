"""The requests hook: ``HTTPAdapter.send`` at class level, with the body teed as it is read.

``Session.send`` reads a non-streamed body right after the adapter returns, so both paths go
through the same tee: the response's ``iter_content`` (which ``.content``, ``.text``,
``.json()`` and ``iter_lines`` all use) is replaced on the instance by one that records each
chunk as it passes.  A body that stalls (``ConnectionError`` wrapping urllib3's
``ReadTimeoutError``) is recorded as ``timeout``; one dropped early as ``closed_early`` /
``abandoned``.  urllib3 capture is suppressed underneath, so one exchange is one fixture.
"""

from __future__ import annotations

import importlib
from typing import Any

from forensics_tui.integrations._http_record import (
    Settings,
    begin,
    is_streaming,
    suppress,
    unsuppress,
)
from forensics_tui.integrations._http_tee import BodyTee, finalize_abandoned, unpatch

__all__ = ["requests_patches"]

_VERSIONS = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}
_BODY = (bytes, str)
_TIMEOUT = (int, float, tuple)


def _pairs(headers: Any) -> list[tuple[str, str]]:
    """A ``CaseInsensitiveDict``'s (name, value) pairs: its store holds them as they were
    given, read in C instead of one ``__getitem__`` per header through ``Mapping.items``."""
    if type(headers).__name__ == "CaseInsensitiveDict" and type(headers).__module__ == (
        "requests.structures"
    ):
        store = getattr(headers, "_store", None)
        if isinstance(store, dict):
            return list(store.values())
    return list(headers.items())


def _tee_response(response: Any, tee: BodyTee, utils: Any) -> None:
    original = response.iter_content
    original_close = response.close

    def raw_chunks(chunk_size: int | None) -> Any:
        try:
            for chunk in original(chunk_size, False):
                tee.feed(chunk)
                yield chunk
        except GeneratorExit:
            tee.abandon("closed_early")
            raise
        except BaseException as exc:
            tee.fail(exc)
            raise
        tee.end()

    def iter_content(chunk_size: int | None = 1, decode_unicode: bool = False) -> Any:
        if tee.done:  # consumed already: let requests raise or replay as it does
            return original(chunk_size, decode_unicode)
        chunks = raw_chunks(chunk_size)
        return utils.stream_decode_response_unicode(chunks, response) if decode_unicode else chunks

    def close() -> None:
        try:
            original_close()
        finally:
            tee.abandon("closed_early")

    response.iter_content = iter_content
    response.close = close
    tee.on_close = unpatch(response, ("iter_content", "close"))
    finalize_abandoned(response, tee)


def requests_patches(settings: Settings) -> list[tuple[type, str, Any]]:
    adapters = importlib.import_module("requests.adapters")
    utils = importlib.import_module("requests.utils")
    orig = adapters.HTTPAdapter.__dict__["send"]

    def send(self: Any, request: Any, stream: bool = False, timeout: Any = None, **kw: Any) -> Any:
        body = request.body if isinstance(request.body, _BODY) else None
        ex = begin(
            settings,
            "requests",
            request.method or "GET",
            request.url,
            _pairs(request.headers),
            body,
            timeout=timeout if isinstance(timeout, _TIMEOUT) else None,
        )
        if ex is None:
            return orig(self, request, stream=stream, timeout=timeout, **kw)
        token = suppress()  # urllib3 underneath is part of this exchange, not another one
        try:  # not ``with on_failure(...), no_capture()``: generator contexts cost µs a request
            response = orig(self, request, stream=stream, timeout=timeout, **kw)
        except BaseException as exc:
            ex.failure(exc)
            raise
        finally:
            unsuppress(token)
        pairs = _pairs(response.headers)
        tee = BodyTee(
            ex,
            response.status_code,
            pairs,
            reason=response.reason,
            http_version=_VERSIONS.get(getattr(response.raw, "version", 0)),
            streamed=stream or is_streaming(pairs),
        )
        _tee_response(response, tee, utils)
        return response

    return [(adapters.HTTPAdapter, "send", send)]
