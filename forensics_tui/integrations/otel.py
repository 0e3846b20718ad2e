"""An OpenTelemetry span exporter that writes GenAI tool spans as fixtures.

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from forensics_tui.integrations.otel import ForensicsSpanExporter

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ForensicsSpanExporter()))

Any span that a known emitter marks as a tool execution (GenAI ``execute_tool``, OpenInference
``TOOL``, OpenLLMetry ``tool``; see ``_otel_spans.SOURCES``) becomes one fixture; other spans
are ignored.  A span is exported after it ends, but what the tool does meanwhile (HTTP
exchanges captured by ``integrations.http``, nested ``tool_checkpoint`` calls) is written at
once: the first such child reserves the tool call (a ``pending`` fixture, finished when the span
is exported), so every child carries ``meta.parent_call`` like under the other integrations.  With ``run_per_trace=True`` each trace gets its own run (``otel-<trace id>``)
under the recorder's root, which suits a long-lived service exporting many agent runs.
Imports the OpenTelemetry SDK: only import this module when you use it.
"""

from __future__ import annotations

import contextvars
import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

from forensics_tui.capture.calls import CallHandle, add_parent_source
from forensics_tui.integrations._common import pick_recorder
from forensics_tui.integrations._otel_spans import SpanView, record_span, tool_call_of

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

    from forensics_tui.capture import Recorder

__all__ = ["ForensicsSpanExporter", "span_view"]

_STATUS = {StatusCode.OK: "ok", StatusCode.ERROR: "error", StatusCode.UNSET: "unset"}
_RESERVED_MAX = 10_000  # tool spans with children in flight, per exporter
_exporters: list[weakref.ref[ForensicsSpanExporter]] = []
# Set while the exporter itself writes: a tool call is not its own child, and what an export
# writes does not depend on which span happens to be current in the exporting thread.
_writing: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "forensics_otel_writing", default=False
)


def span_view(span: ReadableSpan) -> SpanView:
    """The SDK span as the emitter-neutral view ``record_span`` reads."""
    context = span.get_span_context()
    parent = span.parent
    return SpanView(
        name=span.name,
        trace_id=f"{context.trace_id:032x}" if context else "",
        span_id=f"{context.span_id:016x}" if context else "",
        parent_span_id=f"{parent.span_id:016x}" if parent else None,
        start_ns=span.start_time or 0,
        end_ns=span.end_time,
        attributes=dict(span.attributes or {}),
        status=_STATUS.get(span.status.status_code, "unset"),
        status_message=span.status.description,
        events=[(e.name, dict(e.attributes or {})) for e in span.events],
        resource=dict(span.resource.attributes) if span.resource else {},
    )


def _span_key(view: SpanView) -> tuple[str, str]:
    return (view.trace_id, view.span_id)


def _exporters_of(span: Any) -> list[ForensicsSpanExporter]:
    """The live exporters of this module that ``span``'s provider exports to (through a simple
    or a batch processor).  None when that cannot be seen: a wrong parent is worse than none."""
    live = [e for e in (ref() for ref in _exporters) if e is not None and not e._closed]
    processors = getattr(getattr(span, "_span_processor", None), "_span_processors", ())
    mine = []
    for processor in processors:
        target = getattr(processor, "span_exporter", None) or getattr(
            getattr(processor, "_batch_processor", None), "_exporter", None
        )
        mine += [e for e in live if e is target]
    return mine


def _running_tool_call() -> str | None:
    """The ``call_id`` of the tool span running in this context, reserved on first use (a
    parent source of the capture layer: asked when a child is written)."""
    if not _exporters or _writing.get():
        return None
    span = trace.get_current_span()
    if not span.is_recording():
        return None
    attributes = getattr(span, "attributes", None)  # an SDK span; API-only spans have none
    if attributes is None:
        return None
    context = span.get_span_context()
    view = SpanView(
        name=getattr(span, "name", ""),
        trace_id=f"{context.trace_id:032x}",
        span_id=f"{context.span_id:016x}",
        parent_span_id=None,
        start_ns=getattr(span, "start_time", None) or 0,
        end_ns=None,
        attributes=dict(attributes),
    )
    call = tool_call_of(view)
    if call is None:
        return None
    for exporter in _exporters_of(span):
        call_id = exporter._reserve(view, call)
        if call_id is not None:
            return call_id
    return None


add_parent_source(_running_tool_call)


class ForensicsSpanExporter(SpanExporter):
    """Write tool spans through a recorder (default ``get_recorder()``)."""

    def __init__(self, recorder: Recorder | None = None, *, run_per_trace: bool = False) -> None:
        self._recorder = recorder
        self._run_per_trace = run_per_trace
        self._per_trace: dict[str, Recorder] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._reserved: dict[tuple[str, str], CallHandle] = {}
        _exporters[:] = [ref for ref in _exporters if ref() is not None]
        _exporters.append(weakref.ref(self))

    def _recorder_for(self, span: SpanView) -> Recorder:
        base = pick_recorder(self._recorder)
        if not self._run_per_trace:
            return base
        from forensics_tui.capture import Recorder

        run_id = f"otel-{span.trace_id[:16]}"
        with self._lock:
            recorder = self._per_trace.get(run_id)
            if recorder is None:
                recorder = Recorder(base.root, run_id, agent=base.agent)
                self._per_trace[run_id] = recorder
            return recorder

    def _reserve(self, view: SpanView, call: dict[str, Any]) -> str | None:
        """The call id of a running tool span, its ``pending`` fixture written now."""
        key = _span_key(view)
        with self._lock:
            handle = self._reserved.get(key)
            if handle is None:
                if self._closed or len(self._reserved) >= _RESERVED_MAX:
                    return None
                recorder = self._recorder_for(view)
                token = _writing.set(True)
                try:
                    handle = recorder.start_call(call["tool"], call["input"], meta=call["meta"])
                finally:
                    _writing.reset(token)
                if handle.call_id is None:  # the pending write failed (counted by the recorder)
                    return None
                self._reserved[key] = handle
            return handle.call_id

    def _finish_reserved(self, view: SpanView) -> bool:
        """Finish the reserved call of an exported span; False when there is none."""
        with self._lock:
            handle = self._reserved.pop(_span_key(view), None)
        if handle is None:
            return False
        call = tool_call_of(view)
        if call is None:  # its attributes changed since: what was reserved stays reserved
            handle.finish(None, "error", error={"type": "Error", "message": "not a tool span"})
            return True
        handle.set_input(call["input"])
        handle.set_times(call["ts"], call["duration_ms"])
        handle.finish(call["output"], call["status"], error=call["error"], meta=call["meta"])
        return True

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._closed:
            return SpanExportResult.FAILURE
        token = _writing.set(True)
        try:
            views = sorted((span_view(s) for s in spans), key=lambda v: v.start_ns)
            for view in views:
                if not self._finish_reserved(view):
                    record_span(self._recorder_for(view), view)
        except Exception:
            return SpanExportResult.FAILURE
        finally:
            _writing.reset(token)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self._closed = True
        with self._lock:
            recorders: list[Any] = list(self._per_trace.values())
        for recorder in recorders:
            recorder.end()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every export is written synchronously
