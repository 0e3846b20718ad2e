"""One tool call as the capture layer sees it: its handle while in flight, its error record,
and the context variable that tells nested code which call it runs inside.

Integrations read ``current_call_id()`` to link what happens inside a tool call (an HTTP
exchange, a nested tool) to it through ``meta.parent_call``.
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forensics_tui.capture.recorder import Recorder

__all__ = [
    "CallHandle",
    "add_parent_source",
    "context_parent",
    "current_call",
    "current_call_id",
    "current_recorder",
    "epoch_of",
    "error_info",
]

TRACEBACK_CHARS = 20_000
current_call: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "forensics_current_call", default=None
)
# The recorder of that call: what happens inside it (an HTTP exchange) lands in the same run.
current_recorder: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "forensics_active_recorder", default=None
)


def current_call_id() -> str | None:
    """The ``call_id`` of the decorated / context-managed tool call running right now, if any."""
    return current_call.get()


# Where a parent call is found when no ``current_call`` is set: an integration whose calls are
# written after they end (OpenTelemetry spans) reserves its call when a child asks.
_parent_sources: list[Callable[[], str | None]] = []


def add_parent_source(source: Callable[[], str | None]) -> None:
    """Ask ``source()`` for the running call's id when ``current_call`` is unset (once each)."""
    if source not in _parent_sources:
        _parent_sources.append(source)


def context_parent() -> str | None:
    """The call this code runs inside: ``current_call``, else the first parent source's
    answer; a source that raises is skipped (nothing may raise into the agent)."""
    parent = current_call.get()
    if parent is None and _parent_sources:
        for source in tuple(_parent_sources):
            try:
                parent = source()
            except Exception:
                parent = None
            if parent is not None:
                break
    return parent


def epoch_of(ts: Any) -> float:
    """Epoch seconds from a datetime (naive means UTC), an ISO string or a number."""
    if isinstance(ts, (int, float)):
        return float(ts)
    if isinstance(ts, str):
        ts = _dt.datetime.fromisoformat(ts)
    if isinstance(ts, _dt.datetime):
        return (ts if ts.tzinfo else ts.replace(tzinfo=_dt.UTC)).timestamp()
    raise TypeError(f"ts must be a datetime, an ISO string or epoch seconds, not {type(ts)}")


def error_info(error: Any) -> dict[str, Any] | None:
    """``{"type", "message", "traceback"}`` from an exception, a dict or a message string; an
    exception raised ``from`` another also names that one (``cause``: type and message)."""
    if error is None or isinstance(error, dict):
        return error
    if isinstance(error, BaseException):
        cls = type(error)
        try:
            message = str(error) or _empty_message(error)
        except Exception:
            message = f"<unprintable {cls.__qualname__}>"
        try:
            import traceback  # at the first error, not at import time

            tb = "".join(traceback.format_exception(error))[-TRACEBACK_CHARS:]
        except Exception:
            tb = None
        info: dict[str, Any] = {"type": _type_name(error), "message": message, "traceback": tb}
        cause = error.__cause__
        if cause is not None and cause is not error:  # the wrapped, real exception
            try:
                text = str(cause) or _empty_message(cause)
            except Exception:
                text = f"<unprintable {type(cause).__qualname__}>"
            info["cause"] = {"type": _type_name(cause), "message": text}
        return info
    return {"type": "Error", "message": str(error), "traceback": None}


def _type_name(error: BaseException) -> str:
    cls = type(error)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def _empty_message(error: BaseException) -> str:
    """A message for an exception whose ``str()`` is empty (httpx's async timeouts): its type,
    and the URL it was requesting when it carries one."""
    text = type(error).__name__
    try:
        url = error.request.url  # type: ignore[attr-defined]  # httpx-style exceptions
    except Exception:
        url = None
    return f"{text} while requesting {url}" if url else text


class CallHandle:
    """A call in flight: its ``pending`` fixture is on disk until ``finish()`` replaces it."""

    __slots__ = (
        *("_done", "_duration", "_input", "_meta", "_rec", "_redacted", "_replay", "_t0", "_ts"),
        *("call_id", "path", "seq", "tool"),
    )

    def __init__(self, rec: Recorder, tool: str, prepared_input: bytes, redacted: list[str]):
        self._rec = rec
        self.tool = tool
        self._input = prepared_input
        self._redacted = redacted
        self._replay: tuple[Any, list[str]] = (None, [])
        self._meta: tuple[Any, list[str]] = (None, [])
        self._ts = time.time()
        self._t0 = time.perf_counter()
        self._done = False
        self._duration: float | None = None
        self.seq: int | None = None
        self.call_id: str | None = None
        self.path: Path | None = None

    def set_input(self, value: Any) -> None:
        """Replace the input (known only after the call started); written by ``finish()``."""
        if self._done:
            return
        try:
            prepared, paths = self._rec._prep(value, "input")
            self._input = self._rec._encode_field(prepared)
            self._redacted = paths
        except Exception as exc:
            self._rec._drop(exc)

    def set_times(self, started: float, duration_ms: float | None) -> None:
        """The call's start (epoch seconds) and duration, when they are known better than the
        handle's own clock: a span that is written after it ended.  Used by ``finish()``."""
        self._ts = started
        self._duration = duration_ms

    def finish(
        self,
        output: Any = None,
        status: str = "ok",
        *,
        error: Any = None,
        replay: Any = None,
        meta: Any = None,
    ) -> Path | None:
        """Replace the pending fixture with the final one (same path, same call_id)."""
        if self._done:
            return self.path
        self._done = True
        try:
            return self._rec._finish(self, output, status, error, replay, meta)
        except Exception as exc:
            self._rec._drop(exc)
            return None
