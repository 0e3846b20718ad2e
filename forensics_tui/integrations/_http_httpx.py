"""The httpx / httpx2 hook: ``HTTPTransport.handle_request`` and its async twin, at class level.

Working below the client means timeouts and connection errors are seen (event hooks never see
them) and every client instance, including ones built by SDKs, is covered.  The response's
stream is replaced by a tee (``_http_tee``) that passes each chunk on as the caller reads it,
so ``client.stream(...)`` is not buffered and a body that stalls or breaks off is recorded as
the ``timeout``/``error`` the caller got.
"""

from __future__ import annotations

from typing import Any

from forensics_tui.integrations._http_record import Exchange, Settings, begin, is_streaming
from forensics_tui.integrations._http_tee import BodyTee, finalize_abandoned

__all__ = ["httpx_patches"]


def _request_body(request: Any) -> bytes | None:
    try:
        return bytes(request.content)
    except Exception:  # a streaming request body was not read into memory
        return None


def _decoder(mod: Any, status_code: int, headers: Any, pairs: list[tuple[str, str]]) -> Any:
    """Content-Encoding (gzip, br, ...) undone by the library's own decoders, if declared
    (looked up in ``pairs``, the headers as a list: cheaper than ``headers.get``)."""
    if not any(value and key.lower() == "content-encoding" for key, value in pairs):
        return None

    def decode(raw: bytes) -> bytes:
        try:
            return bytes(mod.Response(status_code, headers=headers, content=raw).read())
        except Exception:  # a truncated or corrupt compressed prefix: keep the raw bytes
            return raw

    return decode


def _version(response: Any) -> str | None:
    value = response.extensions.get("http_version")
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _tee_for(mod: Any, ex: Exchange, response: Any) -> BodyTee:
    pairs = response.headers.multi_items()
    return BodyTee(
        ex,
        response.status_code,
        pairs,
        reason=getattr(response, "reason_phrase", None) or None,
        http_version=_version(response),
        streamed=is_streaming(pairs),
        decode=_decoder(mod, response.status_code, response.headers, pairs),
    )


def httpx_patches(mod: Any, client: str, settings: Settings) -> list[tuple[type, str, Any]]:
    """The replacements for one httpx-like module (``httpx`` or ``httpx2``)."""

    class SyncTee(mod.SyncByteStream):  # type: ignore[misc, name-defined]
        def __init__(self, inner: Any, tee: BodyTee) -> None:
            self._inner, self._tee = inner, tee

        def __iter__(self) -> Any:
            tee = self._tee
            try:
                for chunk in self._inner:
                    tee.feed(chunk)
                    yield chunk
            except GeneratorExit:
                tee.abandon("closed_early")
                raise
            except BaseException as exc:
                tee.fail(exc)
                raise
            tee.end()

        def close(self) -> None:
            try:
                self._inner.close()
            finally:
                self._tee.abandon("closed_early")

    class AsyncTee(mod.AsyncByteStream):  # type: ignore[misc, name-defined]
        def __init__(self, inner: Any, tee: BodyTee) -> None:
            self._inner, self._tee = inner, tee

        async def __aiter__(self) -> Any:
            tee = self._tee
            try:
                async for chunk in self._inner:
                    tee.feed(chunk)
                    yield chunk
            except GeneratorExit:
                tee.abandon("closed_early")
                raise
            except BaseException as exc:
                tee.fail(exc)
                raise
            tee.end()

        async def aclose(self) -> None:
            try:
                await self._inner.aclose()
            finally:
                self._tee.abandon("closed_early")

    sync_orig = mod.HTTPTransport.__dict__["handle_request"]
    async_orig = mod.AsyncHTTPTransport.__dict__["handle_async_request"]

    def _start(request: Any) -> Exchange | None:
        return begin(
            settings,
            client,
            request.method,
            str(request.url),
            request.headers.multi_items(),
            _request_body(request),
            timeout=request.extensions.get("timeout"),
        )

    def handle_request(self: Any, request: Any) -> Any:
        ex = _start(request)
        if ex is None:
            return sync_orig(self, request)
        try:  # not ``with on_failure(...)``: a generator context costs ~2 µs a request
            response = sync_orig(self, request)
        except BaseException as exc:
            ex.failure(exc)
            raise
        tee = _tee_for(mod, ex, response)
        response.stream = SyncTee(response.stream, tee)
        finalize_abandoned(response.stream, tee)
        return response

    async def handle_async_request(self: Any, request: Any) -> Any:
        ex = _start(request)
        if ex is None:
            return await async_orig(self, request)
        try:
            response = await async_orig(self, request)
        except BaseException as exc:
            ex.failure(exc)
            raise
        tee = _tee_for(mod, ex, response)
        response.stream = AsyncTee(response.stream, tee)
        finalize_abandoned(response.stream, tee)
        return response

    return [
        (mod.HTTPTransport, "handle_request", handle_request),
        (mod.AsyncHTTPTransport, "handle_async_request", handle_async_request),
    ]
