"""OpenAI Agents SDK capture: run hooks (precise) and a tracing processor (tracing-only setups).

    from forensics_tui.integrations.openai_agents import ForensicsHooks
    result = await Runner.run(agent, prompt, hooks=ForensicsHooks())

The SDK turns a tool's exception and its own timeouts into strings for the model ("An error
occurred while running the tool...", "Tool 'x' timed out after 2 seconds."), so a hook that
only sees ``on_tool_end`` would record failures as successes.  ``ForensicsHooks`` therefore
instruments each ``FunctionTool`` of the agents it sees (``on_agent_start``): the tool's
invoker, failure-error function and timeout-error function note the *real* exception, which the
fixture records (``error`` with its type and traceback, or ``timeout``), while the model still
gets the same string as before.  Exceptions the SDK re-raises are recorded too.  While a tool
runs its call is the current one, so HTTP captured by ``integrations.http`` links to it and
lands in the hooks' recorder.  Calls in flight are keyed by the SDK's per-call ``ToolContext``
object (tool-call ids such as ``call_0`` repeat across runs), so concurrent runs sharing one
hooks instance, or one tool, never mix up their calls.

``ForensicsTracingProcessor`` records function spans from the SDK's tracing instead (use one of
the two, not both): a pending fixture when a function span starts (the tool's HTTP lands in the
processor's recorder, linked to it), the final one when it ends.  Tracing reports only what it
was given: the SDK's timeout message becomes ``timeout``; a span error's details are redacted
by default, so the real failure is taken from the tool's failed HTTP child when there is one,
else the error says ``masked_by: "openai-agents-tracing"``.
Imports the ``agents`` package: only import this module when you use it.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agents import FunctionTool, RunHooks
from agents.tool import (
    default_tool_timeout_error_message,
    resolve_function_tool_failure_error_function,
    set_function_tool_failure_error_function,
)
from agents.tracing import TracingProcessor
from agents.tracing.span_data import FunctionSpanData

from forensics_tui.integrations._common import (
    DEFAULT_DELAY,
    CallFacts,
    ScopeToken,
    decode_json,
    enter_scope,
    exit_scope,
    is_timeout,
    pick_recorder,
    real_failure,
    start_deferred,
    with_child_facts,
)

if TYPE_CHECKING:
    from forensics_tui.capture import Recorder

__all__ = ["ForensicsHooks", "ForensicsTracingProcessor"]

_MARK = "_forensics_instrumented"


@dataclass
class _Live:
    recorder: Recorder
    handle: Any
    failure: BaseException | None = None
    timed_out: bool = False
    facts: CallFacts | None = None


# The SDK makes one ToolContext per tool call and passes that same object to on_tool_start,
# the tool's invoker, its failure/timeout functions and on_tool_end: the only key that is
# unique across concurrent runs.  Weak, so a call the SDK dropped does not leak.
_LIVE: weakref.WeakKeyDictionary[Any, _Live] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _live(ctx: Any) -> _Live | None:
    with _LOCK:
        try:
            return _LIVE.get(ctx)
        except TypeError:  # not weak-referenceable: not a context we registered
            return None


def _pop(ctx: Any) -> _Live | None:
    with _LOCK:
        try:
            return _LIVE.pop(ctx, None)
        except TypeError:
            return None


def _instrument(tool: FunctionTool) -> None:
    """Wrap one tool so the real exception of a failed or timed-out call is noted (once)."""
    if getattr(tool, _MARK, False):
        return
    invoke = tool.on_invoke_tool

    async def on_invoke_tool(ctx: Any, arguments: str) -> Any:
        live = _live(ctx)
        if live is None:
            return await invoke(ctx, arguments)
        token = enter_scope(live.recorder, live.handle)  # by hand: cheaper than a context manager
        live.facts = token[3]
        try:
            try:
                return await invoke(ctx, arguments)
            finally:
                exit_scope(token)
        except asyncio.CancelledError:
            live.timed_out = tool.timeout_seconds is not None
            if live.timed_out and tool.timeout_behavior == "raise_exception":
                _finish_failed(ctx, live, None)
            raise
        except BaseException as exc:  # the SDK re-raises it: no on_tool_end will come
            _finish_failed(ctx, live, exc)
            raise

    tool.on_invoke_tool = on_invoke_tool
    failure_fn = resolve_function_tool_failure_error_function(tool)
    if failure_fn is not None:

        def on_failure(ctx: Any, error: Exception) -> Any:
            live = _live(ctx)
            if live is not None:
                live.failure = error
            return failure_fn(ctx, error)

        set_function_tool_failure_error_function(tool, on_failure)
    if tool.timeout_seconds is not None and tool.timeout_behavior != "raise_exception":
        timeout_fn = tool.timeout_error_function

        async def on_timeout(ctx: Any, error: Exception) -> Any:
            live = _live(ctx)
            if live is not None:
                live.failure, live.timed_out = error, True
            if timeout_fn is None:
                seconds = tool.timeout_seconds or 0
                return default_tool_timeout_error_message(
                    tool_name=tool.name, timeout_seconds=seconds
                )
            result = timeout_fn(ctx, error)
            return await result if inspect.isawaitable(result) else result

        tool.timeout_error_function = on_timeout
    setattr(tool, _MARK, True)


def _finish_failed(ctx: Any, live: _Live, exc: BaseException | None) -> None:
    if _pop(ctx) is None:
        return
    timed_out = live.timed_out or (exc is not None and is_timeout(exc))
    error = exc if exc is not None else TimeoutError("the tool timed out")
    error = with_child_facts(error, live.facts)
    live.handle.finish(None, "timeout" if timed_out else "error", error=error)


class ForensicsHooks(RunHooks):
    """Record every function-tool call of a run; ``recorder`` defaults to ``get_recorder()``.

    A call's pending fixture is written once it has run ``pending_after`` seconds (0: at once);
    a call that ends sooner is written once, as its final fixture (its ``call_id`` is fixed
    when it starts, so HTTP it makes links to it either way).
    """

    def __init__(
        self, recorder: Recorder | None = None, *, pending_after: float = DEFAULT_DELAY
    ) -> None:
        self.recorder = recorder
        # seconds a tool call may run before its pending fixture is written (0: at once); a
        # call that ends sooner is written once, as its final fixture
        self.pending_after = pending_after

    async def on_agent_start(self, context: Any, agent: Any) -> None:
        for tool in getattr(agent, "tools", None) or []:
            if isinstance(tool, FunctionTool):
                _instrument(tool)

    async def on_tool_start(self, context: Any, agent: Any, tool: Any) -> None:
        call_id = getattr(context, "tool_call_id", None)
        recorder = pick_recorder(self.recorder)
        meta = {"integration": "openai-agents", "tool_call_id": call_id, "agent": agent.name}
        arguments = decode_json(getattr(context, "tool_arguments", None))
        handle = start_deferred(recorder, tool.name, arguments, meta=meta, delay=self.pending_after)
        try:
            with _LOCK:
                _LIVE[context] = _Live(recorder, handle)
        except TypeError:  # a context the SDK made unreferenceable: record it unlinked
            handle.finish(None, "error", error={"type": "Untracked", "message": "no context"})

    async def on_tool_end(self, context: Any, agent: Any, tool: Any, result: Any) -> None:
        live = _pop(context)
        if live is None:
            return
        if live.failure is not None or live.timed_out:
            status = "timeout" if live.timed_out or is_timeout(live.failure) else "error"  # type: ignore[arg-type]
            meta = {"model_visible_result": result}
            error = with_child_facts(live.failure, live.facts)
            live.handle.finish(None, status, error=error, meta=meta)
        else:
            live.handle.finish(decode_json(result), "ok")


def _span_duration(span: Any) -> float | None:
    if not (span.started_at and span.ended_at):
        return None
    from datetime import datetime

    start = datetime.fromisoformat(span.started_at)
    return (datetime.fromisoformat(span.ended_at) - start).total_seconds() * 1000


def _span_outcome(span: Any, facts: Any) -> tuple[str, Any, dict[str, Any] | None, dict]:
    """``(status, output, error, meta extras)`` of an ended function span."""
    data = span.span_data
    output = decode_json(data.output)
    text = data.output if isinstance(data.output, str) else ""
    extra: dict[str, Any] = {}
    status, error = "ok", None
    if span.error:
        details = span.error.get("data") or {}
        message = str(details.get("error") or span.error.get("message") or "tool error")
        # Tracing never carries the exception's type, and by default not its message either.
        found, error = real_failure(
            {"type": "ToolError", "message": message, "traceback": None},
            facts,
            "openai-agents-tracing",
        )
        status = found or "error"
    if "timed out after" in text:  # the SDK's own timeout message
        status = "timeout"
        error = {"type": "ToolTimeoutError", "message": text, "traceback": None}
    if status != "ok":
        extra["model_visible_result"], output = output, None
    return status, output, error, extra


class ForensicsTracingProcessor(TracingProcessor):
    """Record function spans; ``run_per_trace=True`` gives each trace its own run."""

    def __init__(
        self,
        recorder: Recorder | None = None,
        *,
        run_per_trace: bool = False,
        pending_after: float = DEFAULT_DELAY,
    ) -> None:
        self.recorder = recorder
        self.run_per_trace = run_per_trace
        self.pending_after = pending_after  # see ``start_deferred``
        self._runs: dict[str, Recorder] = {}
        self._spans: dict[str, tuple[Any, ScopeToken]] = {}  # span_id -> call in flight
        self._lock = threading.Lock()

    def _recorder_for(self, trace_id: str) -> Recorder:
        base = pick_recorder(self.recorder)
        if not self.run_per_trace:
            return base
        from forensics_tui.capture import Recorder

        with self._lock:
            if trace_id not in self._runs:
                self._runs[trace_id] = Recorder(base.root, f"oa-{trace_id}", agent=base.agent)
            return self._runs[trace_id]

    def on_trace_start(self, trace: Any) -> None:
        return None

    def on_trace_end(self, trace: Any) -> None:
        with self._lock:
            recorder = self._runs.pop(trace.trace_id, None)
        if recorder is not None:
            recorder.end()

    def on_span_start(self, span: Any) -> None:
        """A function span starts in the tool's own context: its pending fixture, and the
        scope that sends the tool's HTTP to this recorder."""
        data = span.span_data
        if not isinstance(data, FunctionSpanData):
            return
        recorder = self._recorder_for(span.trace_id)
        meta = {
            "integration": "openai-agents-tracing",
            "trace_id": span.trace_id,
            "span_id": span.span_id,
            "parent_span_id": span.parent_id,
        }
        handle = start_deferred(
            recorder, data.name, decode_json(data.input), meta=meta, delay=self.pending_after
        )
        token = enter_scope(recorder, handle)
        with self._lock:
            self._spans[span.span_id] = (handle, token)

    def on_span_end(self, span: Any) -> None:
        data = span.span_data
        if not isinstance(data, FunctionSpanData):
            return
        with self._lock:
            live = self._spans.pop(span.span_id, None)
        facts = None
        if live is not None:
            exit_scope(live[1])
            facts = live[1][3]
        status, output, error, extra = _span_outcome(span, facts)
        if live is not None:
            if data.input is not None:  # the SDK sets the arguments after the span started
                live[0].set_input(decode_json(data.input))
            live[0].finish(output, status, error=error, meta=extra or None)
            return
        meta = {
            "integration": "openai-agents-tracing",
            "trace_id": span.trace_id,
            "span_id": span.span_id,
            "parent_span_id": span.parent_id,
            **extra,
        }
        self._recorder_for(span.trace_id).record(
            data.name,
            decode_json(data.input),
            output,
            status,
            error=error,
            duration_ms=_span_duration(span),
            meta=meta,
            ts=span.started_at,
        )

    def shutdown(self) -> None:
        with self._lock:
            recorders = list(self._runs.values())
            self._runs.clear()
        for recorder in recorders:
            recorder.end()

    def force_flush(self) -> None:
        return None
