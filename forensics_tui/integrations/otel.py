"""An OpenTelemetry span exporter that writes GenAI tool spans as fixtures.

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from forensics_tui.integrations.otel import ForensicsSpanExporter

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ForensicsSpanExporter()))

Any span that a known emitter marks as a tool execution (GenAI ``execute_tool``, OpenInference
``TOOL``, OpenLLMetry ``tool``; see ``_otel_spans.SOURCES``) becomes one fixture; other spans
are ignored.  With ``run_per_trace=True`` each trace gets its own run (``otel-<trace id>``)
under the recorder's root, which suits a long-lived service exporting many agent runs.
Imports the OpenTelemetry SDK: only import this module when you use it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

from forensics_tui.integrations._common import pick_recorder
from forensics_tui.integrations._otel_spans import SpanView, record_span

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

    from forensics_tui.capture import Recorder

__all__ = ["ForensicsSpanExporter", "span_view"]

_STATUS = {StatusCode.OK: "ok", StatusCode.ERROR: "error", StatusCode.UNSET: "unset"}


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


class ForensicsSpanExporter(SpanExporter):
    """Write tool spans through a recorder (default ``get_recorder()``)."""

    def __init__(self, recorder: Recorder | None = None, *, run_per_trace: bool = False) -> None:
        self._recorder = recorder
        self._run_per_trace = run_per_trace
        self._per_trace: dict[str, Recorder] = {}
        self._lock = threading.Lock()
        self._closed = False

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

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._closed:
            return SpanExportResult.FAILURE
        try:
            views = sorted((span_view(s) for s in spans), key=lambda v: v.start_ns)
            for view in views:
                record_span(self._recorder_for(view), view)
        except Exception:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self._closed = True
        with self._lock:
            recorders: list[Any] = list(self._per_trace.values())
        for recorder in recorders:
            recorder.end()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every export is written synchronously
