"""The fixture format, defined once: version, field names and the status vocabularies.

The writer (:mod:`forensics_tui.capture.recorder`) and the reader
(:mod:`forensics_tui.core.storage.loader`) both import this module, so they cannot drift apart
(docs/ARCHITECTURE.md, "Fixture format").  Agents say "success" or "failed" where the format
says ``ok`` or ``error``: :func:`call_status` maps such words into the vocabulary and returns
the original, which the writer keeps in ``meta.original_status``, so nothing the agent
recorded is lost and nothing it recorded is turned into a broken file.  Standard library only.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CALL_STATUSES",
    "FIELDS",
    "FINAL_STATUSES",
    "FORMAT_VERSION",
    "LEGACY_FIELDS",
    "LEGACY_FORMAT",
    "ORIGINAL_STATUS_KEY",
    "RUN_STATUSES",
    "STATUS_ICONS",
    "call_status",
    "known_call_status",
    "run_status",
]

FORMAT_VERSION = 1
LEGACY_FORMAT = 0
"""The 30-line snippet's format: no ``format`` field, ``<tool>_<NNN>.json`` names."""

CALL_STATUSES: tuple[str, ...] = ("ok", "error", "skipped", "timeout", "pending")
FINAL_STATUSES: frozenset[str] = frozenset({"ok", "error", "skipped", "timeout"})
RUN_STATUSES: tuple[str, ...] = ("running", "ok", "failed", "crashed")
STATUS_ICONS: dict[str, str] = {"ok": "✓", "error": "✗", "skipped": "⊘", "timeout": "⏱", "pending": "◌"}  # fmt: skip
"""One icon per call status, for every surface (the core adds ``broken``)."""

FIELDS: tuple[str, ...] = (
    "format",
    "run_id",
    "call_id",
    "seq",
    "tool",
    "status",
    "input",
    "output",
    "error",
    "ts",
    "ended_at",
    "duration_ms",
    "replay",
    "redacted",
    "meta",
)
LEGACY_FIELDS: tuple[str, ...] = ("run_id", "tool", "input", "output", "status", "ts")
ORIGINAL_STATUS_KEY = "original_status"
"""``meta`` key that keeps a status word the writer mapped into the vocabulary."""

_CALL_ALIASES: dict[str, str] = {
    "success": "ok",
    "succeeded": "ok",
    "successful": "ok",
    "passed": "ok",
    "pass": "ok",
    "done": "ok",
    "complete": "ok",
    "completed": "ok",
    "finished": "ok",
    "fail": "error",
    "failed": "error",
    "failure": "error",
    "errored": "error",
    "exception": "error",
    "crashed": "error",
    "cancelled": "error",
    "canceled": "error",
    "aborted": "error",
    "timed_out": "timeout",
    "timedout": "timeout",
    "timed out": "timeout",
    "deadline_exceeded": "timeout",
    "skip": "skipped",
    "ignored": "skipped",
    "not_run": "skipped",
    "running": "pending",
    "started": "pending",
    "in_progress": "pending",
}
_RUN_ALIASES: dict[str, str] = {
    "success": "ok",
    "succeeded": "ok",
    "done": "ok",
    "completed": "ok",
    "error": "failed",
    "failure": "failed",
    "fail": "failed",
    "cancelled": "failed",
    "canceled": "failed",
    "timeout": "failed",
}


def _word(value: Any) -> str:
    return str(value).strip().casefold().replace("-", "_")


def known_call_status(value: Any) -> str | None:
    """The vocabulary status for ``value`` (exact, or a known synonym), else None."""
    if isinstance(value, str) and value in CALL_STATUSES:
        return value
    if not isinstance(value, str):
        return None
    word = _word(value)
    return word if word in CALL_STATUSES else _CALL_ALIASES.get(word)


def call_status(value: Any) -> tuple[str, str | None]:
    """``(status in the vocabulary, the original word if it was mapped)``.

    A word nobody knows becomes ``error`` (a call that says something other than "ok" did not
    plainly succeed) with the original kept, never a broken file.
    """
    if isinstance(value, str) and value in CALL_STATUSES:
        return value, None
    try:
        original = value if isinstance(value, str) else str(value)
    except Exception:
        original = f"<unprintable {type(value).__name__}>"
    return known_call_status(value) or "error", original


def run_status(value: Any) -> tuple[str, str | None]:
    """The run-manifest counterpart of :func:`call_status` (``success`` → ``ok``)."""
    if isinstance(value, str) and value in RUN_STATUSES:
        return value, None
    word = _word(value)
    if word in RUN_STATUSES:
        return word, str(value)
    return _RUN_ALIASES.get(word, "failed"), str(value)
