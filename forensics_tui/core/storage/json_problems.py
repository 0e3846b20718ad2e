"""Turn "this file did not decode" into a short reason an operator understands.

The fast decoders report errors in their own words ("Input data was truncated", "Expected
`object`, got `array`"); the loader only calls :func:`diagnose` on the failure path, so the
extra work here (UTF-8 check, depth scan) never slows down listing good files.
"""

from __future__ import annotations

import itertools
import re

import msgspec

__all__ = ["MAX_DEPTH", "diagnose", "json_kind", "nesting_depth", "too_deep"]

MAX_DEPTH = 512
"""Deeper documents are refused: they would blow the recursion limit of every consumer."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_KEEP_BRACKETS = bytes(range(256)).translate(None, b"{}[]")  # every byte except brackets
_STEP = {ord("{"): 1, ord("["): 1, ord("}"): -1, ord("]"): -1}
_BYTE_AT = re.compile(r"\(byte (\d+)\)")
_KINDS = {
    ord("["): "array",
    ord('"'): "string",
    ord("t"): "boolean",
    ord("f"): "boolean",
    ord("n"): "null",
}


def nesting_depth(data: bytes) -> int:
    """Maximum bracket depth, ignoring brackets inside strings."""
    brackets = _STRING.sub(b"", data).translate(None, _KEEP_BRACKETS)
    if not brackets:
        return 0
    return max(itertools.accumulate(_STEP[b] for b in brackets))


def too_deep(data: bytes) -> int | None:
    """The depth when it exceeds :data:`MAX_DEPTH`; cheap for ordinary files (two counts)."""
    # A document deeper than MAX_DEPTH needs that many brackets, so ordinary files cost
    # one length check or two byte counts.
    if len(data) <= MAX_DEPTH or data.count(b"{") + data.count(b"[") <= MAX_DEPTH:
        return None
    depth = nesting_depth(data)
    return depth if depth > MAX_DEPTH else None


def json_kind(data: bytes) -> str:
    """What a JSON document that is not an object is, from its first significant byte."""
    stripped = data.lstrip()
    if not stripped:
        return "nothing"
    return _KINDS.get(stripped[0], "number")


def diagnose(data: bytes, exc: BaseException | None = None) -> str:
    """A clear reason why ``data`` is not a usable JSON object."""
    if not data.strip():
        return "empty file"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return f"not UTF-8 (invalid byte at {err.start})"
    depth = too_deep(data)
    if depth is not None or isinstance(exc, RecursionError):
        shown = depth if depth is not None else nesting_depth(data)
        return f"too deeply nested ({shown} levels > {MAX_DEPTH})"
    try:
        value = msgspec.json.decode(data)
    except RecursionError:
        return f"too deeply nested ({nesting_depth(data)} levels > {MAX_DEPTH})"
    except msgspec.DecodeError as err:
        text = str(err)
        if "truncated" in text:
            return f"truncated JSON (unexpected end at byte {len(data)})"
        match = _BYTE_AT.search(text)
        where = f" at byte {match.group(1)}" if match else ""
        detail = text.split(":", 1)[-1].split("(byte")[0].strip() or "malformed"
        return f"not JSON: {detail}{where}"
    if not isinstance(value, dict):
        return f"not a JSON object ({json_kind(data)})"
    return f"invalid fixture: {exc}" if exc is not None else "invalid fixture"
