"""A pydantic-ai capability that records every tool call the agent makes as a fixture.

    from forensics_tui.integrations.pydantic_ai import ForensicsCapability
    agent = Agent(model, capabilities=[ForensicsCapability()])

``wrap_tool_execute`` writes a pending fixture when a tool starts and the final one when it
returns or raises; ``wrap_tool_validate`` records arguments the model got wrong (a
``ValidationError`` or a validator's ``ModelRetry``) as an ``error`` fixture, since those are
tool calls that never ran.  pydantic-ai turns a tool's ``timeout=`` into a retry prompt
("Timed out after N seconds."); that is recorded as ``timeout``, as is any exception that is a
timeout (``httpx2.ReadTimeout``, ``TimeoutError``...).  While a tool runs, its call is the
current one, so HTTP captured by ``integrations.http`` links to it via ``meta.parent_call``.
Imports pydantic-ai: only import this module when you use it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic_ai import exceptions as pai_exc
from pydantic_ai.capabilities import AbstractCapability

from forensics_tui.integrations._common import (
    DEFAULT_DELAY,
    enter_scope,
    exit_scope,
    finish_failed,
    is_timeout,
    pick_recorder,
    start_deferred,
    with_child_facts,
)

if TYPE_CHECKING:
    from pydantic_ai import RunContext
    from pydantic_ai.messages import ToolCallPart
    from pydantic_ai.tools import ToolDefinition

    from forensics_tui.capture import Recorder

__all__ = ["ForensicsCapability"]

_SKIPS: tuple[type[BaseException], ...] = (
    pai_exc.CallDeferred,
    pai_exc.ApprovalRequired,
    pai_exc.SkipToolExecution,
)
_TIMED_OUT = "Timed out after"  # pydantic-ai's message for a tool's own timeout


def _raised_by_tool(exc: BaseException) -> BaseException:
    """The ``ModelRetry`` the tool raised, rather than pydantic-ai's ``ToolRetryError`` wrapper."""
    seen: set[int] = set()
    item: BaseException | None = exc
    while item is not None and id(item) not in seen:
        seen.add(id(item))
        if isinstance(item, pai_exc.ModelRetry):
            return item
        item = item.__cause__ or item.__context__
    return exc


def _raw_args(args: Any) -> Any:
    if isinstance(args, str):
        try:
            return json.loads(args)
        except ValueError:
            return {"raw": args}
    return args


@dataclass
class ForensicsCapability(AbstractCapability[Any]):
    """Record tool calls (and argument validation failures) through the capture recorder.

    ``recorder`` defaults to ``get_recorder()`` (``FORENSICS_FIXTURE_DIR``/``FORENSICS_RUN_ID``).
    """

    recorder: Recorder | None = None
    record_validation_errors: bool = True
    pending_after: float = DEFAULT_DELAY  # see ``start_deferred``

    def _meta(self, ctx: RunContext[Any], call: ToolCallPart, phase: str) -> dict[str, Any]:
        return {
            "integration": "pydantic-ai",
            "phase": phase,
            "tool_call_id": call.tool_call_id,
            "run_step": ctx.run_step,
            "retry": ctx.retry,
        }

    async def wrap_tool_validate(
        self,
        ctx: RunContext[Any],
        *,
        call: ToolCallPart,
        tool_def: ToolDefinition,
        args: Any,
        handler: Any,
    ) -> Any:
        try:
            return await handler(args)
        except (pai_exc.SkipToolValidation, *_SKIPS):
            raise
        except Exception as exc:
            if self.record_validation_errors:
                recorder = pick_recorder(self.recorder)
                recorder.record(
                    call.tool_name,
                    _raw_args(args),
                    None,
                    "error",
                    error=exc,
                    meta=self._meta(ctx, call, "validate"),
                )
            raise

    async def wrap_tool_execute(
        self,
        ctx: RunContext[Any],
        *,
        call: ToolCallPart,
        tool_def: ToolDefinition,
        args: dict[str, Any],
        handler: Any,
    ) -> Any:
        recorder = pick_recorder(self.recorder)
        meta = self._meta(ctx, call, "execute")
        if tool_def.timeout is not None:
            meta["timeout_s"] = tool_def.timeout
        handle = start_deferred(recorder, call.tool_name, args, meta=meta, delay=self.pending_after)
        token = enter_scope(recorder, handle)  # by hand: a generator context costs ~2 µs
        facts = token[3]
        try:
            try:
                result = await handler(args)
            finally:
                exit_scope(token)
        except _SKIPS as exc:
            handle.finish(None, "skipped", meta={"skipped_by": type(exc).__name__})
            raise
        except pai_exc.ToolRetryError as exc:
            timed_out = str(exc).startswith(_TIMED_OUT) or is_timeout(exc)
            error = with_child_facts(_raised_by_tool(exc), facts)
            handle.finish(None, "timeout" if timed_out else "error", error=error)
            raise
        except asyncio.CancelledError as exc:
            handle.finish(None, "timeout", error=exc)
            raise
        except BaseException as exc:
            finish_failed(handle, exc, facts)
            raise
        handle.finish(result, "ok")
        return result
