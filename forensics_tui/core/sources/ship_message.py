"""What the shipper makes of one file: its state, its redacted body, and the summary that
travels instead of a body too large for a message.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import msgspec

__all__ = ["file_state", "large_summary", "redact_body"]

_SUMMARY_KEYS = ("format", "run_id", "call_id", "seq", "tool", "status", "ts", "ended_at",
                 "duration_ms", "redacted", "meta")  # fmt: skip
_PAYLOAD_KEYS = ("input", "output", "error", "replay")


class _Head(msgspec.Struct):
    call_id: Any = None
    status: Any = None


_decode_head = msgspec.json.Decoder(_Head).decode


def file_state(run: str, name: str, data: bytes) -> tuple[str, str, str]:
    """``(kind, call id, state)``: ``pending``/``final`` for a call, a content hash for a
    manifest (it changes while the run goes on).  A file that does not parse is final, with
    the id the loader gives it."""
    if name == "run.json":
        return "run", f"{run}/run.json", "m" + hashlib.sha1(data).hexdigest()[:16]
    try:
        head = _decode_head(data)
        call_id, status = head.call_id, head.status
    except (msgspec.DecodeError, msgspec.ValidationError):
        call_id, status = None, None
    if not isinstance(call_id, str) or not call_id:
        call_id = f"{run}-{name[:-5]}"
    return "call", call_id, "pending" if status == "pending" else "final"


def redact_body(data: bytes, redactor: Any) -> bytes:
    """Redact again before anything leaves the host (legacy snippets never redacted); the
    common case (nothing suspicious) costs one scan of the text and no parse."""
    if redactor is None:
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    if not redactor.suspicious(text):
        return data
    try:
        obj = json.loads(text)
    except ValueError:
        return data
    if not isinstance(obj, dict):
        return data
    paths: list[str] = []
    for key in _PAYLOAD_KEYS:
        if key in obj:
            obj[key], found = redactor.redact(obj[key], key)
            paths.extend(found)
    if not paths:
        return data
    before = obj.get("redacted")
    known = [p for p in before if isinstance(p, str)] if isinstance(before, list) else []
    obj["redacted"] = sorted({*known, *paths})
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def large_summary(data: bytes) -> bytes:
    """The message body for a fixture whose body went to the object store."""
    try:
        obj = json.loads(data)
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        return b'{"status": "error", "tool": "large-unparsable-body"}'
    summary = {k: obj[k] for k in _SUMMARY_KEYS if k in obj}
    summary["output"] = f"[large body: {len(data)} bytes, fetched from the object store]"
    return json.dumps(summary).encode()
