"""OpenTelemetry: the live span exporter (real SDK, real pydantic-ai spans) and import-otlp."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from forensics_tui.capture import Recorder
from forensics_tui.cli.main import cli
from forensics_tui.integrations.otlp_json import read_otlp

from .conftest import read_fixtures, require_extra


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
