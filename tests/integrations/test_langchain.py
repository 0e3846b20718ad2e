"""LangChain: ForensicsMiddleware on create_agent and ForensicsCallbackHandler, fake chat model."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import Recorder

from .conftest import read_fixtures, require_extra
from .faultserver import FaultServer

require_extra("langchain")
httpx = require_extra("httpx")

from langchain.agents import create_agent  # noqa: E402
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402

from forensics_tui.integrations import http  # noqa: E402
from forensics_tui.integrations.langchain import (  # noqa: E402
    ForensicsCallbackHandler,
    ForensicsMiddleware,
)


class ToolCallingFake(GenericFakeChatModel):
    """The fake chat model, able to stand in for a tool-calling one."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFake:
        return self


def script(*turns: list[tuple[str, dict[str, Any]]]) -> ToolCallingFake:
    messages = [
        AIMessage(
            content="",
            tool_calls=[
                {"name": name, "args": args, "id": f"call_{t}_{i}"}
                for i, (name, args) in enumerate(turn)
            ],
        )
        for t, turn in enumerate(turns)
    ]
    return ToolCallingFake(messages=iter([*messages, AIMessage(content="done")]))


@tool
def lookup(user_id: int) -> dict:
    """Look up a user."""
    return {"user": user_id, "error": "token_expired"}


@tool
def slow_upstream(x: str) -> str:
    """Call a slow upstream."""
    raise TimeoutError("upstream took too long")


TURNS = (
    [("lookup", {"user_id": 7}), ("lookup", {"user_id": "seven"})],
    [("slow_upstream", {"x": "y"})],
)


def _check(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The three calls, keyed by input (the two lookups run in parallel, in either order)."""
    by_input = {json.dumps(f["input"], sort_keys=True): f for f in found}
    assert len(found) == 3
    ok, invalid = by_input['{"user_id": 7}'], by_input['{"user_id": "seven"}']
    slow = by_input['{"x": "y"}']
    assert (ok["tool"], ok["status"]) == ("lookup", "ok")
    assert ok["output"] == {"user": 7, "error": "token_expired"}
    assert (invalid["tool"], invalid["status"]) == ("lookup", "error")
    assert "valid integer" in invalid["error"]["message"]
    assert (slow["tool"], slow["status"]) == ("slow_upstream", "timeout")
    assert slow["error"]["type"] == "TimeoutError"
    return by_input


def test_middleware_records_ok_invalid_args_and_timeout(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "run1")
    agent = create_agent(
        script(*TURNS), [lookup, slow_upstream], middleware=[ForensicsMiddleware(rec)]
    )
    with pytest.raises(TimeoutError):
        agent.invoke({"messages": [HumanMessage("go")]})
    ok = _check(read_fixtures(tmp_path, "run1"))['{"user_id": 7}']
    assert ok["meta"]["tool_call_id"] == "call_0_0"
    assert ok["meta"]["integration"] == "langchain"


def test_callback_handler_records_the_same_calls(tmp_path: Path) -> None:
    handler = ForensicsCallbackHandler(Recorder(tmp_path, "run1"))
    agent = create_agent(script(*TURNS), [lookup, slow_upstream])
    with pytest.raises(TimeoutError):
        agent.invoke({"messages": [HumanMessage("go")]}, config={"callbacks": [handler]})
    ok = _check(read_fixtures(tmp_path, "run1"))['{"user_id": 7}']
    assert ok["meta"]["integration"] == "langchain-callbacks"


def test_async_middleware_links_http_made_by_the_tool(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    @tool
    async def fetch(path: str) -> dict:
        """Fetch a path from the service."""
        async with httpx.AsyncClient(timeout=0.5) as client:
            return (await client.get(fault_server.url(path))).json()

    rec = Recorder(tmp_path, "run1")
    agent = create_agent(
        script([("fetch", {"path": "/token_expired"})]),
        [fetch],
        middleware=[ForensicsMiddleware(rec)],
    )
    with http.capture_http():
        asyncio.run(agent.ainvoke({"messages": [HumanMessage("go")]}))
    tool_call, exchange = read_fixtures(tmp_path, "run1")
    assert tool_call["output"] == {"error": "token_expired", "items": []}
    assert exchange["meta"]["parent_call"] == tool_call["call_id"]


def test_middleware_records_a_plain_dict_result_and_a_command(tmp_path: Path) -> None:
    """A dict has an ``update`` method too: it must not be taken for a langgraph Command."""
    from types import SimpleNamespace

    from langgraph.types import Command

    rec = Recorder(tmp_path, "run1")
    middleware = ForensicsMiddleware(rec)
    request = SimpleNamespace(tool_call={"name": "lookup", "args": {"user_id": 7}, "id": "c1"})
    result = {"user": 7, "tier": "gold"}
    assert middleware.wrap_tool_call(request, lambda r: result) is result
    command = Command(update={"tier": "gold"})
    assert middleware.wrap_tool_call(request, lambda r: command) is command
    plain, cmd = read_fixtures(tmp_path, "run1")
    assert (plain["status"], plain["output"]) == ("ok", {"user": 7, "tier": "gold"})
    assert (cmd["status"], cmd["output"]) == ("ok", {"command": {"tier": "gold"}})


def test_middleware_defers_the_pending_fixture(tmp_path: Path) -> None:
    """A call that ends within ``pending_after`` is only ever on disk as its final fixture;
    one still running after it is ``pending`` meanwhile, under the call id it keeps."""
    import time
    from types import SimpleNamespace

    def on_disk(run: str) -> list[tuple[str, str]]:
        files = sorted((tmp_path / run).glob("0*.json"))
        return [(f["call_id"], f["status"]) for f in (json.loads(p.read_text()) for p in files)]

    seen: dict[str, Any] = {}
    request = SimpleNamespace(tool_call={"name": "lookup", "args": {"user_id": 7}, "id": "c1"})

    def quick(_: Any) -> dict:
        seen["quick"] = on_disk("q")
        return {"ok": True}

    def slow(_: Any) -> dict:
        time.sleep(0.5)
        seen["slow"] = on_disk("s")
        return {"ok": True}

    ForensicsMiddleware(Recorder(tmp_path, "q"), pending_after=30).wrap_tool_call(request, quick)
    ForensicsMiddleware(Recorder(tmp_path, "s"), pending_after=0.05).wrap_tool_call(request, slow)
    ((quick_call,), (slow_call,)) = read_fixtures(tmp_path, "q"), read_fixtures(tmp_path, "s")
    assert seen["quick"] == []
    assert seen["slow"] == [(slow_call["call_id"], "pending")]
    assert quick_call["output"] == slow_call["output"] == {"ok": True}
