"""Pretty, highlighted JSON as a stream of single lines, each tagged with its JSON path.

We build the highlighted ``Text`` ourselves instead of handing a payload to a highlighter or
markup parser: every key and string is JSON-escaped first (C0 controls) and then passed through
``safe_text`` (C1 controls, bidi overrides, which ``json.dumps`` leaves raw).  Lines come from a
generator with an explicit stack, so a 3,000-deep document neither recurses nor has to be fully
rendered before the first screenful shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from rich.text import Text

from forensics_tui.core.sanitize import safe_text

__all__ = ["JsonPath", "copy_text", "json_lines", "path_text", "resolve", "scalar_text"]

JsonPath = tuple[str | int, ...]
MAX_STRING = 2000
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_END = object()

STYLE_KEY = "bold blue"
STYLE_STRING = "green"
STYLE_NUMBER = "cyan"
STYLE_CONST = "magenta italic"
STYLE_PUNCT = "dim"


def _string(value: str) -> str:
    extra = len(value) - MAX_STRING
    shown = value[:MAX_STRING] if extra > 0 else value
    text = safe_text(json.dumps(shown, ensure_ascii=False))
    return f"{text} … (+{extra} chars)" if extra > 0 else text


def scalar_text(value: Any) -> Text:
    """A highlighted, sanitised scalar (or a short container marker)."""
    if isinstance(value, str):
        return Text(_string(value), style=STYLE_STRING, end="")
    if value is None or isinstance(value, bool):
        return Text(json.dumps(value), style=STYLE_CONST, end="")
    if isinstance(value, int | float):
        return Text(safe_text(json.dumps(value)), style=STYLE_NUMBER, end="")
    if isinstance(value, dict):
        return Text("{…}" if value else "{}", style=STYLE_PUNCT, end="")
    if isinstance(value, list):
        return Text("[…]" if value else "[]", style=STYLE_PUNCT, end="")
    return Text(safe_text(repr(value)), end="")


def _open(prefix: Text, value: Any, indent: int, path: JsonPath, comma: bool) -> tuple[Text, Any]:
    line = prefix
    tail = "," if comma else ""
    if isinstance(value, dict) and value:
        line.append("{", style=STYLE_PUNCT)
        n = len(value)
        items = ((k, v, i == n - 1) for i, (k, v) in enumerate(value.items()))
        return line, (items, indent, "}", path, comma, True)
    if isinstance(value, list) and value:
        line.append("[", style=STYLE_PUNCT)
        n = len(value)
        items = ((i, v, i == n - 1) for i, v in enumerate(value))
        return line, (items, indent, "]", path, comma, False)
    line.append_text(scalar_text(value))
    if tail:
        line.append(tail, style=STYLE_PUNCT)
    return line, None


def json_lines(value: Any, base: JsonPath = ()) -> Iterator[tuple[Text, JsonPath]]:
    """Yield ``(line, path)`` for the pretty-printed ``value`` (2-space indent)."""
    line, frame = _open(Text(no_wrap=True, end=""), value, 0, base, False)
    yield line, base
    stack = [frame] if frame else []
    while stack:
        items, indent, closer, path, comma, is_dict = stack[-1]
        item = next(items, _END)
        if item is _END:
            stack.pop()
            close = Text("  " * indent + closer, style=STYLE_PUNCT, no_wrap=True, end="")
            if comma:
                close.append(",", style=STYLE_PUNCT)
            yield close, path
            continue
        key, child, last = item
        child_path = (*path, key)
        prefix = Text("  " * (indent + 1), no_wrap=True, end="")
        if is_dict:
            prefix.append(safe_text(json.dumps(str(key), ensure_ascii=False)), style=STYLE_KEY)
            prefix.append(": ", style=STYLE_PUNCT)
        line, frame = _open(prefix, child, indent + 1, child_path, not last)
        yield line, child_path
        if frame:
            stack.append(frame)


def path_text(path: JsonPath) -> str:
    """``output.items[2]["odd key"]``-style path, sanitised."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return safe_text(out)


def resolve(value: Any, path: JsonPath, base_len: int = 0) -> Any:
    """The value at ``path`` inside ``value`` (the first ``base_len`` parts name ``value``)."""
    for part in path[base_len:]:
        value = value[part]
    return value


def copy_text(value: Any) -> str:
    """What "copy value" puts on the clipboard: the escaped text the user sees."""
    if isinstance(value, str):
        return safe_text(value)
    return safe_text(json.dumps(value, ensure_ascii=False, indent=2), keep_newlines=True)
