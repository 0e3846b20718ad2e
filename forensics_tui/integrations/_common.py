"""Plumbing shared by every integration: which recorder to write to, failures, JSON text.

Integrations write through the capture layer's recorder so that ``FORENSICS_FIXTURE_DIR``,
``FORENSICS_RUN_ID`` and redaction behave exactly as for ``tool_checkpoint``.  A framework
integration that was given its own recorder publishes it in a context variable while a tool
runs, so the HTTP exchanges that tool makes land in the same run.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forensics_tui.capture import Recorder

__all__ = [
    "active_recorder",
    "call_scope",
    "decode_json",
    "failure_status",
    "finish_failed",
    "is_timeout",
    "on_failure",
    "pick_recorder",
    "using_recorder",
]

_ACTIVE: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "forensics_active_recorder", default=None
)


def active_recorder() -> Recorder | None:
    """The recorder an enclosing integration is writing to, if any."""
    return _ACTIVE.get()


@contextmanager
def using_recorder(recorder: Recorder | None) -> Iterator[None]:
    """Make ``recorder`` the active one for the code inside (no-op for ``None``)."""
    if recorder is None:
        yield
        return
    token = _ACTIVE.set(recorder)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


@contextmanager
def call_scope(recorder: Recorder, handle: Any) -> Iterator[None]:
    """While inside, ``recorder`` is active and ``current_call_id()`` is ``handle.call_id``.

    So HTTP exchanges (and nested calls) made by the tool land in the same run and carry
    ``meta.parent_call``.
    """
    from forensics_tui.capture.calls import current_call as var

    call_token = var.set(getattr(handle, "call_id", None))
    rec_token = _ACTIVE.set(recorder)
    try:
        yield
    finally:
        _ACTIVE.reset(rec_token)
        var.reset(call_token)


def is_timeout(exc: BaseException) -> bool:
    """True for timeouts, including ones wrapped (requests, urllib3, anyio, asyncio)."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, TimeoutError) or type(item).__name__.endswith(
            ("Timeout", "TimeoutError", "TimeoutException", "TimedOut")
        ):
            return True
        todo.extend([item.__cause__, item.__context__, *item.args[:2]])
    return False


def failure_status(exc: BaseException) -> str:
    """``timeout`` for timeouts (see ``is_timeout``), else ``error``."""
    return "timeout" if is_timeout(exc) else "error"


def finish_failed(handle: Any, exc: BaseException) -> None:
    """Finish a call in flight with the exception that ended it."""
    handle.finish(None, failure_status(exc), error=exc)


@contextmanager
def on_failure(record: Callable[[BaseException], object]) -> Iterator[None]:
    """Hand an exception escaping the block to ``record``, then let it propagate unchanged."""
    try:
        yield
    except BaseException as exc:
        record(exc)
        raise


def decode_json(value: Any) -> Any:
    """A string holding JSON as the value it encodes; anything else unchanged."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def pick_recorder(explicit: Recorder | None = None) -> Recorder:
    """``explicit``, else the active recorder, else the process recorder (``get_recorder()``)."""
    if explicit is not None:
        return explicit
    active = _ACTIVE.get()
    if active is not None:
        return active
    from forensics_tui.capture import get_recorder

    return get_recorder()
