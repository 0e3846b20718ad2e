"""OpenAI Agents SDK: ForensicsHooks records real exceptions and timeouts; the tracing processor.

Driven offline by the SDK's own ``ScriptedModel``; the SDK's default trace exporter (which would
send traces to OpenAI) is replaced for every test.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import Recorder

from .conftest import read_fixtures, require_extra
from .faultserver import FaultServer

require_extra("agents")
httpx = require_extra("httpx")

from agents import Agent, RunConfig, Runner, function_tool, set_trace_processors  # noqa: E402
from agents.testing.model import ScriptedModel, assistant_message, function_call  # noqa: E402

from forensics_tui.integrations import http  # noqa: E402
from forensics_tui.integrations.openai_agents import (  # noqa: E402
    ForensicsHooks,
    ForensicsTracingProcessor,
)


@pytest.fixture(autouse=True)
def _no_default_trace_export() -> Iterator[None]:
    set_trace_processors([])  # never let the SDK export traces over the network
    yield
    set_trace_processors([])


def make_tools(raise_on_failure: bool = False) -> list[Any]:
    @function_tool
    def add(a: int, b: int) -> dict[str, int]:
        return {"sum": a + b}

    @function_tool(failure_error_function=None if raise_on_failure else _default())
    def boom(x: str) -> str:
        raise KeyError(f"missing {x}")

    @function_tool(timeout=0.2)
    async def slow() -> str:
        await asyncio.sleep(3)
        return "never"

    return [add, boom, slow]


def _default() -> Any:
    from agents.tool import default_tool_error_function

    return default_tool_error_function


def scripted(*names: tuple[str, dict[str, Any]]) -> ScriptedModel:
    calls = [function_call(n, a, call_id=f"call_{i}") for i, (n, a) in enumerate(names)]
    return ScriptedModel([calls, [assistant_message("done")]])


def run(agent: Agent, **kwargs: Any) -> Any:
    return asyncio.run(Runner.run(agent, "go", run_config=RunConfig(), **kwargs))


def test_hooks_record_real_exception_and_timeout(tmp_path: Path) -> None:
    model = scripted(("add", {"a": 1, "b": 2}), ("boom", {"x": "key"}), ("slow", {}))
    agent = Agent(name="ops", model=model, tools=make_tools())
    result = run(agent, hooks=ForensicsHooks(Recorder(tmp_path, "run1")))
    assert result.final_output == "done"  # the SDK hid both failures from the caller
    found = {f["tool"]: f for f in read_fixtures(tmp_path, "run1")}
    assert (found["add"]["status"], found["add"]["output"]) == ("ok", {"sum": 3})
    assert found["add"]["input"] == {"a": 1, "b": 2}
    assert found["add"]["meta"]["tool_call_id"] == "call_0"
    assert found["boom"]["status"] == "error"
    assert found["boom"]["error"]["type"] == "KeyError"  # the real exception, not a string
    assert "missing key" in found["boom"]["error"]["message"]
    assert "KeyError" in found["boom"]["error"]["traceback"]
    assert "error occurred" in found["boom"]["meta"]["model_visible_result"]
    assert found["slow"]["status"] == "timeout"
    assert "ToolTimeoutError" in found["slow"]["error"]["type"]


def test_hooks_record_an_exception_the_sdk_reraises(tmp_path: Path) -> None:
    agent = Agent(name="ops", model=scripted(("boom", {"x": "y"})), tools=make_tools(True))
    with pytest.raises(Exception):  # noqa: B017 - the SDK may wrap it
        run(agent, hooks=ForensicsHooks(Recorder(tmp_path, "run1")))
    (fx,) = read_fixtures(tmp_path, "run1")
    assert (fx["tool"], fx["status"], fx["error"]["type"]) == ("boom", "error", "KeyError")


def test_hooks_link_http_made_by_the_tool(tmp_path: Path, fault_server: FaultServer) -> None:
    @function_tool
    async def fetch(path: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=0.5) as client:
            return (await client.get(fault_server.url(path))).json()

    agent = Agent(name="ops", model=scripted(("fetch", {"path": "/token_expired"})), tools=[fetch])
    with http.capture_http():
        run(agent, hooks=ForensicsHooks(Recorder(tmp_path, "run1")))
    tool_call, exchange = read_fixtures(tmp_path, "run1")
    assert tool_call["output"] == {"error": "token_expired", "items": []}
    assert exchange["meta"]["parent_call"] == tool_call["call_id"]


def test_tracing_processor_records_function_spans(tmp_path: Path) -> None:
    processor = ForensicsTracingProcessor(Recorder(tmp_path, "run1"))
    set_trace_processors([processor])
    model = scripted(("add", {"a": 2, "b": 2}), ("boom", {"x": "y"}), ("slow", {}))
    run(Agent(name="ops", model=model, tools=make_tools()))
    found = {f["tool"]: f for f in read_fixtures(tmp_path, "run1")}
    assert (found["add"]["status"], found["add"]["input"]) == ("ok", {"a": 2, "b": 2})
    assert found["boom"]["status"] == "error"
    assert found["slow"]["status"] == "timeout"
    assert found["add"]["meta"]["trace_id"].startswith("trace_")


def test_hooks_write_a_quick_call_once_and_a_slow_one_pending_first(tmp_path: Path) -> None:
    """The pending fixture waits ``pending_after``: a call that ends sooner is only ever on
    disk as its final fixture; a slower one shows up as ``pending`` (its call id) meanwhile."""
    seen: dict[str, list[tuple[str, str]]] = {}

    def on_disk(run_dir: Path) -> list[tuple[str, str]]:
        if not run_dir.exists():
            return []
        return [
            (f["call_id"], f["status"])
            for f in (json.loads(p.read_text()) for p in sorted(run_dir.glob("0*.json")))
        ]

    @function_tool
    def quick() -> str:
        seen["quick"] = on_disk(tmp_path / "quick")
        return "fast"

    @function_tool
    async def slow() -> str:
        await asyncio.sleep(0.5)
        seen["slow"] = on_disk(tmp_path / "slow")
        return "done"

    hooks = ForensicsHooks(Recorder(tmp_path, "quick"), pending_after=30)
    run(Agent(name="ops", model=scripted(("quick", {})), tools=[quick]), hooks=hooks)
    hooks = ForensicsHooks(Recorder(tmp_path, "slow"), pending_after=0.05)
    run(Agent(name="ops", model=scripted(("slow", {})), tools=[slow]), hooks=hooks)
    (quick_call,) = read_fixtures(tmp_path, "quick")
    (slow_call,) = read_fixtures(tmp_path, "slow")
    assert seen["quick"] == []  # nothing written while the quick call ran
    assert seen["slow"] == [(slow_call["call_id"], "pending")]
    assert (quick_call["status"], slow_call["status"]) == ("ok", "ok")
    assert not list(tmp_path.glob("*/.*.tmp"))
