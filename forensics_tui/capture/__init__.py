"""What agents import: record every tool call as a replayable fixture (stdlib only).

Three lines wrap a tool call::

    from forensics_tui.capture import checkpoint

    @checkpoint("search_docs")
    def search_docs(query: str) -> dict: ...

``tool_checkpoint()`` keeps the legacy snippet's signature, ``checkpointed()`` wraps a block,
``Recorder`` is underneath all of them, ``replay()`` prints a run's chain.  Importing this
package loads no third-party module (orjson is used only when it is already installed).
"""

from __future__ import annotations

from forensics_tui.capture.calls import CallHandle, current_call_id, error_info
from forensics_tui.capture.default import get_recorder, set_recorder, tool_checkpoint
from forensics_tui.capture.files import slugify
from forensics_tui.capture.paths import env_run_id, new_run_id, resolve_root
from forensics_tui.capture.recorder import Recorder
from forensics_tui.capture.redact import REDACTED, Redactor, redactor_from_env
from forensics_tui.capture.replay import replay
from forensics_tui.capture.sanitize import safe_line, safe_text
from forensics_tui.capture.serialize import to_jsonable
from forensics_tui.capture.wrap import ActiveCall, checkpoint, checkpointed, is_timeout

__all__ = [
    "REDACTED",
    "ActiveCall",
    "CallHandle",
    "Recorder",
    "Redactor",
    "checkpoint",
    "checkpointed",
    "current_call_id",
    "env_run_id",
    "error_info",
    "get_recorder",
    "is_timeout",
    "new_run_id",
    "redactor_from_env",
    "replay",
    "resolve_root",
    "safe_line",
    "safe_text",
    "set_recorder",
    "slugify",
    "to_jsonable",
    "tool_checkpoint",
]
