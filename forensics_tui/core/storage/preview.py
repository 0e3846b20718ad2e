"""One-line previews of a call's output or error for list rows (``Call.preview``).

A row needs "why did this fail" at a glance: the error message, ``status_code 401``, or the
start of the output as compact JSON.  Previews are built while listing, so they work from the
raw JSON of the two fields and decode only small values.  They are *not* sanitised: the CLI and
the UI pass them through ``safe_text()`` like every other fixture string.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

__all__ = ["PREVIEW_CHARS", "preview_from_raw", "preview_from_values"]

PREVIEW_CHARS = 120
_DECODE_LIMIT = 4096  # bigger values are previewed from their raw text, not decoded
_WHITESPACE = re.compile(r"\s+")
_encode = msgspec.json.encode


def _one_line(text: str) -> str:
    text = text[: PREVIEW_CHARS * 2]
    if not text.isprintable():  # newlines, tabs and other controls become single spaces
        text = _WHITESPACE.sub(" ", text)
    text = text.strip()
    if len(text) > PREVIEW_CHARS:
        # ASCII on purpose: one non-ASCII character doubles the memory of the whole string
        # (CPython stores it as UCS-2), and a preview is kept for every call in the root.
        return text[: PREVIEW_CHARS - 3] + "..."
    return text


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return _encode(value).decode("utf-8", "replace")
    except (TypeError, ValueError, OverflowError):
        return repr(value)


def _describe_error(error: Any) -> str:
    if isinstance(error, dict):
        message = error.get("message")
        kind = error.get("type")
        if message not in (None, ""):
            return (
                f"{kind}: {_compact(message)}"
                if isinstance(kind, str) and kind
                else _compact(message)
            )
        if isinstance(kind, str) and kind:
            return kind
    return _compact(error)


def _describe_output(output: Any) -> str:
    if isinstance(output, dict):
        code = output.get("status_code", output.get("status"))
        rest: Any = {k: v for k, v in output.items() if k not in ("status_code", "status")}
        if len(rest) == 1 and "body" in rest:
            rest = rest["body"]
        if isinstance(code, int) and not isinstance(code, bool):
            return (
                f"status_code {code} {_compact(rest)}"
                if rest not in ({}, None, "")
                else f"status_code {code}"
            )
        if "error" in output and output["error"] not in (None, False, ""):
            return f"error: {_compact(output['error'])}"
    if isinstance(output, str):
        return output if output.strip() else repr(output)
    return _compact(output)


def preview_from_values(output: Any, error: Any) -> str:
    """Preview from decoded values: the error when there is one, else the output."""
    if error not in (None, {}, ""):
        return _one_line(_describe_error(error))
    if output is None:
        return ""
    return _one_line(_describe_output(output))


_NULL = msgspec.Raw(b"null")


class _ErrorHead(msgspec.Struct):
    """Just what a row shows of a big error object; the traceback is skipped, not built."""

    type: Any = None
    message: Any = None


_decode_error_head = msgspec.json.Decoder(_ErrorHead).decode


def _big_error(raw: msgspec.Raw) -> str:
    """A long error (a chained traceback) still previews as ``type: message``."""
    try:
        head = _decode_error_head(raw)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return _raw_head(raw)
    message = head.message if isinstance(head.message, str) else None
    if message is None and not isinstance(head.type, str):
        return _raw_head(raw)
    return _one_line(_describe_error({"type": head.type, "message": message}))


def _raw_head(raw: bytes | msgspec.Raw) -> str:
    return _one_line(bytes(memoryview(raw)[: PREVIEW_CHARS * 4]).decode("utf-8", "replace"))


def preview_from_raw(output: msgspec.Raw, error: msgspec.Raw) -> str:
    """Preview from the raw JSON text of ``output`` and ``error`` (``Raw(b"null")`` if absent)."""
    try:
        if len(error) and error != _NULL:
            if len(error) > _DECODE_LIMIT:
                return _big_error(error)
            return preview_from_values(None, msgspec.json.decode(error))
        if not len(output) or output == _NULL:
            return ""
        if len(output) > _DECODE_LIMIT:
            return _raw_head(output)
        return preview_from_values(msgspec.json.decode(output), None)
    except (msgspec.DecodeError, RecursionError):
        return _raw_head(output or error)
