"""The process-wide default recorder and the legacy-compatible ``tool_checkpoint()``.

The default is created on first use from the environment: ``$FORENSICS_FIXTURE_DIR`` (root),
``$FORENSICS_RUN_ID`` / ``$RUN_ID`` (run), ``$FORENSICS_AGENT`` / ``$FORENSICS_TASK`` (manifest),
``$FORENSICS_REDACT=0`` (no redaction) and ``$FORENSICS_REDACT_KEYS`` (more secret keys).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from forensics_tui.capture.recorder import Recorder
from forensics_tui.capture.redact import redactor_from_env

__all__ = ["default_recorder_from_env", "get_recorder", "set_recorder", "tool_checkpoint"]


def default_recorder_from_env() -> Recorder:
    """The lazily created default: root, run id and redaction settings from the environment."""
    env = os.environ
    return Recorder(
        agent=env.get("FORENSICS_AGENT") or None,
        task=env.get("FORENSICS_TASK") or None,
        redaction=redactor_from_env(env),
    )


_default: Recorder | None = None
_default_lock = threading.Lock()


def get_recorder() -> Recorder:
    """The process-wide default recorder, created on first use from the environment."""
    global _default
    rec = _default
    if rec is None:
        with _default_lock:
            if _default is None:
                _default = default_recorder_from_env()
            rec = _default
    return rec


def set_recorder(rec: Recorder | None) -> None:
    """Replace the default recorder (``None``: create a fresh one from the environment next)."""
    global _default
    with _default_lock:
        _default = rec


def tool_checkpoint(
    tool_name: Any,
    input_payload: Any,
    output_payload: Any,
    status: str = "ok",
    *,
    error: Any = None,
    replay: Any = None,
    duration_ms: float | None = None,
    meta: Any = None,
) -> Path | None:
    """Record one finished tool call (the legacy snippet's signature); returns its path."""
    try:
        rec = get_recorder()
    except Exception:
        return None
    return rec.record(
        tool_name,
        input_payload,
        output_payload,
        status,
        error=error,
        replay=replay,
        duration_ms=duration_ms,
        meta=meta,
    )
