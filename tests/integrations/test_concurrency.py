"""Two runs at once, ten parallel tool calls each, in every integration: nothing mixes.

(No ``from __future__ import annotations``: the SDKs read the local tools' annotations.)

Each run has its own recorder; every tool call makes one HTTP request (captured by
``http.capture_http()`` with no recorder of its own).  Run A's upstream answers 200, run B's
answers 401, and both runs use the same tool-call ids (``call_0`` ... ``call_9``), as two
concurrent runs of one agent do.  Every fixture must land in its own run, linked to a call of
that run, with that run's answer, and none may stay ``pending``.
"""

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import Recorder
from forensics_tui.integrations import http

from .conftest import read_fixtures, require_extra
from .faultserver import FaultServer

N = 10
MODES = {"run-a": "ok", "run-b": "unauthorized"}
BODIES = {
    "ok": {"items": [{"id": 1, "name": "alpha"}], "total": 1},
    "unauthorized": {"error": "unauthorized", "message": "bad credentials"},
}


@pytest.fixture(autouse=True)
def _always_uninstall() -> Any:
    yield
    http.uninstall()


def check_run(root: Path, run_id: str, mode: str, *, http_children: bool = True) -> None:
    found = read_fixtures(root, run_id)
    tools = [f for f in found if not f["tool"].startswith("http ")]
    exchanges = [f for f in found if f["tool"].startswith("http ")]
    assert [f["status"] for f in found if f["status"] == "pending"] == []
    assert all(f["run_id"] == run_id for f in found)
    assert len(tools) == N, [t["tool"] for t in tools]
    assert sorted(t["input"]["i"] for t in tools) == list(range(N))
    assert all(t["output"] == BODIES[mode] for t in tools), [t["output"] for t in tools]
    if not http_children:
        return
    assert len(exchanges) == N
    by_call = {t["call_id"]: t for t in tools}
    for exchange in exchanges:
        parent = by_call[exchange["meta"]["parent_call"]]  # a call of this very run
        assert exchange["input"]["url"].endswith(f"/{mode}?i={parent['input']['i']}")
        assert exchange["output"]["status_code"] == (200 if mode == "ok" else 401)


def test_openai_agents_hooks(tmp_path: Path, fault_server: FaultServer) -> None:
    require_extra("agents")
    import httpx
    from agents import Agent, RunContextWrapper, Runner, function_tool, set_trace_processors
    from agents.testing.model import ScriptedModel, assistant_message, function_call

    from forensics_tui.integrations.openai_agents import ForensicsHooks

    set_trace_processors([])

    @function_tool
    async def fetch(ctx: RunContextWrapper[dict], i: int) -> dict:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(fault_server.url(f"/{ctx.context['mode']}?i={i}"))
            return response.json()

    def agent() -> Agent:
        calls = [function_call("fetch", {"i": i}, call_id=f"call_{i}") for i in range(N)]
        return Agent(
            name="a", model=ScriptedModel([calls, [assistant_message("done")]]), tools=[fetch]
        )

    async def both() -> None:
        await asyncio.gather(
            *(
                Runner.run(
                    agent(),
                    "go",
                    context={"mode": mode},
                    hooks=ForensicsHooks(Recorder(tmp_path, rid)),
                )
                for rid, mode in MODES.items()
            )
        )

    with http.capture_http():
        asyncio.run(both())
    for rid, mode in MODES.items():
        check_run(tmp_path, rid, mode)


def test_openai_agents_tracing(tmp_path: Path, fault_server: FaultServer) -> None:
    require_extra("agents")
    import httpx
    from agents import Agent, RunContextWrapper, Runner, function_tool, set_trace_processors
    from agents.testing.model import ScriptedModel, assistant_message, function_call

    from forensics_tui.integrations.openai_agents import ForensicsTracingProcessor

    @function_tool
    async def fetch(ctx: RunContextWrapper[dict], i: int) -> dict:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(fault_server.url(f"/{ctx.context['mode']}?i={i}"))
            return response.json()

    def agent() -> Agent:
        calls = [function_call("fetch", {"i": i}, call_id=f"call_{i}") for i in range(N)]
        return Agent(
            name="a", model=ScriptedModel([calls, [assistant_message("done")]]), tools=[fetch]
        )

    processor = ForensicsTracingProcessor(Recorder(tmp_path, "base"), run_per_trace=True)
    set_trace_processors([processor])
    results: dict[str, Any] = {}

    async def one(mode: str) -> None:
        results[mode] = await Runner.run(agent(), "go", context={"mode": mode})

    async def both() -> None:
        await asyncio.gather(*(one(mode) for mode in MODES.values()))

    try:
        with http.capture_http():
            asyncio.run(both())
    finally:
        set_trace_processors([])
    runs = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert len(runs) == 2 and all(r.startswith("oa-trace_") for r in runs)
    modes = {}
    for rid in runs:
        first = next(f for f in read_fixtures(tmp_path, rid) if f["tool"] == "fetch")
        modes[rid] = "ok" if first["output"] == BODIES["ok"] else "unauthorized"
    assert sorted(modes.values()) == ["ok", "unauthorized"]
    for rid, mode in modes.items():
        check_run(tmp_path, rid, mode)


def _lc_agent(recorder: Recorder, mode: str, base: str, *, middleware: bool) -> Any:
    import httpx
    from langchain.agents import create_agent
    from langchain_core.messages import AIMessage
    from langchain_core.tools import tool

    from forensics_tui.integrations.langchain import ForensicsMiddleware

    from .test_langchain import ToolCallingFake

    @tool
    async def fetch(i: int) -> dict:
        """Fetch item i."""
        async with httpx.AsyncClient(timeout=30) as client:
            return (await client.get(f"{base}/{mode}?i={i}")).json()

    calls = [{"name": "fetch", "args": {"i": i}, "id": f"call_{i}"} for i in range(N)]
    model = ToolCallingFake(
        messages=iter([AIMessage(content="", tool_calls=calls), AIMessage("done")])
    )
    extra = [ForensicsMiddleware(recorder)] if middleware else []
    return create_agent(model, [fetch], middleware=extra)


@pytest.mark.parametrize("style", ["middleware", "callbacks"])
def test_langchain(style: str, tmp_path: Path, fault_server: FaultServer) -> None:
    require_extra("langchain")
    from langchain_core.messages import HumanMessage

    from forensics_tui.integrations.langchain import ForensicsCallbackHandler

    async def both() -> None:
        jobs = []
        for rid, mode in MODES.items():
            rec = Recorder(tmp_path, rid)
            agent = _lc_agent(rec, mode, fault_server.url(""), middleware=style == "middleware")
            config = {} if style == "middleware" else {"callbacks": [ForensicsCallbackHandler(rec)]}
            jobs.append(agent.ainvoke({"messages": [HumanMessage("go")]}, config=config))
        await asyncio.gather(*jobs)

    with http.capture_http():
        asyncio.run(both())
    for rid, mode in MODES.items():
        check_run(tmp_path, rid, mode)


def test_pydantic_ai(tmp_path: Path, fault_server: FaultServer) -> None:
    require_extra("pydantic_ai")
    import httpx2
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    from forensics_tui.integrations.pydantic_ai import ForensicsCapability

    def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(
                parts=[ToolCallPart("fetch", {"i": i}, tool_call_id=f"call_{i}") for i in range(N)]
            )
        return ModelResponse(parts=[TextPart("done")])

    def agent(rid: str, mode: str) -> Any:
        built = Agent(
            FunctionModel(respond), capabilities=[ForensicsCapability(Recorder(tmp_path, rid))]
        )

        @built.tool_plain
        async def fetch(i: int) -> dict:
            async with httpx2.AsyncClient(timeout=30) as client:
                return (await client.get(fault_server.url(f"/{mode}?i={i}"))).json()

        return built

    async def both() -> None:
        await asyncio.gather(*(agent(rid, mode).run("go") for rid, mode in MODES.items()))

    with http.capture_http():
        asyncio.run(both())
    for rid, mode in MODES.items():
        check_run(tmp_path, rid, mode)


def test_otel_exporter(tmp_path: Path) -> None:
    require_extra("opentelemetry.sdk")
    import json

    from opentelemetry import context as otel_context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from forensics_tui.integrations.otel import ForensicsSpanExporter

    provider = TracerProvider()
    exporter = ForensicsSpanExporter(Recorder(tmp_path, "base"), run_per_trace=True)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")

    def one_run(mode: str) -> None:
        with tracer.start_as_current_span("agent run"):
            parent = otel_context.get_current()
            threads = [threading.Thread(target=tool_span, args=(mode, i, parent)) for i in range(N)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    def tool_span(mode: str, i: int, parent: Any) -> None:
        attrs = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "fetch",
            "gen_ai.tool.call.id": f"call_{i}",
            "gen_ai.tool.call.arguments": json.dumps({"i": i}),
            "gen_ai.tool.call.result": json.dumps(BODIES[mode]),
        }
        with tracer.start_as_current_span("execute_tool fetch", parent, attributes=attrs):
            pass

    ctx_threads = [threading.Thread(target=one_run, args=(m,)) for m in MODES.values()]
    for thread in ctx_threads:
        thread.start()
    for thread in ctx_threads:
        thread.join()
    runs = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert len(runs) == 2
    modes = {}
    for rid in runs:
        outputs = {json.dumps(f["output"]) for f in read_fixtures(tmp_path, rid)}
        assert len(outputs) == 1  # one run never holds the other's answers
        modes[rid] = "ok" if json.loads(outputs.pop()) == BODIES["ok"] else "unauthorized"
    assert sorted(modes.values()) == ["ok", "unauthorized"]
    for rid, mode in modes.items():
        check_run(tmp_path, rid, mode, http_children=False)


def test_mcp_proxy(tmp_path: Path, fault_server: FaultServer) -> None:
    require_extra("mcp")
    anyio = require_extra("anyio")
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters

    from .mcp_helpers import child_env, proxy_command

    command = proxy_command(tmp_path)

    async def one_run(rid: str, mode: str) -> None:
        env = child_env(fault_server.url(""), rid)
        params = StdioServerParameters(command=command[0], args=command[1:], env=env)
        async with Client(params, mode="legacy") as client, anyio.create_task_group() as group:
            for i in range(N):
                group.start_soon(client.call_tool, "fetch_items", {"path": f"/{mode}?i={i}"})

    async def both() -> None:
        async with anyio.create_task_group() as group:
            for rid, mode in MODES.items():
                group.start_soon(one_run, rid, mode)

    anyio.run(both)
    for rid, mode in MODES.items():
        found = read_fixtures(tmp_path, rid)
        assert len(found) == N
        assert {f["status"] for f in found} == {"ok" if mode == "ok" else "error"}
        assert sorted(f["input"]["path"] for f in found) == sorted(
            f"/{mode}?i={i}" for i in range(N)
        )


def test_http_inside_checkpointed_calls(tmp_path: Path, fault_server: FaultServer) -> None:
    """Plain ``checkpointed`` tool calls in threads: each HTTP child in its parent's run."""
    import requests

    from forensics_tui.capture import checkpointed

    recorders = {rid: Recorder(tmp_path, rid) for rid in MODES}

    def tool_call(rid: str, i: int) -> None:
        with checkpointed("fetch", {"i": i}, recorder=recorders[rid]) as call:
            call.output = requests.get(fault_server.url(f"/{MODES[rid]}?i={i}"), timeout=30).json()

    threads = [threading.Thread(target=tool_call, args=(rid, i)) for rid in MODES for i in range(N)]
    with http.capture_http():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for rid, mode in MODES.items():
        check_run(tmp_path, rid, mode)
