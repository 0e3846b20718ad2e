"""LangChain / LangGraph capture: agent middleware and a callback handler.

    from forensics_tui.integrations.langchain import ForensicsMiddleware
    agent = create_agent(model, tools, middleware=[ForensicsMiddleware()])

``ForensicsMiddleware`` wraps every tool call of a ``create_agent`` agent (sync and async): a
pending fixture when the call starts, the final one from the ``ToolMessage`` (``status="error"``
-> ``error``) or the exception (timeouts -> ``timeout``).  While the tool runs its call is the
current one, so HTTP captured by ``integrations.http`` links to it.

Placed outside ``ToolErrorMiddleware`` (earlier in the list), it only sees the error
``ToolMessage`` the inner middleware made of the exception: the real failure is then taken from
the tool's failed HTTP child when there is one (a child timeout makes the call a ``timeout``),
else the error says ``masked_by: "langchain"``.  Put it last (innermost) to see exceptions.

``ForensicsCallbackHandler`` does the same from ``on_tool_start/end/error`` for anything that
takes ``callbacks=[...]`` (chains, legacy agents, bare tools).  It runs inline, in the context
the tool is started from, so while a tool runs its call is the current one there: HTTP made by
the tool lands in the handler's recorder and run, linked to the call.  Calls are keyed by
LangChain's per-call ``run_id``, so concurrent runs never mix.  Imports LangChain: only import
this module when you use it.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any
from uuid import UUID

from langchain.agents.middleware import AgentMiddleware
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import ToolMessage

from forensics_tui.integrations._common import (
    DEFAULT_DELAY,
    CallFacts,
    decode_json,
    enter_scope,
    exit_scope,
    finish_failed,
    pick_recorder,
    real_failure,
    start_deferred,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from forensics_tui.capture import Recorder

__all__ = ["ForensicsCallbackHandler", "ForensicsMiddleware"]


def _result(result: Any, facts: CallFacts | None) -> tuple[Any, str, dict[str, Any] | None]:
    """``(output, status, error)`` from what a tool call produced."""
    if isinstance(result, ToolMessage):
        output = decode_json(result.content)
        if result.status == "error":  # an exception, turned into a message by an inner layer
            message = output if isinstance(output, str) else json.dumps(output, default=str)
            error = {"type": "ToolError", "message": message, "traceback": None}
            status, error = real_failure(error, facts, "langchain")
            return None, status or "error", error
        return output, "ok", None
    if type(result).__name__ == "Command":  # a langgraph Command (not ``.update`` alone: a
        return {"command": getattr(result, "update", None)}, "ok", None  # dict has one too)
    return decode_json(result), "ok", None


def _finish(handle: Any, result: Any, facts: CallFacts | None = None) -> None:
    output, status, error = _result(result, facts)
    handle.finish(output, status, error=error)


class ForensicsMiddleware(AgentMiddleware):
    """Record each tool call of a LangChain agent; ``recorder`` defaults to ``get_recorder()``."""

    def __init__(
        self, recorder: Recorder | None = None, *, pending_after: float = DEFAULT_DELAY
    ) -> None:
        super().__init__()
        self.recorder = recorder
        self.pending_after = pending_after  # see ``start_deferred``

    def _start(self, request: Any) -> tuple[Recorder, Any]:
        call = request.tool_call
        recorder = pick_recorder(self.recorder)
        meta = {"integration": "langchain", "tool_call_id": call.get("id")}
        handle = start_deferred(
            recorder, call.get("name"), call.get("args"), meta=meta, delay=self.pending_after
        )
        return recorder, handle

    # The scope is entered and left by hand: two generator context managers cost about a
    # third of what the middleware added to a call.
    def wrap_tool_call(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        recorder, handle = self._start(request)
        token = enter_scope(recorder, handle)
        try:
            result = handler(request)
        except BaseException as exc:
            finish_failed(handle, exc, facts=token[3])
            raise
        finally:
            exit_scope(token)
        _finish(handle, result, token[3])
        return result

    async def awrap_tool_call(self, request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
        recorder, handle = self._start(request)
        token = enter_scope(recorder, handle)
        try:
            result = await handler(request)
        except BaseException as exc:
            finish_failed(handle, exc, facts=token[3])
            raise
        finally:
            exit_scope(token)
        _finish(handle, result, token[3])
        return result


class ForensicsCallbackHandler(BaseCallbackHandler):
    """Record tool calls from LangChain callbacks (``callbacks=[ForensicsCallbackHandler()]``)."""

    raise_error = False
    run_inline = True

    def __init__(
        self, recorder: Recorder | None = None, *, pending_after: float = DEFAULT_DELAY
    ) -> None:
        super().__init__()
        self.recorder = recorder
        self.pending_after = pending_after  # see ``start_deferred``
        self._calls: dict[UUID, Any] = {}
        self._lock = threading.Lock()

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = (serialized or {}).get("name") or kwargs.get("name") or "tool"
        meta = {"integration": "langchain-callbacks", "lc_run_id": str(run_id)}
        if parent_run_id:
            meta["lc_parent_run_id"] = str(parent_run_id)
        tool_input = inputs if inputs is not None else decode_json(input_str)
        recorder = pick_recorder(self.recorder)
        handle = start_deferred(recorder, name, tool_input, meta=meta, delay=self.pending_after)
        token = enter_scope(recorder, handle)  # the tool runs in a copy of this context
        with self._lock:
            self._calls[run_id] = (handle, token)

    def _pop(self, run_id: UUID) -> tuple[Any, CallFacts | None]:
        with self._lock:
            live = self._calls.pop(run_id, None)
        if live is None:
            return None, None
        exit_scope(live[1])
        return live[0], live[1][3]

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        handle, facts = self._pop(run_id)
        if handle is not None:
            _finish(handle, output, facts)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        handle, facts = self._pop(run_id)
        if handle is not None:
            finish_failed(handle, error, facts)
