"""Run one tool call through each framework integration against the fault server (test helper).

Every runner drives the real framework with a scripted model (the only fake) whose single tool
call fetches ``url`` with httpx, raising on HTTP errors as a typical tool does, while
``integrations.http`` records the exchange.  Each returns nothing; the fixtures under
``root/run_id`` are what the matrix test reads.
"""

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from forensics_tui.capture import Recorder

TIMEOUT = 0.5


async def fetch_json(url: str) -> Any:
    import httpx

    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        response = await client.get(url)
        response.raise_for_status()
        return response.json()


def _pydantic_agent(url: str, capabilities: list[Any]) -> Any:
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(parts=[ToolCallPart("fetch", {})])
        return ModelResponse(parts=[TextPart("done")])

    agent = Agent(FunctionModel(respond), capabilities=capabilities)

    @agent.tool_plain
    async def fetch() -> Any:
        return await fetch_json(url)

    return agent


def run_pydantic_ai(url: str, root: Path, run_id: str) -> None:
    from forensics_tui.integrations.pydantic_ai import ForensicsCapability

    agent = _pydantic_agent(url, [ForensicsCapability(Recorder(root, run_id))])
    with contextlib.suppress(Exception):  # the tool's exception ends the agent run
        agent.run_sync("go")


def _otel_spans(url: str, exporter: Any) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from pydantic_ai import InstrumentationSettings
    from pydantic_ai.capabilities import Instrumentation

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = InstrumentationSettings(tracer_provider=provider)
    agent = _pydantic_agent(url, [Instrumentation(settings=settings)])
    with contextlib.suppress(Exception):
        agent.run_sync("go")
    provider.shutdown()


def run_otel_exporter(url: str, root: Path, run_id: str) -> None:
    from forensics_tui.integrations.otel import ForensicsSpanExporter

    _otel_spans(url, ForensicsSpanExporter(Recorder(root, run_id)))


def _otlp_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [_otlp_value(v) for v in value]}}
    return {"stringValue": str(value)}


def _otlp_attrs(attrs: Any) -> list[dict[str, Any]]:
    return [{"key": k, "value": _otlp_value(v)} for k, v in dict(attrs or {}).items()]


def otlp_json(spans: Any) -> dict[str, Any]:
    """SDK spans as an OTLP/JSON ``ExportTraceServiceRequest`` (what a collector writes)."""
    out = []
    for span in spans:
        ctx = span.get_span_context()
        out.append(
            {
                "traceId": f"{ctx.trace_id:032x}",
                "spanId": f"{ctx.span_id:016x}",
                "parentSpanId": f"{span.parent.span_id:016x}" if span.parent else "",
                "name": span.name,
                "startTimeUnixNano": str(span.start_time),
                "endTimeUnixNano": str(span.end_time),
                "attributes": _otlp_attrs(span.attributes),
                "events": [
                    {"name": e.name, "attributes": _otlp_attrs(e.attributes)} for e in span.events
                ],
                "status": {
                    "code": span.status.status_code.value,
                    "message": span.status.description or "",
                },
            }
        )
    return {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": out}]}]}


def run_otel_import(url: str, root: Path, run_id: str) -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from forensics_tui.integrations.otlp_json import import_otlp

    memory = InMemorySpanExporter()
    _otel_spans(url, memory)
    export = root.parent / f"{run_id}.otlp.json"
    export.write_text(json.dumps(otlp_json(memory.get_finished_spans())))
    import_otlp(export, root, run_id=run_id)


def _langchain_agent(url: str, middleware: list[Any]) -> Any:
    from langchain.agents import create_agent
    from langchain_core.messages import AIMessage
    from langchain_core.tools import tool

    from .test_langchain import ToolCallingFake

    @tool
    async def fetch() -> Any:
        """Fetch the items."""
        return await fetch_json(url)

    call = {"name": "fetch", "args": {}, "id": "call_0"}
    model = ToolCallingFake(
        messages=iter([AIMessage(content="", tool_calls=[call]), AIMessage("done")])
    )
    return create_agent(model, [fetch], middleware=middleware)


def run_langchain_middleware(url: str, root: Path, run_id: str) -> None:
    from langchain_core.messages import HumanMessage

    from forensics_tui.integrations.langchain import ForensicsMiddleware

    agent = _langchain_agent(url, [ForensicsMiddleware(Recorder(root, run_id))])
    with contextlib.suppress(Exception):
        asyncio.run(agent.ainvoke({"messages": [HumanMessage("go")]}))


def run_langchain_callbacks(url: str, root: Path, run_id: str) -> None:
    from langchain_core.messages import HumanMessage

    from forensics_tui.integrations.langchain import ForensicsCallbackHandler

    agent = _langchain_agent(url, [])
    config = {"callbacks": [ForensicsCallbackHandler(Recorder(root, run_id))]}
    with contextlib.suppress(Exception):
        asyncio.run(agent.ainvoke({"messages": [HumanMessage("go")]}, config=config))


def _openai_agent(url: str) -> Any:
    from agents import Agent, function_tool
    from agents.testing.model import ScriptedModel, assistant_message, function_call

    @function_tool
    async def fetch() -> Any:
        return await fetch_json(url)

    model = ScriptedModel(
        [[function_call("fetch", {}, call_id="call_0")], [assistant_message("done")]]
    )
    return Agent(name="a", model=model, tools=[fetch])


def run_openai_hooks(url: str, root: Path, run_id: str) -> None:
    from agents import Runner, set_trace_processors

    from forensics_tui.integrations.openai_agents import ForensicsHooks

    set_trace_processors([])
    asyncio.run(Runner.run(_openai_agent(url), "go", hooks=ForensicsHooks(Recorder(root, run_id))))


def run_openai_tracing(url: str, root: Path, run_id: str) -> None:
    from agents import Runner, set_trace_processors

    from forensics_tui.integrations.openai_agents import ForensicsTracingProcessor

    set_trace_processors([ForensicsTracingProcessor(Recorder(root, run_id))])
    try:
        asyncio.run(Runner.run(_openai_agent(url), "go"))
    finally:
        set_trace_processors([])


FRAMEWORKS = {
    "pydantic-ai": ("pydantic_ai", run_pydantic_ai),
    "langchain-middleware": ("langchain", run_langchain_middleware),
    "langchain-callbacks": ("langchain", run_langchain_callbacks),
    "openai-agents-hooks": ("agents", run_openai_hooks),
    "openai-agents-tracing": ("agents", run_openai_tracing),
    "otel-exporter": ("opentelemetry.sdk", run_otel_exporter),
    "otel-import": ("opentelemetry.sdk", run_otel_import),
}
