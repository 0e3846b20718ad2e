"""Read OTLP JSON trace exports (a collector's ``file`` exporter, or any OTLP/HTTP JSON body).

Accepts one ``ExportTraceServiceRequest`` object per file or one per line (JSON Lines), with
ids in hex as the OTLP JSON encoding specifies.  ``import_otlp`` writes each tool span as a
fixture; spans of one trace go to one run (``otlp-<trace id>``) unless a run id is given.
Importing is idempotent: a span whose (trace id, span id) is already a fixture of its run is
skipped, so importing the same export twice (or an export that overlaps an earlier one) adds
nothing.  Stdlib only.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics_tui.integrations._otel_spans import SpanView, record_span, tool_call_of

__all__ = ["ImportSummary", "import_otlp", "read_otlp"]

_STATUS = {0: "unset", 1: "ok", 2: "error", "STATUS_CODE_UNSET": "unset"}
_STATUS |= {"STATUS_CODE_OK": "ok", "STATUS_CODE_ERROR": "error"}


def _value(any_value: Any) -> Any:
    if not isinstance(any_value, dict):
        return any_value
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in any_value:
            return any_value[key]
    if "intValue" in any_value:
        try:
            return int(any_value["intValue"])
        except (TypeError, ValueError):
            return any_value["intValue"]
    if "arrayValue" in any_value:
        return [_value(v) for v in (any_value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in any_value:
        return _attributes((any_value["kvlistValue"] or {}).get("values", []))
    if "bytesValue" in any_value:
        return any_value["bytesValue"]
    return None


def _attributes(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {i["key"]: _value(i.get("value")) for i in items if isinstance(i, dict) and "key" in i}


def _hex_id(value: Any) -> str:
    """Ids as hex, whether written as OTLP JSON requires (hex) or by protobuf's JSON (base64)."""
    text = str(value or "")
    if not text or all(c in "0123456789abcdefABCDEF" for c in text):
        return text.lower()
    try:
        return base64.b64decode(text, validate=True).hex()
    except (ValueError, binascii.Error):
        return text


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _requests(text: str) -> Iterator[dict[str, Any]]:
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        yield whole
        return
    if isinstance(whole, list):
        yield from (r for r in whole if isinstance(r, dict))
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"line {number} is not JSON: {exc}") from None
            if isinstance(item, dict):
                yield item


def read_otlp(text: str) -> list[SpanView]:
    """Every span in an OTLP JSON export, in start-time order."""
    spans: list[SpanView] = []
    for request in _requests(text):
        for resource_spans in request.get("resourceSpans") or []:
            resource = _attributes((resource_spans.get("resource") or {}).get("attributes"))
            for scope_spans in resource_spans.get("scopeSpans") or []:
                for raw in scope_spans.get("spans") or []:
                    status = raw.get("status") or {}
                    spans.append(
                        SpanView(
                            name=str(raw.get("name") or ""),
                            trace_id=_hex_id(raw.get("traceId")),
                            span_id=_hex_id(raw.get("spanId")),
                            parent_span_id=_hex_id(raw.get("parentSpanId")) or None,
                            start_ns=_int(raw.get("startTimeUnixNano")) or 0,
                            end_ns=_int(raw.get("endTimeUnixNano")),
                            attributes=_attributes(raw.get("attributes")),
                            status=_STATUS.get(status.get("code", 0), "unset"),
                            status_message=status.get("message") or None,
                            events=[
                                (str(e.get("name")), _attributes(e.get("attributes")))
                                for e in raw.get("events") or []
                                if isinstance(e, dict)
                            ],
                            resource=resource,
                        )
                    )
    spans.sort(key=lambda s: s.start_ns)
    return spans


@dataclass
class ImportSummary:
    spans: int = 0
    written: int = 0
    runs: dict[str, int] = field(default_factory=dict)
    already: int = 0  # tool spans skipped: imported before


_FIXTURE_CAP = 8 * 1024 * 1024


def imported_spans(run_dir: Path) -> set[tuple[str, str]]:
    """``(trace id, span id)`` of every fixture already in ``run_dir`` (read safely)."""
    from forensics_tui.core.storage.safe_read import ReadRefused, read_file_bytes

    seen: set[tuple[str, str]] = set()
    try:
        names = [e.name for e in os.scandir(run_dir) if e.name.endswith(".json")]
    except OSError:
        return seen
    for name in names:
        if name == "run.json" or name.startswith("."):
            continue
        try:
            raw = read_file_bytes(run_dir / name, root=run_dir, cap=_FIXTURE_CAP)
            meta = json.loads(raw.data).get("meta") or {}
        except (OSError, ReadRefused, ValueError, AttributeError):
            continue  # a broken or foreign file is not an import of ours
        if isinstance(meta, dict) and meta.get("span_id"):
            seen.add((str(meta.get("trace_id") or ""), str(meta["span_id"])))
    return seen


def import_otlp(path: Path, root: Path, *, run_id: str | None = None) -> ImportSummary:
    """Write each tool span of the export at ``path`` as a fixture under ``root``."""
    from forensics_tui.capture import Recorder

    spans = read_otlp(path.read_text("utf-8"))
    summary = ImportSummary(spans=len(spans))
    recorders: dict[str, Recorder] = {}
    seen: dict[str, set[tuple[str, str]]] = {}
    for span in spans:
        if tool_call_of(span) is None:
            continue
        rid = run_id or f"otlp-{span.trace_id[:16] or 'unknown'}"
        recorder = recorders.get(rid)
        if recorder is None:
            service = span.resource.get("service.name")
            recorder = Recorder(root, rid, agent=str(service) if service else None)
            recorders[rid] = recorder
            seen[rid] = imported_spans(recorder.run_dir)
        key = (span.trace_id, span.span_id)
        if key in seen[rid]:
            summary.already += 1
            continue
        seen[rid].add(key)
        if record_span(recorder, span):
            summary.written += 1
            summary.runs[rid] = summary.runs.get(rid, 0) + 1
    for recorder in recorders.values():
        if recorder._started:  # a run that got nothing new keeps its manifest as it was
            recorder.end()
    return summary
