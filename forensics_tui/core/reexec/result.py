"""Turning a send into evidence: a new fixture in a new run, an audit line, and the diffs.

The result is recorded through the capture ``Recorder`` (so it is redacted again like any
fixture) as a **new** run labelled ``{"reexec_of": call_id}``, linked by ``meta.reexec_of``
(``call_id``, ``sha256`` of the original file, its ``path``); the original file is only ever
read.  Every value that was filled from the environment is scrubbed from the outcome first, in
case the server echoed it.  Each send appends one JSON line to ``<root>/.audit.jsonl``.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forensics_tui.core.model import Fixture
from forensics_tui.core.reexec.kinds import Outcome
from forensics_tui.core.reexec.request import Request
from forensics_tui.core.reexec.secrets_fill import MARKER
from forensics_tui.core.storage.safe_read import (
    ReadRefused,
    append_bytes,
    private_dirs,
    read_file_bytes,
)

__all__ = [
    "AUDIT_FILE",
    "ReexecResult",
    "append_audit",
    "file_sha256",
    "record_outcome",
    "scrub",
    "scrub_outcome",
]

AUDIT_FILE = ".audit.jsonl"
AGENT = "forensics-tui reexec"
FIXTURE_CAP = 256 * 1024 * 1024


@dataclass(slots=True)
class ReexecResult:
    """Everything the CLI and TUI show after a re-execution (or a decision not to send)."""

    original: Fixture
    sent: bool
    status: str  # the new fixture's status when sent; else refused | dry_run | not_confirmed
    request: Request | None = None
    reason: str | None = None  # why nothing was sent, or why recording failed
    outcome: Outcome | None = None
    new_call_id: str | None = None
    new_run_id: str | None = None
    new_path: Path | None = None
    new_fixture: Fixture | None = None
    diff: Any = None  # CallDiff against the original
    diff_last_good: Any = None  # CallDiff against the last known-good call, when there is one

    @property
    def verdict(self) -> str | None:
        return getattr(self.diff, "verdict", None)

    def to_json(self) -> dict[str, Any]:
        def as_json(diff: Any) -> Any:
            return diff.to_json() if diff is not None and hasattr(diff, "to_json") else None

        return {
            "sent": self.sent,
            "request": self.request.to_json() if self.request else None,
            "original_call_id": self.original.call_id,
            "new_call_id": self.new_call_id,
            "new_run_id": self.new_run_id,
            "status": self.status,
            "reason": self.reason,
            "truncated": bool(self.outcome and self.outcome.truncated),
            "diff": as_json(self.diff),
            "diff_last_good": as_json(self.diff_last_good),
        }


def file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(read_file_bytes(path, cap=FIXTURE_CAP).data).hexdigest()
    except (OSError, ReadRefused):
        return None


def scrub(value: Any, secrets: list[str]) -> Any:
    """``value`` with every occurrence of a filled secret replaced by the redaction marker."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MARKER)
        return value
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, secrets) for v in value]
    return value


def scrub_outcome(outcome: Outcome, secrets: list[str]) -> Outcome:
    """``outcome`` with every form of a filled secret replaced, before anyone sees it."""
    if not secrets:
        return outcome
    return Outcome(
        outcome.status,
        output=scrub(outcome.output, secrets),
        error=scrub(outcome.error, secrets),
        duration_ms=outcome.duration_ms,
        truncated=outcome.truncated,
        details=scrub(outcome.details, secrets),
    )


def record_outcome(
    original: Fixture, request: Request, outcome: Outcome, root: Path, sha256: str | None
) -> tuple[str, Path] | str:
    """Write the outcome as the first call of a new run; ``(run_id, path)`` or the reason not."""
    from forensics_tui.capture import Recorder
    from forensics_tui.capture.paths import new_run_id

    secrets = request.secret_values()
    meta = {
        "reexec_of": {
            "call_id": original.call_id,
            "run_id": original.run_id,
            "sha256": sha256,
            "path": str(original.path),
        },
        "reexec": scrub({"kind": request.kind, **outcome.details}, secrets),
    }
    recorder = Recorder(
        root,
        new_run_id(),
        agent=AGENT,
        labels={"reexec_of": original.call_id, "reexec_of_run": original.run_id},
        redact=True,
    )
    try:
        path = recorder.record(
            original.tool,
            original.input,  # as recorded (already redacted): never the filled values
            scrub(outcome.output, secrets),
            outcome.status,
            error=scrub(outcome.error, secrets),
            replay=original.replay,
            duration_ms=outcome.duration_ms,
            meta=meta,
        )
    finally:
        recorder.end("ok" if outcome.status == "ok" else "failed")
    if path is None:
        return "the recorder did not write the result (is capture disabled?)"
    return recorder.run_id, Path(path)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def append_audit(
    root: Path, result: ReexecResult, sha256: str | None, *, phase: str = "result"
) -> None:
    """One JSON line: who, when, what (masked) and, after the send, the result.  ``phase`` is
    ``sending`` (written before anything goes out) or ``result``.  Appends, never rewrites;
    raises ``OSError`` (``WriteRefused`` for a planted symlink or FIFO)."""
    request = result.request
    outcome = result.outcome
    line = {
        "ts": datetime.now(UTC).isoformat(),
        "phase": phase,
        "user": _user(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "action": "reexec",
        "original": {
            "call_id": result.original.call_id,
            "path": str(result.original.path),
            "sha256": sha256,
        },
        "request": request.to_json() if request else None,
        "sent": result.sent,
        "result": {
            "status": result.status,
            "new_call_id": result.new_call_id,
            "new_run_id": result.new_run_id,
            "error": outcome.error if outcome else None,
            "reason": result.reason,
        },
    }
    if request is not None:
        line = scrub(line, request.secret_values())
    data = (json.dumps(line, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    private_dirs(root)
    append_bytes(root / AUDIT_FILE, data)  # no symlink, no FIFO, no short write
