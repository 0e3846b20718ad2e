"""Plumbing shared by every integration: which recorder to write to, failures, JSON text.

Integrations write through the capture layer's recorder so that ``FORENSICS_FIXTURE_DIR``,
``FORENSICS_RUN_ID`` and redaction behave exactly as for ``tool_checkpoint``.  A framework
integration that was given its own recorder publishes it in a context variable while a tool
runs, so the HTTP exchanges that tool makes land in the same run.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from forensics_tui.capture.calls import current_call, current_recorder
from forensics_tui.capture.jsonio import loads
from forensics_tui.integrations._http_pending import DEFAULT_DELAY, defer

if TYPE_CHECKING:
    from forensics_tui.capture import Recorder

__all__ = [
    "DEFAULT_DELAY",
    "CallFacts",
    "DeferredCall",
    "ScopeToken",
    "active_recorder",
    "child_recorder",
    "current_facts",
    "decode_json",
    "enter_scope",
    "exit_scope",
    "failure_status",
    "finish_failed",
    "is_timeout",
    "pick_recorder",
    "real_failure",
    "start_deferred",
    "using_recorder",
    "with_child_facts",
]

# One variable with the capture layer: ``@checkpoint``/``checkpointed`` set it too.
_ACTIVE: contextvars.ContextVar[Recorder | None] = current_recorder


@dataclass
class CallFacts:
    """What code nested inside a tool call learned while it ran: its HTTP children's failures.

    Frameworks that mask a tool's exception (a string for the model, "Error details are
    redacted") still let the tool's HTTP exchanges through, so the parent call can record the
    real failure from here.  Shared (not copied) by tasks spawned inside the call.
    """

    call_id: str | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)

    def note(self, failure: dict[str, Any]) -> None:
        if len(self.failures) < 32:
            self.failures.append(failure)


_FACTS: contextvars.ContextVar[CallFacts | None] = contextvars.ContextVar(
    "forensics_call_facts", default=None
)


def current_facts() -> CallFacts | None:
    """The facts collector of the tool call running in this context, if any."""
    return _FACTS.get()


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


class DeferredCall:
    """A tool call whose pending fixture waits: ``_http_pending``'s timer writes it if the
    call still runs after a delay; a call that ends sooner is written once, as its final
    fixture.  Its seq is reserved when it starts, so its ``call_id`` links nested calls (HTTP)
    at once.  Has the ``finish``/``call_id`` of a ``CallHandle``."""

    __slots__ = ("_done", "_lock", "handle", "recorder")

    def __init__(self, recorder: Recorder, handle: Any) -> None:
        self.recorder, self.handle = recorder, handle
        self._done = False
        self._lock = threading.Lock()

    @property
    def call_id(self) -> str | None:
        return self.handle.call_id

    def set_input(self, value: Any) -> None:
        with self._lock:
            self.handle.set_input(value)

    def write_pending(self) -> None:
        with self._lock:  # never while ``finish`` writes the final fixture
            if not self._done:
                self.recorder.write_pending(self.handle)

    def finish(self, *args: Any, **kwargs: Any) -> Any:
        """``CallHandle.finish``, never while the timer writes the pending fixture."""
        with self._lock:
            self._done = True
            return self.handle.finish(*args, **kwargs)


def start_deferred(
    recorder: Recorder, tool: Any, input: Any, *, meta: Any = None, delay: float = DEFAULT_DELAY
) -> DeferredCall:
    """``recorder.start_call`` with the pending fixture deferred by ``delay`` seconds (0: at
    once): most tool calls end sooner and cost one write instead of two."""
    handle = recorder.start_call(tool, input, meta=meta, pending=delay <= 0, reserve=delay > 0)
    call = DeferredCall(recorder, handle)
    if delay > 0:
        defer(call, delay)
    return call


ScopeToken = tuple[Any, Any, Any, CallFacts]


def enter_scope(recorder: Recorder, handle: Any) -> ScopeToken:
    """Make ``recorder`` active and ``handle`` the current call in this context (see
    ``exit_scope``): HTTP exchanges (and nested calls) made meanwhile land in the same run
    and carry ``meta.parent_call``; their failures are noted in the returned ``CallFacts``."""
    facts = CallFacts(getattr(handle, "call_id", None))
    return (current_call.set(facts.call_id), _ACTIVE.set(recorder), _FACTS.set(facts), facts)


def exit_scope(token: ScopeToken) -> None:
    """Undo ``enter_scope``; tolerant of being called from another context (then a no-op)."""
    call_token, rec_token, facts_token, _ = token
    for cvar, tok in ((_FACTS, facts_token), (_ACTIVE, rec_token), (current_call, call_token)):
        try:  # not ``contextlib.suppress``: this runs around every tool call
            cvar.reset(tok)
        except ValueError:  # set in another context: it ends with its task
            continue


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


def with_child_facts(error: Any, facts: CallFacts | None) -> Any:
    """The call's error record plus the HTTP status code and call id of its failed HTTP child
    (the exception a tool raised for a 401 rarely says 401 in a structured way)."""
    child = facts.failures[-1] if facts is not None and facts.failures else None
    if child is None:
        return error
    from forensics_tui.capture.calls import error_info

    info = dict(error_info(error) or {})
    if child.get("status_code") is not None:
        info.setdefault("status_code", child["status_code"])
    info.setdefault("from_child_call", child.get("call_id"))
    return info


def finish_failed(handle: Any, exc: BaseException, facts: CallFacts | None = None) -> None:
    """Finish a call in flight with the exception that ended it (and its HTTP child's facts)."""
    handle.finish(None, failure_status(exc), error=with_child_facts(exc, facts))


def decode_json(value: Any) -> Any:
    """A string holding JSON as the value it encodes; anything else unchanged."""
    if isinstance(value, str):
        try:
            return loads(value)
        except ValueError:
            return value
    return value


def child_recorder(fallback: Recorder | None = None) -> Recorder:
    """For what happens *inside* a tool call (HTTP): the call's recorder first, so the child
    lands in its parent's run; else ``fallback``; else the process recorder."""
    active = _ACTIVE.get()
    if active is not None:
        return active
    return pick_recorder(fallback)


def real_failure(
    error: dict[str, Any] | None, facts: CallFacts | None, masked_by: str
) -> tuple[str | None, dict[str, Any] | None]:
    """A masked error made truthful: ``(status or None, error)``.

    When a child HTTP exchange of the call failed, its type, message and status code are the
    real failure (and a child timeout makes the call a ``timeout``); otherwise the error is
    kept and says which framework hid the details (``masked_by``).
    """
    error = dict(error or {"type": "Error", "message": "", "traceback": None})
    child = facts.failures[-1] if facts is not None and facts.failures else None
    if child is None:
        error["masked_by"] = masked_by
        return None, error
    error["masked_message"] = error.get("message")
    error["type"] = child.get("type") or error.get("type")
    error["message"] = child.get("message") or error.get("message")
    error["from_child_call"] = child.get("call_id")
    if child.get("status_code") is not None:
        error["status_code"] = child["status_code"]
    return child.get("status"), error


def pick_recorder(explicit: Recorder | None = None) -> Recorder:
    """``explicit``, else the active recorder, else the process recorder (``get_recorder()``)."""
    if explicit is not None:
        return explicit
    active = _ACTIVE.get()
    if active is not None:
        return active
    from forensics_tui.capture import get_recorder

    return get_recorder()
