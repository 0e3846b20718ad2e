"""Find the error indicators hidden in a tool's output (the raw material of silent failures).

Tools report failure in many dialects: ``{"error": ...}``, GraphQL ``errors``, ``ok: false``,
MCP ``isError``, an embedded HTTP status (``status_code``, ``statusCode``, numeric ``code``), a
``Retry-After`` header, a string body that is itself JSON.  ``scan_output`` walks the response
envelope (objects, short wrapper lists, JSON-in-strings; not long data lists, where an ``error``
field is usually data) under node and depth bounds, and returns what it saw with the paths that
prove it.  Deciding what it *means* is :mod:`forensics_tui.core.analysis.findings`' job.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from forensics_tui.core.analysis.treediff import format_path

__all__ = [
    "AUTH_WORDS",
    "RATE_WORDS",
    "Signals",
    "is_error_key",
    "is_status_key",
    "quote",
    "scan_output",
]

_ERROR_KEYS = frozenset(
    {
        "error",
        "errors",
        "err",
        "errormessage",
        "errormsg",
        "errordescription",
        "errordetail",
        "errordetails",
        "errorcode",
        "fault",
        "exception",
        "failurereason",
    }
)
_SUCCESS_KEYS = frozenset({"ok", "success", "succeeded", "successful"})
_FAILURE_FLAGS = frozenset({"iserror", "haserror", "failed"})
_STATUS_KEYS = frozenset(
    {"statuscode", "status", "httpstatus", "httpcode", "responsecode", "httpstatuscode"}
)
_MESSAGE_KEYS = frozenset({"message", "detail", "details", "reason", "description", "msg"})
_RETRY_KEYS = frozenset({"retryafter"})
_WRAPPERS = frozenset({"body", "response", "result", "data", "json", "content", "payload"})
_NOTABLE = (
    _ERROR_KEYS
    | _SUCCESS_KEYS
    | _FAILURE_FLAGS
    | _STATUS_KEYS
    | _RETRY_KEYS
    | _MESSAGE_KEYS
    | frozenset({"code"})
)  # the keys ``scan_dict`` looks at twice; any other key is only walked into
_BAD_STATUS_WORDS = frozenset({"error", "fail", "failed", "failure"})
_NOT_AN_ERROR = frozenset({"", "none", "null", "nil", "ok", "false", "0", "success", "n/a"})

AUTH_WORDS = re.compile(
    r"(?<![a-z])(token[\s_-]*(?:has[\s_-]*)?expired|expired[\s_-]*(?:access[\s_-]*)?token"
    r"|invalid[\s_-]*(?:access[\s_-]*|auth[\s_-]*|bearer[\s_-]*)?token"
    r"|invalid[\s_-]*(?:api[\s_-]*key|credentials?|grant|authentication|authorization)"
    r"|invalid[\s_-]*auth|not[\s_-]*authed|token[\s_-]*revoked|revoked[\s_-]*token"
    r"|unauthori[sz]ed|unauthenticated|not[\s_-]*authenticated"
    r"|authentication[\s_-]*(?:failed|required|error)|access[\s_-]*denied|forbidden"
    r"|jwt[\s_-]*expired|session[\s_-]*expired|credentials?[\s_-]*(?:expired|invalid))(?![a-z])",
    re.IGNORECASE,
)
RATE_WORDS = re.compile(
    r"(?<![a-z])(rate[\s_-]*limit(?:ed|s)?(?:[\s_-]*(?:exceeded|reached|hit))?"
    r"|too[\s_-]*many[\s_-]*requests|quota[\s_-]*exceeded|throttl(?:ed|ing))(?![a-z])",
    re.IGNORECASE,
)
# A plain-text output (an LLM tool's string, an MCP text block) is an error only when it *starts*
# like one: "Error: ...", "HTTP/1.1 503 ...", "403 Forbidden", "Too Many Requests".  Anywhere
# else such words are content (a document about 401 errors is not a 401).
_REASONS = (
    r"bad\s+request|unauthori[sz]ed|payment\s+required|forbidden|not\s+found|conflict|gone"
    r"|method\s+not\s+allowed|request\s+time-?out|unprocessable|too\s+many\s+requests"
    r"|internal\s+server\s+error|not\s+implemented|bad\s+gateway|service\s+unavailable"
    r"|gateway\s+time-?out"
)
_TEXT_HEAD = re.compile(
    r"^\W{0,3}(?:(?:error|exception|traceback|fatal|failure|failed|denied)"
    r"(?=\s*(?:[:!(\[\-\u2013\u2014]|\d|$))"
    r"|failed\s+to\b|exception\s+in\s+thread\b"
    r"|(?:forbidden|unauthori[sz]ed|unauthenticated|access\s*denied|permission\s*denied"
    r"|too\s*many\s*requests|rate[\s_-]*limited|rate[\s_-]*limit\s+(?:exceeded|reached|hit)"
    r"|quota\s*exceeded|throttled)\b"
    rf"|http(?:/[\d.]+)?\s+[45]\d\d\b|[45]\d\d\s+(?:{_REASONS})\b)",
    re.IGNORECASE,
)
_TEXT_CODE = re.compile(
    r"^\W{0,3}(?:(?:error|failed)\W{0,2}\s*)?(?:http(?:/[\d.]+)?\s+)?([45]\d\d)\b",
    re.IGNORECASE,
)
_MAX_HEAD = 200
_MAX_MESSAGE = 500  # longer "message" strings are prose, not a status message
# gRPC status codes (google.rpc.Code) 1..16 in a {"code", "message"} envelope: not HTTP.
_GRPC_KEYS = frozenset({"code", "message", "details", "status", "error"})
_MAX_NODES = 4000
_MAX_DEPTH = 12
_MAX_JSON_STRING = 256 * 1024
_MAX_TEXT = 4000


@dataclass(slots=True)
class Signals:
    """What ``scan_output`` found; each entry is ``(path, value)``."""

    errors: list[tuple[str, Any]] = field(default_factory=list)  # truthy error fields
    flags: list[tuple[str, Any]] = field(default_factory=list)  # ok:false, isError:true, ...
    codes: list[tuple[str, int]] = field(default_factory=list)  # embedded HTTP statuses
    bad_status: list[tuple[str, str]] = field(default_factory=list)  # status: "error" (envelope)
    retry_after: list[tuple[str, Any]] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)  # error-ish text for wording
    text_errors: list[tuple[str, str]] = field(default_factory=list)  # "Error: ..." plain text


_NORMS: dict[str, str] = {}
_NORMS_KEPT = 8192  # keys of a root's outputs repeat: remember the first few thousand


def _norm(key: str) -> str:
    norm = _NORMS.get(key)
    if norm is None:
        norm = key.casefold().replace("_", "").replace("-", "")
        if len(_NORMS) < _NORMS_KEPT and len(key) <= 64:
            _NORMS[key] = norm
    return norm


def is_error_key(key: str) -> bool:
    """Whether ``key`` names an error field (``error``, ``errors``, ``errorMessage``, ...)."""
    return _norm(key) in _ERROR_KEYS


def is_status_key(key: str) -> bool:
    """Whether ``key`` names an embedded status (``status_code``, ``statusCode``, ``status``)."""
    return _norm(key) in _STATUS_KEYS


def _truthy_error(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().casefold() not in _NOT_AN_ERROR
    if isinstance(value, dict):
        return any(_truthy_error(v) for v in value.values())
    if isinstance(value, list):
        return any(_truthy_error(v) for v in value)
    return True


def _as_code(key: str, value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    if key != "code" and isinstance(value, str) and len(value) == 3 and value.isdigit():
        number = int(value)
        return number if 100 <= number <= 599 else None
    return None


def quote(value: Any, limit: int = 80) -> str:
    """A short JSON rendering of a value for evidence sentences (sanitised by the caller)."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _texts_of(value: Any, path: list[str | int], signals: Signals, depth: int = 0) -> None:
    """Collect the strings (and HTTP codes) inside an error field: messages, codes, details."""
    if depth > 3:
        return
    if isinstance(value, str):
        signals.texts.append((format_path(path), value[:_MAX_TEXT]))
    elif isinstance(value, dict):
        for key, item in list(value.items())[:20]:
            child = [*path, key]
            if isinstance(key, str) and (key == "code" or _norm(key) in _STATUS_KEYS):
                code = _as_code(key, item)
                if code is not None:
                    signals.codes.append((format_path(child), code))
                    continue
            _texts_of(item, child, signals, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value[:5]):
            _texts_of(item, [*path, i], signals, depth + 1)


def _in_headers(path: list[str | int]) -> bool:
    return any(isinstance(p, str) and _norm(p) == "headers" for p in path)


def _grpc_status(value: dict[str, Any]) -> bool:
    code = value.get("code")
    return (
        isinstance(code, int)
        and not isinstance(code, bool)
        and 1 <= code <= 16
        and isinstance(value.get("message"), str)
        and all(isinstance(k, str) and k in _GRPC_KEYS for k in value)
    )


class _Scanner:
    def __init__(self) -> None:
        self.signals = Signals()
        self.nodes = 0

    def scan(self, value: Any, path: list[str | int], envelope: bool) -> None:
        self.nodes += 1
        if self.nodes > _MAX_NODES or len(path) > _MAX_DEPTH:
            return
        if isinstance(value, dict):
            self.scan_dict(value, path, envelope)
        elif isinstance(value, list):
            # short lists in the envelope are wrappers (MCP content, a one-item result); lists
            # under data keys ("jobs": [...]) and long lists are data, whatever they contain
            if envelope and len(value) <= 2:
                for i, item in enumerate(value):
                    self.scan(item, [*path, i], False)
        elif isinstance(value, str):
            self.scan_string(value, path, envelope)

    def scan_string(self, value: str, path: list[str | int], envelope: bool) -> None:
        stripped = value.strip()
        if stripped[:1] in ("{", "[") and len(stripped) <= _MAX_JSON_STRING:
            try:
                parsed = json.loads(stripped)
            except (ValueError, RecursionError):
                parsed = None
            if isinstance(parsed, dict | list):
                self.scan(parsed, path, envelope)
                return
        if envelope:
            head = stripped.split("\n", 1)[0][:_MAX_HEAD]
            if _TEXT_HEAD.match(head):
                where = format_path(path)
                self.signals.texts.append((where, head))
                self.signals.text_errors.append((where, head))
                code = _TEXT_CODE.match(head)
                if code:
                    self.signals.codes.append((where, int(code.group(1))))

    def scan_dict(self, value: dict[str, Any], path: list[str | int], envelope: bool) -> None:
        s = self.signals
        if envelope and _grpc_status(value):
            s.flags.append((format_path([*path, "code"]), value["code"]))
        text = value.get("text")
        if value.get("type") == "text" and isinstance(text, str):  # an MCP content block
            self.scan_string(text, [*path, "text"], True)
            return
        headers = None  # whether the path is under "headers": asked only for a Retry-After
        for key, item in value.items():
            if not isinstance(key, str):
                continue
            norm = _norm(key)
            if norm not in _NOTABLE:  # most keys: only a container or a string is walked
                if isinstance(item, dict | list | str):
                    self.scan(item, [*path, key], envelope and norm in _WRAPPERS)
                continue
            if norm in _ERROR_KEYS:
                if _truthy_error(item):
                    child = [*path, key]
                    s.errors.append((format_path(child), item))
                    _texts_of(item, child, s)
                continue
            if (norm in _SUCCESS_KEYS and (item is False or item == "false")) or (
                norm in _FAILURE_FLAGS and item is True
            ):
                if envelope:
                    s.flags.append((format_path([*path, key]), item))
            elif norm in _STATUS_KEYS or key == "code":
                # "code"/"status" in data (a product code 503, an order status) are not HTTP;
                # only the envelope's are, or an explicit status_code/httpStatus anywhere
                generic = key == "code" or norm == "status"
                code = _as_code(key, item) if envelope or not generic else None
                if code is not None:
                    s.codes.append((format_path([*path, key]), code))
                elif (
                    norm == "status"
                    and envelope
                    and isinstance(item, str)
                    and item.casefold() in _BAD_STATUS_WORDS
                ):
                    s.bad_status.append((format_path([*path, key]), item))
            elif norm in _RETRY_KEYS and item not in (None, "", False):
                if headers is None:
                    headers = _in_headers(path)
                if envelope or headers:  # a retry policy in data is not a rate limit
                    s.retry_after.append((format_path([*path, key]), item))
            elif norm in _MESSAGE_KEYS and envelope and isinstance(item, str):
                if len(item) <= _MAX_MESSAGE:
                    s.texts.append((format_path([*path, key]), item))
            elif isinstance(item, dict | list | str):
                self.scan(item, [*path, key], envelope and norm in _WRAPPERS)


def scan_output(output: Any) -> Signals:
    """Error indicators in ``output``, each with the dotted path (relative to the output)."""
    scanner = _Scanner()
    # bounded by _MAX_DEPTH; belt and braces (contextlib.suppress costs a tenth of a small
    # output's whole scan)
    try:  # noqa: SIM105
        scanner.scan(output, [], True)
    except RecursionError:
        pass
    return scanner.signals
