"""Transport-level hooks for httpx, httpx2 and requests (sync and async).

Each client's lowest public send method is wrapped at class level: ``HTTPTransport.handle_request``
and ``AsyncHTTPTransport.handle_async_request`` for httpx/httpx2, ``HTTPAdapter.send`` for
requests.  Working below the client means timeouts and connection errors are seen (event hooks
never see them) and that every client instance, including ones built by SDKs, is covered.
Bodies are read inside the hook so a read timeout is attributed to the exchange; the response
handed back replays the same raw bytes, so the caller sees exactly what the server sent.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from forensics_tui.integrations._common import on_failure
from forensics_tui.integrations._http_record import Exchange, Settings, begin, is_streaming

__all__ = ["CLIENTS", "Patch", "patch_client"]

CLIENTS = ("httpx", "httpx2", "requests")


class Patch:
    """One replaced attribute, restorable."""

    def __init__(self, owner: type, name: str, replacement: Callable[..., Any]) -> None:
        self.owner = owner
        self.name = name
        self.original = owner.__dict__[name]
        self.replacement = replacement
        setattr(owner, name, replacement)

    def undo(self) -> None:
        if self.owner.__dict__.get(self.name) is self.replacement:
            setattr(self.owner, self.name, self.original)


def _content_length(headers: Any) -> int | None:
    try:
        value = headers.get("content-length")
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _httpx_request_body(request: Any) -> bytes | None:
    try:
        return bytes(request.content)
    except Exception:  # a streaming request body was not read into memory
        return None


def _httpx_decoded(mod: Any, response: Any, raw: bytes) -> bytes:
    """The body after Content-Encoding (gzip, br, ...), via the library's own decoders."""
    try:
        probe = mod.Response(response.status_code, headers=response.headers, content=raw)
        return bytes(probe.read())
    except Exception:
        return raw


def _httpx_version(response: Any) -> str | None:
    value = response.extensions.get("http_version")
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _passthrough(response: Any, settings: Settings) -> bool:
    if is_streaming(response.headers.multi_items()):
        return True
    length = _content_length(response.headers)
    return length is not None and length > settings.max_buffer


def _patch_httpx(mod: Any, client: str, settings: Settings) -> list[Patch]:
    sync_orig = mod.HTTPTransport.__dict__["handle_request"]
    async_orig = mod.AsyncHTTPTransport.__dict__["handle_async_request"]

    def _start(request: Any) -> Exchange | None:
        return begin(
            settings,
            client,
            request.method,
            str(request.url),
            request.headers.multi_items(),
            _httpx_request_body(request),
            timeout=request.extensions.get("timeout"),
        )

    def _rebuild(response: Any, raw: bytes) -> Any:
        return mod.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=mod.ByteStream(raw),
            extensions=response.extensions,
        )

    def _done(ex: Exchange, response: Any, raw: bytes | None) -> None:
        body = None if raw is None else _httpx_decoded(mod, response, raw)
        ex.response(
            response.status_code,
            response.headers.multi_items(),
            body,
            reason=getattr(response, "reason_phrase", None) or None,
            streamed=raw is None,
            http_version=_httpx_version(response),
        )

    def handle_request(self: Any, request: Any) -> Any:
        ex = _start(request)
        if ex is None:
            return sync_orig(self, request)
        with on_failure(ex.failure):
            response = sync_orig(self, request)
            raw = None
            if not _passthrough(response, settings):
                try:
                    raw = b"".join(response.stream)
                finally:
                    response.stream.close()
                response = _rebuild(response, raw)
        _done(ex, response, raw)
        return response

    async def handle_async_request(self: Any, request: Any) -> Any:
        ex = _start(request)
        if ex is None:
            return await async_orig(self, request)
        with on_failure(ex.failure):
            response = await async_orig(self, request)
            raw = None
            if not _passthrough(response, settings):
                try:
                    raw = b"".join([chunk async for chunk in response.stream])
                finally:
                    await response.stream.aclose()
                response = _rebuild(response, raw)
        _done(ex, response, raw)
        return response

    return [
        Patch(mod.HTTPTransport, "handle_request", handle_request),
        Patch(mod.AsyncHTTPTransport, "handle_async_request", handle_async_request),
    ]


def _patch_requests(settings: Settings) -> list[Patch]:
    adapters = importlib.import_module("requests.adapters")
    orig = adapters.HTTPAdapter.__dict__["send"]

    def send(self: Any, request: Any, stream: bool = False, timeout: Any = None, **kw: Any) -> Any:
        body = request.body if isinstance(request.body, bytes | str) else None
        ex = begin(
            settings,
            "requests",
            request.method or "GET",
            request.url,
            request.headers.items(),
            body,
            timeout=timeout if isinstance(timeout, int | float | tuple) else None,
        )
        if ex is None:
            return orig(self, request, stream=stream, timeout=timeout, **kw)
        with on_failure(ex.failure):
            response = orig(self, request, stream=stream, timeout=timeout, **kw)
            streamed = stream or is_streaming(response.headers.items())
            raw = None if streamed else response.content  # cached by requests for the caller
        version = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}.get(
            getattr(response.raw, "version", 0)
        )
        ex.response(
            response.status_code,
            response.headers.items(),
            raw,
            reason=response.reason,
            streamed=streamed,
            http_version=version,
        )
        return response

    return [Patch(adapters.HTTPAdapter, "send", send)]


def patch_client(client: str, settings: Settings) -> list[Patch]:
    """Patch one client library; one that is not installed is skipped (empty list)."""
    if client not in CLIENTS:
        raise ValueError(f"unknown HTTP client {client!r}; expected one of {', '.join(CLIENTS)}")
    try:
        mod = importlib.import_module(client)
    except ImportError:
        return []
    if client == "requests":
        return _patch_requests(settings)
    return _patch_httpx(mod, client, settings)
