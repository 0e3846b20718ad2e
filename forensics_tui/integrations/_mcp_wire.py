"""MCP wire facts shared by the proxy and the re-execution: ids, results, protocol eras.

Stdlib only, so ``forensics-tui mcp-proxy`` and re-executing ``mcp`` fixtures work without
the ``mcp`` SDK installed.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "HANDSHAKE_VERSION",
    "MODERN_META_KEY",
    "call_outcome",
    "id_key",
    "is_empty_result",
    "is_modern",
    "normalise_result",
]

HANDSHAKE_VERSION = "2025-11-25"  # newest revision reachable through ``initialize``
MODERN_META_KEY = "io.modelcontextprotocol/protocolVersion"
_HANDSHAKE_VERSIONS = frozenset({"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"})


def id_key(value: Any) -> tuple[str, Any] | None:
    """A dict key for a JSON-RPC id that keeps ``1`` and ``"1"`` apart; None for no id."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str):
        return (type(value).__name__, value)
    return None


def is_modern(version: str | None) -> bool:
    """True for per-request-envelope revisions (no ``initialize`` handshake)."""
    return version is not None and version not in _HANDSHAKE_VERSIONS


def normalise_result(result: Any) -> Any:
    """The useful value of a ``tools/call`` result, comparable across runs.

    ``structuredContent`` when the server sent it; else a lone text item holding JSON,
    decoded; else the lone text; else the content list as sent.
    """
    if not isinstance(result, dict):
        return result
    structured = result.get("structuredContent")
    if structured is not None:
        return structured
    content = result.get("content")
    if isinstance(content, list) and len(content) == 1 and isinstance(content[0], dict):
        item = content[0]
        if item.get("type") == "text" and isinstance(item.get("text"), str):
            text = item["text"]
            try:
                decoded = json.loads(text)
            except ValueError:
                return text
            return decoded if isinstance(decoded, dict | list) else text
    return content


def _texts(result: dict[str, Any]) -> str:
    content = result.get("content")
    if not isinstance(content, list):
        return ""
    parts = [i.get("text") for i in content if isinstance(i, dict)]
    return "\n".join(p for p in parts if isinstance(p, str))


_MASKED_PREFIX = "Error executing tool"  # the MCP SDK's text for an exception it hides
_TIMEOUT_TEXT = re.compile(
    r"\btime[ds]?[ _-]?out\b|\btimed out\b|Timeout(Error|Exception)?\b", re.I
)
_ERROR_PROSE = re.compile(r"^\s*(error|exception|traceback)\b\s*[:(]", re.IGNORECASE)


def _structured_error(result: dict[str, Any]) -> dict[str, Any] | None:
    """A server's own structured error (``structuredContent.error``), as the fixture error."""
    structured = result.get("structuredContent")
    err = structured.get("error") if isinstance(structured, dict) else None
    if isinstance(err, dict):
        kind = err.get("type") or err.get("code") or "MCPToolError"
        return {"type": str(kind), "message": str(err.get("message") or err), "traceback": None}
    if isinstance(err, str) and err:
        return {"type": "MCPToolError", "message": err, "traceback": None}
    return None


def call_outcome(message: dict[str, Any]) -> tuple[str, Any, dict[str, Any] | None]:
    """``(status, output, error)`` for a JSON-RPC response to ``tools/call``.

    ``isError`` results are ``error`` (``timeout`` when the server's message says it timed
    out, as only text crosses the wire): the server's structured error when it sent one; else
    its text, with ``masked_by: "mcp"`` when that text is the SDK's "Error executing tool"
    (the real exception type stayed in the server).  A success whose only content is error
    prose ("Error: ...") is an ``error`` the server did not flag (``masked_by: "mcp-server"``).
    """
    if "error" in message:
        err = message.get("error")
        err = err if isinstance(err, dict) else {"message": str(err)}
        text = f"{err.get('code', '')}: {err.get('message', '')}".strip(": ")
        return (
            "error",
            err.get("data"),
            {"type": "JSONRPCError", "message": text, "traceback": None},
        )
    result = message.get("result")
    output = normalise_result(result)
    if not isinstance(result, dict):
        return "ok", output, None
    if result.get("isError"):
        error = _structured_error(result)
        if error is None:
            text = _texts(result) or "the tool reported an error (isError)"
            error = {"type": "MCPToolError", "message": text, "traceback": None}
            if text.startswith(_MASKED_PREFIX):
                error["masked_by"] = "mcp"
        # Only text crosses the wire: a server that says it timed out is a timeout.
        status = "timeout" if _TIMEOUT_TEXT.search(error["message"]) else "error"
        return status, output, error
    text = _texts(result)
    if (
        isinstance(output, str)
        and result.get("structuredContent") is None
        and _ERROR_PROSE.match(text)
    ):
        error = {
            "type": "MCPErrorText",
            "message": text,
            "traceback": None,
            "masked_by": "mcp-server",
        }
        return "error", output, error
    return "ok", output, None


def is_empty_result(message: dict[str, Any]) -> bool:
    """A successful ``tools/call`` answer carrying nothing (no content, no structured content)."""
    result = message.get("result")
    if "error" in message or not isinstance(result, dict) or result.get("isError"):
        return False
    content = result.get("content")
    return result.get("structuredContent") is None and not content
