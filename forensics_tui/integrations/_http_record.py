"""Turn one HTTP exchange into a fixture, independently of the client library that made it.

The client adapters (``_http_clients``) only extract method, URL, headers and bytes; this module
decides the tool name, the fixture's input/output/status/error, the ``http`` replay spec and the
link to the enclosing tool call.  Recording never breaks the caller's request: any failure to
write a fixture is swallowed after one warning.
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from time import perf_counter
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from forensics_tui.capture.calls import context_parent
from forensics_tui.capture.jsonio import loads
from forensics_tui.integrations._common import (
    CallFacts,
    child_recorder,
    current_facts,
    failure_status,
)
from forensics_tui.integrations._http_pending import DEFAULT_DELAY, defer

if TYPE_CHECKING:
    from forensics_tui.capture import Recorder

__all__ = [
    "Exchange",
    "Settings",
    "begin",
    "decode_body",
    "error_message",
    "http_tool_name",
    "is_streaming",
    "suppressed",
]

_SUPPRESS: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "forensics_http_off", default=False
)
_ID_SEGMENT = re.compile(
    r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{16,}|(?=[^/]*\d)[A-Za-z0-9_-]{24,})$"
)
_JSON_TYPE = re.compile(r"^application/([\w.+-]*\+)?json\b|^text/json\b", re.IGNORECASE)
_PHRASES = {int(code): code.phrase for code in HTTPStatus}  # the enum's call costs ~1 µs
_warned = False
_names: dict[tuple[str, str], str] = {}  # (method, url) -> tool name: pure, so cached
_NAMES_MAX = 4096


@dataclass
class Settings:
    """What ``install()`` was asked for; shared by every patched client."""

    recorder: Recorder | None = None
    clients: tuple[str, ...] = ()
    max_body: int = 256 * 1024  # characters of a body kept in the fixture
    max_buffer: int = 10 * 1024 * 1024  # kept for compatibility: bodies are teed, never buffered
    # seconds an exchange may run before its pending fixture is written (0: at once); one that
    # ends sooner is written once, as its final fixture
    pending_after: float = DEFAULT_DELAY


def suppressed() -> bool:
    return _SUPPRESS.get()


def suppress() -> contextvars.Token[bool]:
    """``no_capture()`` entered by hand (a generator context costs ~2 µs a request); undo it
    with ``unsuppress(token)``."""
    return _SUPPRESS.set(True)


def unsuppress(token: contextvars.Token[bool]) -> None:
    _SUPPRESS.reset(token)


@contextmanager
def no_capture() -> Iterator[None]:
    """HTTP made inside is not recorded (the recorder's own traffic, re-execution)."""
    token = _SUPPRESS.set(True)
    try:
        yield
    finally:
        _SUPPRESS.reset(token)


def http_tool_name(method: str, url: str) -> str:
    """``http GET api.example.com/v1/users/{id}``: stable across runs, ports and ids.

    The port and query string are dropped and id-like path segments (numbers, UUIDs, long hex
    or token-like strings) become ``{id}``, so the 3rd call to an endpoint in one run matches
    the 3rd call in the next even when the ids or a test server's port differ.
    """
    key = (method, url)
    name = _names.get(key)
    if name is not None:
        return name
    name = _tool_name_of(method, url)
    if len(_names) >= _NAMES_MAX:
        _names.clear()
    _names[key] = name
    return name


def _tool_name_of(method: str, url: str) -> str:
    parts = urlsplit(url)
    segments = [("{id}" if _ID_SEGMENT.match(s) else s) for s in parts.path.split("/")]
    path = "/".join(segments) or "/"
    name = f"http {method.upper()} {parts.hostname or ''}{path}"
    return name if len(name) <= 160 else name[:159] + "…"


def is_streaming(headers: Iterable[tuple[str, str]]) -> bool:
    for key, value in headers:
        if key.lower() == "content-type" and value.lower().startswith("text/event-stream"):
            return True
    return False


def headers_dict(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as one dict of plain ``str`` (aiohttp's keys are an ``istr`` subclass, which
    would send the whole fixture down the recorder's slow path); repeated headers are joined
    with ``, `` as HTTP allows."""
    out: dict[str, str] = {}
    for key, value in items:
        if type(key) is not str:
            key = str.__str__(key) if isinstance(key, str) else str(key)
        if type(value) is not str:
            value = str.__str__(value) if isinstance(value, str) else str(value)
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _header(hdrs: dict[str, str], lower: str, title: str) -> str | None:
    """A header's value looked up in its two usual spellings first, then in any case."""
    value = hdrs.get(lower)
    if value is None:
        value = hdrs.get(title)
        if value is None:
            value = next((v for k, v in hdrs.items() if k.lower() == lower), None)
    return value


def decode_body(raw: bytes | str | None, content_type: str | None, limit: int) -> tuple[Any, bool]:
    """A body as fixture data: parsed JSON, else text, else a byte count; and 'truncated'."""
    if raw is None:
        return None, False
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if not raw:
        return "", False
    ctype = (content_type or "").lower()
    if _JSON_TYPE.match(ctype) and len(raw) <= limit * 4:
        try:
            return loads(raw), False
        except ValueError:
            pass
    charset = "utf-8"
    if "charset=" in ctype:
        charset = ctype.split("charset=", 1)[1].split(";")[0].strip() or "utf-8"
    try:
        text = raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return {"binary_bytes": len(raw), "content_type": content_type}, False
    if len(text) > limit:
        return text[:limit], True
    return text, False


def error_message(exc: BaseException, url: str) -> str:
    """``str(exc)``, or the type name and the URL when that is empty (httpx's async timeouts)."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    return text or f"{type(exc).__name__} while requesting {url}"


def _is_cancel(exc: BaseException) -> bool:
    import asyncio

    return isinstance(exc, asyncio.CancelledError) or type(exc).__name__ == "Cancelled"


class Exchange:
    """One request in flight.  Nothing is written when it starts: it is written once, as its
    final fixture, through ``Recorder.record`` when it ends, unless it is still running when
    ``_http_pending``'s timer fires; then its pending fixture is written and later finished in
    place.  ``lock`` keeps the timer and the end from writing at once."""

    __slots__ = ("call_id", "done", "facts", "handle", "lock", "meta", "recorder", "replay")
    __slots__ += ("request", "settings", "started", "t0", "tool", "url")

    def __init__(
        self,
        method: str,
        url: str,
        request: dict[str, Any],
        replay: dict[str, Any],
        meta: dict[str, Any],
        recorder: Recorder,
        settings: Settings,
    ) -> None:
        self.url = url
        self.request, self.replay, self.meta = request, replay, meta
        self.recorder, self.settings = recorder, settings
        self.tool = http_tool_name(method, url)
        self.handle: Any = None
        self.call_id: str | None = None
        self.facts: CallFacts | None = current_facts()
        self.done = False
        self.lock = threading.Lock()
        self.started = time.time()
        self.t0 = perf_counter()

    def write_pending(self) -> None:
        """The pending fixture, if the exchange is still running (``_http_pending``)."""
        with self.lock:
            if self.done or self.handle is not None:
                return
            self.handle = _safely(self._start_call)

    def _start_call(self) -> Any:
        rec = self.recorder
        token = suppress()  # the recorder's own work is never an exchange
        try:
            handle = rec.start_call(
                self.tool, self.request, replay=self.replay, meta=self.meta, pending=False
            )
            handle.set_times(self.started, None)  # started then, not when the timer fired
            rec.write_pending(handle)
        finally:
            unsuppress(token)
        return handle

    def _finish(self, output: Any, status: str, error: Any, extra: dict[str, Any]) -> None:
        with self.lock:  # not while the timer writes the pending fixture
            if self.done:
                return
            self.done = True
            duration = int((perf_counter() - self.t0) * 1e6 + 0.5) / 1000.0  # ms, to the µs
            handle = self.handle
            token = suppress()
            try:
                if handle is not None:  # its pending fixture is on disk: finish it in place
                    handle.set_times(self.started, duration)
                    _safely(lambda: handle.finish(output, status, error=error, meta=extra))
                    self.call_id = handle.call_id
                else:  # the common case: one write, the final fixture
                    self._record(output, status, error, extra, duration)
            finally:
                unsuppress(token)
        if status != "ok" and self.facts is not None:
            failure = {"status": status, "call_id": self.call_id}
            if isinstance(error, dict):
                failure.update(type=error.get("type"), message=error.get("message"))
            if isinstance(output, dict) and output.get("status_code") is not None:
                failure["status_code"] = output["status_code"]
            self.facts.note(failure)

    def _record(
        self, output: Any, status: str, error: Any, extra: dict[str, Any], duration: float
    ) -> None:
        rec = self.recorder
        meta = self.meta
        meta.update(extra)
        try:
            path = rec.record(
                self.tool,
                self.request,
                output,
                status,
                error=error,
                replay=self.replay,
                duration_ms=duration,
                meta=meta,
                ts=self.started,
            )
        except Exception as exc:  # ``record`` never raises; a subclass might
            _warn(exc)
            return
        if path is not None:
            self.call_id = rec.call_id_of(path)

    def response(
        self,
        status_code: int,
        headers: Iterable[tuple[str, str]],
        body: bytes | None,
        *,
        reason: str | None = None,
        streamed: bool = False,
        http_version: str | None = None,
        truncated: bool = False,
        stream: str | None = None,
        failure: BaseException | None = None,
    ) -> None:
        """The response arrived (``body`` as far as it was read; ``failure`` if reading it
        failed, ``stream`` saying how the caller's reading ended)."""
        hdrs = headers_dict(headers)
        ctype = _header(hdrs, "content-type", "Content-Type")
        value, cut = decode_body(body, ctype, self.settings.max_body)
        if not reason:
            reason = _PHRASES.get(status_code, "")
        # Same shape as the ``http`` re-execution's output, so a replay diffs cleanly; the
        # response headers (Retry-After, rate-limit headers) go to meta.response.
        output: dict[str, Any] = {"status_code": status_code, "body": value}
        if truncated or cut:
            output["truncated"] = True
        status, error = "ok", None
        if status_code >= 400:
            retry = _header(hdrs, "retry-after", "Retry-After")
            message = f"HTTP {status_code} {reason}".strip()
            if retry is not None:
                message += f" (Retry-After: {retry})"
            status = "error"
            error = {"type": "HTTPStatusError", "message": message, "traceback": None}
        response: dict[str, Any] = {"reason": reason, "headers": hdrs}
        if http_version:
            response["http_version"] = http_version
        extra: dict[str, Any] = {"streamed": streamed, "response": response}
        if stream is not None:
            extra["stream"] = stream
            if stream != "complete":
                output["incomplete"] = True
        if failure is not None:  # the body broke off: that is what the caller got
            status = "timeout" if _is_cancel(failure) else failure_status(failure)
            error = _failure_error(failure, self.url)
            extra["stream"] = "failed"
            output["incomplete"] = True
            if _is_cancel(failure):
                extra["cancelled"] = _cancel_note(self.facts)
        self._finish(output, status, error, extra)

    def failure(self, exc: BaseException) -> None:
        """The exchange ended with ``exc`` instead of a response (``timeout`` or ``error``)."""
        meta: dict[str, Any] = {}
        if _is_cancel(exc):  # cancelled by an enclosing timeout: part of it, not a new error
            meta["cancelled"] = _cancel_note(self.facts)
            self._finish(None, "timeout", _failure_error(exc, self.url), meta)
            return
        self._finish(None, failure_status(exc), _failure_error(exc, self.url), meta)


def _cancel_note(facts: CallFacts | None) -> str:
    if facts is not None and facts.call_id:
        return f"cancelled by the timeout of its parent call {facts.call_id}"
    return "cancelled by an enclosing timeout"


def _failure_error(exc: BaseException, url: str) -> dict[str, Any]:
    from forensics_tui.capture.calls import error_info

    info = error_info(exc) or {}
    info["message"] = error_message(exc, url)
    return info


def _warn(exc: Exception) -> None:
    """Warn once per process that an exchange could not be recorded."""
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(f"forensics-tui: could not record an HTTP exchange: {exc!r}", stacklevel=4)


def _safely(action: Any) -> Any:
    try:
        return action()
    except Exception as exc:  # recording must never break the caller's HTTP
        _warn(exc)
        return None


def begin(
    settings: Settings,
    client: str,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes | str | None,
    *,
    timeout: Any = None,
) -> Exchange | None:
    """Start recording a request about to be sent (nothing is written yet: see ``Exchange``);
    ``None`` when not recording."""
    if _SUPPRESS.get():
        return None
    hdrs = headers_dict(headers)
    if body:
        ctype = _header(hdrs, "content-type", "Content-Type")
        value, _ = decode_body(body, ctype, settings.max_body)
    else:  # no body (most GETs): nothing to decode
        ctype, value = None, None if body is None else ""
    try:
        recorder = child_recorder(settings.recorder)
    except Exception as exc:  # recording must never break the caller's HTTP
        _warn(exc)
        return None
    method = method.upper()
    # The replay spec shares the request's headers dict: neither is changed after this.
    replay: dict[str, Any] = {"kind": "http", "method": method, "url": url, "headers": hdrs}
    if isinstance(value, dict | list) and _JSON_TYPE.match((ctype or "").lower()):
        replay["json"] = value
    elif value not in (None, ""):
        replay["body"] = value if isinstance(value, str) else json.dumps(value)
    meta: dict[str, Any] = {"integration": f"http:{client}"}
    if timeout is not None:
        meta["timeout"] = timeout
    parent = context_parent()  # the call it runs in, now: it may be written from elsewhere
    if parent is not None:
        meta["parent_call"] = parent
    request = {"method": method, "url": url, "headers": hdrs, "body": value}
    try:
        exchange = Exchange(method, url, request, replay, meta, recorder, settings)
    except Exception as exc:
        _warn(exc)
        return None
    delay = settings.pending_after
    if delay > 0:
        defer(exchange, delay)
    else:
        exchange.write_pending()
    return exchange
