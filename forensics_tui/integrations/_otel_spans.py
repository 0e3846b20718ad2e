"""GenAI tool spans -> fixtures, whichever emitter produced them (stdlib only).

Emitters disagree on attribute names for the same facts, so each *source* in ``SOURCES`` says
how to recognise its tool spans and where it keeps the tool name, arguments, result and call
id.  Both the live ``ForensicsSpanExporter`` and ``forensics-tui import-otlp`` turn their spans
into a ``SpanView`` and hand it to ``record_span``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from forensics_tui.integrations._common import decode_json

if TYPE_CHECKING:
    from forensics_tui.capture import Recorder

__all__ = ["SOURCES", "Source", "SpanView", "record_span", "tool_call_of"]


@dataclass(frozen=True)
class Source:
    """How one emitter encodes a tool call on a span."""

    name: str
    matches: Callable[[SpanView], bool]
    tool: tuple[str, ...]
    arguments: tuple[str, ...]
    result: tuple[str, ...]
    call_id: tuple[str, ...] = ()


@dataclass
class SpanView:
    """The parts of a span this module reads, from an SDK span or an OTLP JSON span."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    start_ns: int
    end_ns: int | None
    attributes: dict[str, Any]
    status: str = "unset"  # ok | error | unset
    status_message: str | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    resource: dict[str, Any] = field(default_factory=dict)


def _attr(name: str, value: str) -> Callable[[SpanView], bool]:
    return lambda span: str(span.attributes.get(name, "")).lower() == value


# Order matters: the first source that matches a span decides how it is read.
SOURCES: tuple[Source, ...] = (
    Source(  # OpenTelemetry GenAI semantic conventions; pydantic-ai (both instrumentation eras)
        "genai",
        _attr("gen_ai.operation.name", "execute_tool"),
        tool=("gen_ai.tool.name",),
        arguments=("gen_ai.tool.call.arguments", "tool_arguments"),
        result=("gen_ai.tool.call.result", "tool_response"),
        call_id=("gen_ai.tool.call.id",),
    ),
    Source(  # OpenInference (Arize Phoenix; LangChain, LlamaIndex, OpenAI Agents instrumentors)
        "openinference",
        _attr("openinference.span.kind", "tool"),
        tool=("tool.name", "tool_call.function.name"),
        arguments=("input.value", "tool_call.function.arguments", "tool.parameters"),
        result=("output.value",),
        call_id=("tool_call.id",),
    ),
    Source(  # OpenLLMetry / Traceloop
        "openllmetry",
        _attr("traceloop.span.kind", "tool"),
        tool=("traceloop.entity.name",),
        arguments=("traceloop.entity.input",),
        result=("traceloop.entity.output",),
    ),
    Source(  # older pydantic-ai / logfire spans named "running tool" without operation name
        "logfire-legacy",
        lambda span: span.name.startswith("running tool") and "gen_ai.tool.name" in span.attributes,
        tool=("gen_ai.tool.name",),
        arguments=("tool_arguments",),
        result=("tool_response",),
        call_id=("gen_ai.tool.call.id",),
    ),
)


def _first(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in attributes:
            return attributes[key]
    return None


def _decode(value: Any) -> Any:
    """Attribute strings holding JSON become JSON; Traceloop's ``{"inputs": ...}`` unwrapped."""
    value = decode_json(value)
    if (
        isinstance(value, dict)
        and set(value) >= {"inputs"}
        and set(value) <= {"inputs", "tags", "metadata", "kwargs"}
    ):
        return value["inputs"]
    if (
        isinstance(value, dict)
        and set(value) >= {"outputs"}
        and set(value) <= {"outputs", "kwargs"}
    ):
        return value["outputs"]
    return value


def _error(span: SpanView) -> dict[str, Any] | None:
    for name, attrs in span.events:
        if name == "exception":
            kind = str(attrs.get("exception.type") or "Exception")
            return {
                "type": kind,
                "message": str(attrs.get("exception.message") or span.status_message or kind),
                "traceback": attrs.get("exception.stacktrace"),
            }
    if span.status == "error" or "error.type" in span.attributes:
        kind = str(span.attributes.get("error.type") or "Error")
        return {"type": kind, "message": span.status_message or kind, "traceback": None}
    return None


def tool_call_of(span: SpanView) -> dict[str, Any] | None:
    """The fixture fields for a tool span, or None when ``span`` is not a tool call."""
    source = next((s for s in SOURCES if s.matches(span)), None)
    if source is None:
        return None
    tool = _first(span.attributes, source.tool)
    error = _error(span)
    status = "ok"
    if error is not None:
        text = f"{error['type']} {error['message']}".lower()
        status = "timeout" if "timeout" in text or "timed out" in text else "error"
    meta: dict[str, Any] = {
        "integration": f"otel:{source.name}",
        "trace_id": span.trace_id,
        "span_id": span.span_id,
        "span_name": span.name,
    }
    if span.parent_span_id:
        meta["parent_span_id"] = span.parent_span_id
    call_id = _first(span.attributes, source.call_id)
    if call_id is not None:
        meta["tool_call_id"] = call_id
    service = span.resource.get("service.name")
    if service:
        meta["service"] = service
    duration = None if span.end_ns is None else round((span.end_ns - span.start_ns) / 1e6, 3)
    return {
        "tool": str(tool) if tool else span.name,
        "input": _decode(_first(span.attributes, source.arguments)),
        "output": _decode(_first(span.attributes, source.result)) if status == "ok" else None,
        "status": status,
        "error": error,
        "duration_ms": duration,
        "ts": span.start_ns / 1e9,
        "meta": meta,
    }


def record_span(recorder: Recorder, span: SpanView) -> bool:
    """Write ``span`` as a fixture when it is a tool call; True when one was written."""
    call = tool_call_of(span)
    if call is None:
        return False
    path = recorder.record(
        call["tool"],
        call["input"],
        call["output"],
        call["status"],
        error=call["error"],
        duration_ms=call["duration_ms"],
        meta=call["meta"],
        ts=call["ts"],
    )
    return path is not None
