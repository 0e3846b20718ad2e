"""OpenTelemetry: the live span exporter (real SDK, real pydantic-ai spans) and import-otlp."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from forensics_tui.capture import Recorder
from forensics_tui.cli.main import cli
from forensics_tui.integrations.otlp_json import read_otlp

from .conftest import read_fixtures, require_extra
from .faultserver import FaultServer


def test_exporter_records_pydantic_ai_tool_spans(tmp_path: Path) -> None:
    require_extra("opentelemetry.sdk")
    require_extra("pydantic_ai")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from pydantic_ai import Agent, InstrumentationSettings, ModelRetry
    from pydantic_ai.capabilities import Instrumentation
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    from forensics_tui.integrations.otel import ForensicsSpanExporter

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ForensicsSpanExporter(Recorder(tmp_path, "r"))))

    def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(
                parts=[ToolCallPart("add", {"a": 1, "b": 2}), ToolCallPart("bad", {})]
            )
        return ModelResponse(parts=[TextPart("done")])

    settings = InstrumentationSettings(tracer_provider=provider)
    agent = Agent(FunctionModel(respond), capabilities=[Instrumentation(settings=settings)])

    @agent.tool_plain
    def add(a: int, b: int) -> dict[str, int]:
        return {"sum": a + b}

    @agent.tool_plain
    def bad() -> str:
        raise ModelRetry("upstream said no")

    agent.run_sync("go")
    provider.shutdown()
    found = {f["tool"]: f for f in read_fixtures(tmp_path, "r")}
    assert set(found) == {"add", "bad"}  # chat and invoke_agent spans are not tool calls
    assert (found["add"]["status"], found["add"]["input"]) == ("ok", {"a": 1, "b": 2})
    assert found["add"]["output"] == {"sum": 3}
    assert found["add"]["meta"]["integration"] == "otel:genai"
    assert len(found["add"]["meta"]["trace_id"]) == 32
    assert found["bad"]["status"] == "error"
    assert "upstream said no" in found["bad"]["error"]["message"]


def _kv(**values: Any) -> list[dict[str, Any]]:
    def wrap(v: Any) -> dict[str, Any]:
        if isinstance(v, bool):
            return {"boolValue": v}
        if isinstance(v, int):
            return {"intValue": str(v)}
        return {"stringValue": v}

    return [{"key": k.replace("__", "."), "value": wrap(v)} for k, v in values.items()]


def _span(name: str, trace: str, span: str, start: int, attrs: list, **extra: Any) -> dict:
    return {
        "traceId": trace,
        "spanId": span,
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 250_000_000),
        "attributes": attrs,
        **extra,
    }


def otlp_export() -> dict[str, Any]:
    """One collector-style export: three emitters' tool spans, an error, and a non-tool span."""
    t1, t2 = "5b8efff798038103d269b633813fc60c", "0af7651916cd43dd8448eb211c80319c"
    base = 1_700_000_000_000_000_000
    genai = _kv(
        gen_ai__operation__name="execute_tool",
        gen_ai__tool__name="lookup_user",
        gen_ai__tool__call__id="call_1",
        gen_ai__tool__call__arguments='{"user_id": 42}',
        gen_ai__tool__call__result='{"error": "token_expired"}',
    )
    failed = _kv(gen_ai__operation__name="execute_tool", gen_ai__tool__name="charge_card")
    exception = {
        "name": "exception",
        "attributes": _kv(exception__type="httpx.ReadTimeout", exception__message="timed out"),
    }
    openinference = _kv(
        openinference__span__kind="TOOL",
        tool__name="search_docs",
        input__value='{"query": "refund policy"}',
        output__value='{"hits": 3}',
    )
    openllmetry = _kv(
        traceloop__span__kind="tool",
        traceloop__entity__name="send_email",
        traceloop__entity__input='{"inputs": {"to": "a@example.com"}, "tags": [], "metadata": {}}',
        traceloop__entity__output='{"outputs": {"sent": true}}',
    )
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": _kv(service__name="billing-agent")},
                "scopeSpans": [
                    {
                        "scope": {"name": "test"},
                        "spans": [
                            _span("chat gpt", t1, "aaaaaaaaaaaaaaaa", base, _kv(x=1)),
                            _span(
                                "execute_tool lookup_user", t1, "bbbbbbbbbbbbbbbb", base + 1, genai
                            ),
                            _span(
                                "execute_tool charge_card",
                                t1,
                                "cccccccccccccccc",
                                base + 2,
                                failed,
                                events=[exception],
                                status={"code": 2, "message": "timed out"},
                            ),
                            _span("search_docs", t2, "dddddddddddddddd", base + 3, openinference),
                            _span("send_email.tool", t2, "eeeeeeeeeeeeeeee", base + 4, openllmetry),
                        ],
                    }
                ],
            }
        ]
    }


def test_import_otlp_normalises_each_source(tmp_path: Path) -> None:
    export = tmp_path / "traces.json"
    export.write_text(json.dumps(otlp_export()))
    root = tmp_path / "fixtures"
    result = CliRunner().invoke(cli, ["import-otlp", str(export), "--dir", str(root)])
    assert result.exit_code == 0, result.output
    assert "4 tool call(s) from 5 span(s)" in result.output
    run1 = read_fixtures(root, "otlp-5b8efff798038103")
    run2 = read_fixtures(root, "otlp-0af7651916cd43dd")
    assert [(f["tool"], f["status"]) for f in run1] == [
        ("lookup_user", "ok"),
        ("charge_card", "timeout"),
    ]
    assert run1[0]["input"] == {"user_id": 42}
    assert run1[0]["output"] == {"error": "token_expired"}
    assert run1[0]["ts"].startswith("2023-11-14T22:13:20")
    assert run1[0]["duration_ms"] == 250.0
    assert run1[0]["meta"]["service"] == "billing-agent"
    assert run1[1]["error"]["type"] == "httpx.ReadTimeout"
    assert [(f["tool"], f["input"], f["output"]) for f in run2] == [
        ("search_docs", {"query": "refund policy"}, {"hits": 3}),
        ("send_email", {"to": "a@example.com"}, {"sent": True}),
    ]
    assert [f["meta"]["integration"] for f in run2] == ["otel:openinference", "otel:openllmetry"]
    check = CliRunner().invoke(cli, ["check", "--dir", str(root), "otlp-5b8efff798038103"])
    assert check.exit_code == 1 and "auth_expiry" in check.output


def test_import_otlp_json_lines_base64_ids_and_bad_input(tmp_path: Path) -> None:
    export = otlp_export()
    span = export["resourceSpans"][0]["scopeSpans"][0]["spans"][1]
    span["traceId"] = "W47/95gDgQPSabYzgT/GDA=="  # protobuf JSON writes ids in base64
    lines = tmp_path / "traces.jsonl"
    lines.write_text(json.dumps(export) + "\n" + json.dumps({"resourceSpans": []}) + "\n")
    spans = read_otlp(lines.read_text())
    assert spans[1].trace_id == "5b8efff798038103d269b633813fc60c"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json\n")
    result = CliRunner().invoke(cli, ["import-otlp", str(bad), "--dir", str(tmp_path / "f")])
    assert result.exit_code == 1
    assert "not an OTLP JSON export" in result.output and "Traceback" not in result.output
    missing = CliRunner().invoke(cli, ["import-otlp", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_import_otlp_twice_adds_nothing(tmp_path: Path) -> None:
    export = tmp_path / "traces.json"
    export.write_text(json.dumps(otlp_export()))
    root = tmp_path / "fixtures"
    args = ["import-otlp", str(export), "--dir", str(root)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    before = sorted(p.relative_to(root) for p in root.rglob("*.json"))
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert "0 tool call(s) from 5 span(s)" in again.output
    assert "4 tool call(s) were already imported" in again.output
    assert sorted(p.relative_to(root) for p in root.rglob("*.json")) == before
    assert len(read_fixtures(root, "otlp-5b8efff798038103")) == 2
    # an overlapping export (one span new) adds just that span
    data = otlp_export()
    spans = data["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[1] = dict(spans[1], spanId="ffffffffffffffff")
    export.write_text(json.dumps(data))
    third = CliRunner().invoke(cli, args)
    assert "1 tool call(s) from 5 span(s)" in third.output, third.output
    assert len(read_fixtures(root, "otlp-5b8efff798038103")) == 3


def _tool_attrs(i: int) -> dict[str, Any]:
    return {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "fetch",
        "gen_ai.tool.call.id": f"call_{i}",
        "gen_ai.tool.call.arguments": json.dumps({"i": i}),
    }


@pytest.mark.parametrize("processor", ["simple", "batch"])
def test_exporter_links_http_children_to_their_tool_call(
    tmp_path: Path, fault_server: FaultServer, processor: str
) -> None:
    """HTTP exchanges made inside a tool span are written before the span is exported; they
    still carry ``meta.parent_call`` of the tool's fixture, in every thread, with either
    span processor, and the tool's fixture is final (span status, result, duration)."""
    require_extra("opentelemetry.sdk")
    httpx = require_extra("httpx")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    from forensics_tui.integrations import http
    from forensics_tui.integrations.otel import ForensicsSpanExporter

    rec = Recorder(tmp_path, "r")
    exporter = ForensicsSpanExporter(rec)
    provider = TracerProvider()
    kind = SimpleSpanProcessor if processor == "simple" else BatchSpanProcessor
    provider.add_span_processor(kind(exporter))
    tracer = provider.get_tracer("t")
    url = fault_server.url("/ok")

    def tool(i: int) -> None:
        with tracer.start_as_current_span("execute_tool fetch", attributes=_tool_attrs(i)) as span:
            with httpx.Client() as client:
                body = client.get(url).json()
                client.get(url)
            rec.record("nested", {"i": i}, None)  # any child, not only HTTP
            span.set_attribute("gen_ai.tool.call.result", json.dumps(body))

    with http.capture_http(rec):
        threads = [threading.Thread(target=tool, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with tracer.start_as_current_span("execute_tool fetch", attributes=_tool_attrs(9)):
            pass  # a tool span without children is recorded as before
    provider.shutdown()
    found = read_fixtures(tmp_path, "r")
    tools = {f["meta"]["tool_call_id"]: f for f in found if f["tool"] == "fetch"}
    assert sorted(tools) == [f"call_{i}" for i in (0, 1, 2, 3, 9)]
    assert [f["status"] for f in found if f["status"] == "pending"] == []
    children = [f for f in found if f["tool"] != "fetch"]
    assert len(children) == 4 * 3
    by_call = {t["call_id"]: t for t in tools.values()}
    for child in children:
        parent = by_call[child["meta"]["parent_call"]]  # each child names a real tool fixture
        assert parent["seq"] < child["seq"]
        if child["tool"] == "nested":
            assert parent["input"] == child["input"]  # linked to its own thread's tool call
    for i in range(4):
        fixture = tools[f"call_{i}"]
        assert fixture["input"] == {"i": i}
        assert fixture["status"] == "ok" and fixture["output"] == json.loads(_ok_body(fault_server))
        assert fixture["duration_ms"] is not None and fixture["duration_ms"] >= 0
        assert fixture["meta"]["integration"] == "otel:genai"
        assert "parent_call" not in fixture["meta"]  # a tool call is not its own child
    assert "parent_call" not in tools["call_9"]["meta"]


def _ok_body(server: FaultServer) -> str:
    import urllib.request

    with urllib.request.urlopen(server.url("/ok"), timeout=5) as response:
        return response.read().decode()


def test_a_span_of_another_provider_is_not_reserved_by_a_live_exporter(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    require_extra("opentelemetry.sdk")
    httpx = require_extra("httpx")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from forensics_tui.integrations import http
    from forensics_tui.integrations.otel import ForensicsSpanExporter

    ours = TracerProvider()
    ours.add_span_processor(SimpleSpanProcessor(ForensicsSpanExporter(Recorder(tmp_path, "ours"))))
    other = TracerProvider()  # exports elsewhere: its tool spans are none of our calls
    other.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    rec = Recorder(tmp_path, "http")
    with (
        http.capture_http(rec),
        other.get_tracer("t").start_as_current_span(
            "execute_tool fetch", attributes=_tool_attrs(0)
        ),
    ):
        httpx.get(fault_server.url("/ok"))
    ours.shutdown()
    other.shutdown()
    (child,) = read_fixtures(tmp_path, "http")
    assert "parent_call" not in child["meta"]
    assert not (tmp_path / "ours").exists()  # nothing reserved there
