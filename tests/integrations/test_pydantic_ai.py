"""ForensicsCapability on a real pydantic-ai agent driven offline by a scripted FunctionModel."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import Recorder

from .conftest import read_fixtures, require_extra
from .faultserver import FaultServer

pydantic_ai = require_extra("pydantic_ai")
httpx2 = require_extra("httpx2")

from pydantic_ai import Agent, ModelRetry  # noqa: E402
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart  # noqa: E402
from pydantic_ai.models.function import AgentInfo, FunctionModel  # noqa: E402

from forensics_tui.integrations import http  # noqa: E402
from forensics_tui.integrations.pydantic_ai import ForensicsCapability  # noqa: E402


def scripted(*calls: ToolCallPart) -> FunctionModel:
    """A model that asks for ``calls`` in its first response, then answers 'done'."""

    def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(parts=list(calls))
        return ModelResponse(parts=[TextPart("done")])

    return FunctionModel(respond)


def by_tool(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["tool"]: f for f in found}


def test_ok_validation_error_retry_and_timeout(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "run1")
    model = scripted(
        ToolCallPart("add", {"a": 1, "b": 2}),
        ToolCallPart("add_bad", '{"a": "not a number", "b": 1}'),
        ToolCallPart("refuse", {"why": "quota"}),
        ToolCallPart("slow", {}),
    )
    agent = Agent(model, capabilities=[ForensicsCapability(recorder=rec)])

    @agent.tool_plain
    def add(a: int, b: int) -> dict[str, int]:
        return {"sum": a + b}

    @agent.tool_plain
    def add_bad(a: int, b: int) -> int:
        return a + b

    @agent.tool_plain
    def refuse(why: str) -> str:
        raise ModelRetry(f"try again later: {why}")

    @agent.tool_plain(timeout=0.2)
    async def slow() -> str:
        await asyncio.sleep(5)
        return "never"

    assert agent.run_sync("go").output == "done"
    found = by_tool(read_fixtures(tmp_path, "run1"))
    assert found["add"]["status"] == "ok"
    assert found["add"]["input"] == {"a": 1, "b": 2}
    assert found["add"]["output"] == {"sum": 3}
    assert found["add"]["meta"]["integration"] == "pydantic-ai"
    assert found["add"]["meta"]["tool_call_id"]
    assert found["add_bad"]["status"] == "error"
    assert found["add_bad"]["meta"]["phase"] == "validate"
    assert found["add_bad"]["input"] == {"a": "not a number", "b": 1}
    assert "ValidationError" in found["add_bad"]["error"]["type"]
    assert found["refuse"]["status"] == "error"
    assert "try again later: quota" in found["refuse"]["error"]["message"]
    assert found["slow"]["status"] == "timeout"
    assert "Timed out" in found["slow"]["error"]["message"]


def test_tool_exception_is_recorded_with_its_type_and_reraised(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "run1")
    agent = Agent(
        scripted(ToolCallPart("explode", {})), capabilities=[ForensicsCapability(recorder=rec)]
    )

    @agent.tool_plain
    def explode() -> str:
        raise KeyError("missing-config")

    with pytest.raises(KeyError):
        agent.run_sync("go")
    (fx,) = read_fixtures(tmp_path, "run1")
    assert fx["status"] == "error"
    assert fx["error"]["type"] == "KeyError"
    assert "missing-config" in fx["error"]["message"]
    assert "Traceback" in fx["error"]["traceback"]


def test_http_inside_a_tool_links_to_the_tool_call(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    rec = Recorder(tmp_path, "run1")
    agent = Agent(
        scripted(ToolCallPart("fetch", {"path": "/ok"})),
        capabilities=[ForensicsCapability(recorder=rec)],
    )

    @agent.tool_plain
    async def fetch(path: str) -> Any:
        async with httpx2.AsyncClient(timeout=0.5) as client:
            return (await client.get(fault_server.url(path))).json()

    with http.capture_http():  # no recorder given: the tool call's recorder is used
        agent.run_sync("go")
    found = read_fixtures(tmp_path, "run1")
    assert [f["tool"] for f in found] == ["fetch", "http GET 127.0.0.1/ok"]
    tool, exchange = found
    assert exchange["meta"]["parent_call"] == tool["call_id"]
    assert exchange["meta"]["integration"] == "http:httpx2"
    assert tool["output"] == exchange["output"]["body"]


def test_default_recorder_honours_the_environment(
    fixture_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORENSICS_RUN_ID", "from-env")
    agent = Agent(scripted(ToolCallPart("ping", {})), capabilities=[ForensicsCapability()])

    @agent.tool_plain
    def ping() -> str:
        return "pong"

    agent.run_sync("go")
    (fx,) = read_fixtures(fixture_root, "from-env")
    assert (fx["tool"], fx["output"]) == ("ping", "pong")


def test_a_quick_call_is_written_once_a_slow_one_pending_first(tmp_path: Path) -> None:
    """``pending_after``: nothing of a call that ends sooner is on disk while it runs; a slower
    one shows up as ``pending`` under the call id its final fixture keeps."""
    import json

    seen: dict[str, list[tuple[str, str]]] = {}

    def on_disk(run: str) -> list[tuple[str, str]]:
        files = sorted((tmp_path / run).glob("0*.json"))
        return [(f["call_id"], f["status"]) for f in (json.loads(p.read_text()) for p in files)]

    quick_agent = Agent(
        scripted(ToolCallPart("quick", {})),
        capabilities=[ForensicsCapability(recorder=Recorder(tmp_path, "q"), pending_after=30)],
    )

    @quick_agent.tool_plain
    def quick() -> str:
        seen["quick"] = on_disk("q")
        return "fast"

    slow_agent = Agent(
        scripted(ToolCallPart("slow", {})),
        capabilities=[ForensicsCapability(recorder=Recorder(tmp_path, "s"), pending_after=0.05)],
    )

    @slow_agent.tool_plain
    async def slow() -> str:
        await asyncio.sleep(0.5)
        seen["slow"] = on_disk("s")
        return "done"

    quick_agent.run_sync("go")
    slow_agent.run_sync("go")
    ((quick_call,), (slow_call,)) = read_fixtures(tmp_path, "q"), read_fixtures(tmp_path, "s")
    assert seen["quick"] == []
    assert seen["slow"] == [(slow_call["call_id"], "pending")]
    assert (quick_call["status"], slow_call["status"]) == ("ok", "ok")
