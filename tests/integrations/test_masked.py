"""Failures a framework hides are recorded as what they were, or marked as hidden.

LangChain's ``ToolErrorMiddleware`` (with ``ForensicsMiddleware`` outside it) and the OpenAI
Agents tracing processor ("Error details are redacted") only show a string; the real failure is
taken from the tool's failed HTTP child, and when there is none the error says who masked it.
A framework timeout that cancels the tool's HTTP makes that child part of the timeout.
"""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import Recorder
from forensics_tui.integrations import http

from .conftest import read_fixtures, require_extra
from .faultserver import FaultServer


@pytest.fixture(autouse=True)
def _always_uninstall() -> Any:
    yield
    http.uninstall()


def _tool_calls(root: Path, run_id: str) -> dict[str, dict[str, Any]]:
    return {f["tool"]: f for f in read_fixtures(root, run_id) if not f["tool"].startswith("http ")}


def test_langchain_outside_tool_error_middleware(tmp_path: Path, fault_server: FaultServer) -> None:
    require_extra("langchain")
    import httpx
    from langchain.agents import create_agent
    from langchain.agents.middleware import ToolErrorMiddleware
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_core.tools import tool

    from forensics_tui.integrations.langchain import ForensicsMiddleware

    from .test_langchain import ToolCallingFake

    @tool
    async def slow() -> dict:
        """Call the slow upstream."""
        async with httpx.AsyncClient(timeout=0.5) as client:
            return (await client.get(fault_server.url("/timeout"))).json()

    @tool
    async def denied() -> dict:
        """Call the upstream with bad credentials."""
        async with httpx.AsyncClient(timeout=0.5) as client:
            response = await client.get(fault_server.url("/unauthorized"))
            response.raise_for_status()
            return response.json()

    @tool
    async def broken() -> dict:
        """Fail without any HTTP."""
        raise KeyError("no such customer")

    calls = [{"name": n, "args": {}, "id": f"call_{n}"} for n in ("slow", "denied", "broken")]
    model = ToolCallingFake(
        messages=iter([AIMessage(content="", tool_calls=calls), AIMessage("done")])
    )
    handled = ToolErrorMiddleware(lambda exc, request: "the tool failed, try something else")
    agent = create_agent(
        model,
        [slow, denied, broken],
        middleware=[ForensicsMiddleware(Recorder(tmp_path, "run1")), handled],
    )
    with http.capture_http():
        asyncio.run(agent.ainvoke({"messages": [HumanMessage("go")]}))
    found = _tool_calls(tmp_path, "run1")
    assert found["slow"]["status"] == "timeout"
    assert found["slow"]["error"]["type"] == "httpx.ReadTimeout"
    assert "/timeout" in found["slow"]["error"]["message"]  # not empty: type and URL
    assert found["slow"]["error"]["masked_message"] == "the tool failed, try something else"
    assert found["denied"]["status"] == "error"
    assert found["denied"]["error"]["status_code"] == 401
    assert found["denied"]["error"]["type"] == "HTTPStatusError"
    assert found["broken"]["status"] == "error"
    assert found["broken"]["error"]["masked_by"] == "langchain"


def test_openai_agents_tracing_redacted_errors(tmp_path: Path, fault_server: FaultServer) -> None:
    require_extra("agents")
    import httpx
    from agents import Agent, Runner, function_tool, set_trace_processors
    from agents.testing.model import ScriptedModel, assistant_message, function_call

    from forensics_tui.integrations.openai_agents import ForensicsTracingProcessor

    @function_tool
    async def denied() -> dict:
        async with httpx.AsyncClient(timeout=0.5) as client:
            response = await client.get(fault_server.url("/unauthorized"))
            response.raise_for_status()
            return response.json()

    @function_tool
    async def broken() -> dict:
        raise KeyError("no such customer")

    calls = [function_call(n, {}, call_id=f"call_{n}") for n in ("denied", "broken")]
    agent = Agent(
        name="a", model=ScriptedModel([calls, [assistant_message("done")]]), tools=[denied, broken]
    )
    set_trace_processors([ForensicsTracingProcessor(Recorder(tmp_path, "run1"))])
    try:
        with http.capture_http():
            asyncio.run(Runner.run(agent, "go"))
    finally:
        set_trace_processors([])
    found = _tool_calls(tmp_path, "run1")
    assert found["denied"]["status"] == "error"
    assert (found["denied"]["error"]["type"], found["denied"]["error"]["status_code"]) == (
        "HTTPStatusError",
        401,
    )
    assert found["broken"]["status"] == "error"
    assert found["broken"]["error"]["masked_by"] == "openai-agents-tracing"
    exchange = next(f for f in read_fixtures(tmp_path, "run1") if f["tool"].startswith("http "))
    assert exchange["meta"]["parent_call"] == found["denied"]["call_id"]


def test_cancelled_http_child_is_part_of_the_parent_timeout(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    require_extra("pydantic_ai")
    import httpx2
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    from forensics_tui.integrations.pydantic_ai import ForensicsCapability

    def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(parts=[ToolCallPart("fetch", {})])
        return ModelResponse(parts=[TextPart("done")])

    agent = Agent(
        FunctionModel(respond), capabilities=[ForensicsCapability(Recorder(tmp_path, "run1"))]
    )

    @agent.tool_plain(timeout=0.3)
    async def fetch() -> dict:
        async with httpx2.AsyncClient(timeout=5) as client:  # the framework gives up first
            return (await client.get(fault_server.url("/timeout"))).json()

    with http.capture_http():
        asyncio.run(agent.run("go"))
    found = read_fixtures(tmp_path, "run1")
    parent = next(f for f in found if f["tool"] == "fetch")
    child = next(f for f in found if f["tool"].startswith("http "))
    assert parent["status"] == "timeout"
    assert child["status"] == "timeout"  # part of the timeout, not an extra error
    assert parent["call_id"] in child["meta"]["cancelled"]
    assert [f["status"] for f in found].count("error") == 0
