"""The fixture/run domain model shared by the store, the analysis, the CLI and the UI.

``Call`` is the cheap in-memory summary of one fixture file (what lists and counts need);
``Fixture`` is the full record with payloads, loaded on demand; ``Run`` groups calls.  A file
that cannot be read becomes a ``Call`` with ``status == "broken"`` and the loader's reason in
``problem``, so broken files show up as rows instead of crashing anything.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics_tui.capture.format import CALL_STATUSES as STATUSES
from forensics_tui.capture.format import FINAL_STATUSES, RUN_STATUSES
from forensics_tui.capture.format import STATUS_ICONS as CALL_ICONS

__all__ = [
    "BROKEN",
    "FINAL_STATUSES",
    "STATUSES",
    "STATUS_COLORS",
    "STATUS_ICONS",
    "Call",
    "Fixture",
    "Run",
    "status_icon",
]


BROKEN = "broken"
"""Pseudo-status of a file the loader could not read; its reason is in ``Call.problem``."""

STATUS_ICONS: dict[str, str] = {**CALL_ICONS, BROKEN: "!"}
# Colour names understood by both Rich and Textual; one map for CLI and TUI alike.
STATUS_COLORS: dict[str, str] = {
    "ok": "green",
    "error": "red",
    "skipped": "yellow",
    "timeout": "magenta",
    "pending": "cyan",
    BROKEN: "bright_red",
}


def status_icon(status: str) -> str:
    return STATUS_ICONS.get(status, "?")


@dataclass(slots=True)
class Call:
    """Summary of one fixture file, kept in memory for every call in the root."""

    path: Path
    run_id: str
    call_id: str
    seq: int
    tool: str
    status: str  # one of STATUSES, or BROKEN
    ts: str | None = None
    ended_at: str | None = None
    duration_ms: float | None = None
    format: int = 1  # 0 = legacy snippet format
    problem: str | None = None  # loader's reason when status == BROKEN
    occurrence: int = 0  # nth call of this tool within its run, from 1; 0 for broken files
    size: int = 0
    mtime_ns: int = 0
    preview: str = ""  # short one-line summary of the output or error (unsanitised)
    deleted: bool = False  # the file disappeared after it was indexed

    @property
    def icon(self) -> str:
        return status_icon(self.status)

    @property
    def broken(self) -> bool:
        return self.status == BROKEN


@dataclass(slots=True)
class Fixture:
    """A fully loaded fixture (format 1, or legacy migrated to the format-1 shape)."""

    path: Path
    run_id: str
    call_id: str
    seq: int
    tool: str
    status: str
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    ts: str | None = None
    ended_at: str | None = None
    duration_ms: float | None = None
    replay: dict[str, Any] | None = None
    redacted: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    format: int = 1
    raw: dict[str, Any] = field(default_factory=dict)  # the object exactly as read

    def to_dict(self) -> dict[str, Any]:
        """The format-1 JSON object for this fixture."""
        return {
            "format": 1,
            "run_id": self.run_id,
            "call_id": self.call_id,
            "seq": self.seq,
            "tool": self.tool,
            "status": self.status,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "ts": self.ts,
            "ended_at": self.ended_at,
            "duration_ms": self.duration_ms,
            "replay": self.replay,
            "redacted": list(self.redacted),
            "meta": dict(self.meta),
        }


_HOSTNAME = socket.gethostname()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


@dataclass(slots=True)
class Run:
    """One run directory: its manifest (if any) and its calls ordered by ``seq``."""

    run_id: str
    path: Path
    manifest: dict[str, Any] | None = None
    manifest_problem: str | None = None  # run.json exists but could not be read
    calls: list[Call] = field(default_factory=list)

    def _m(self, key: str) -> Any:
        return self.manifest.get(key) if isinstance(self.manifest, dict) else None

    @property
    def started_at(self) -> str | None:
        value = self._m("started_at")
        if isinstance(value, str):
            return value
        for call in self.calls:
            if call.ts:
                return call.ts
        return None

    @property
    def ended_at(self) -> str | None:
        value = self._m("ended_at")
        return value if isinstance(value, str) else None

    @property
    def agent(self) -> str | None:
        value = self._m("agent")
        return value if isinstance(value, str) else None

    @property
    def task(self) -> str | None:
        value = self._m("task")
        return value if isinstance(value, str) else None

    @property
    def labels(self) -> dict[str, Any]:
        value = self._m("labels")
        return value if isinstance(value, dict) else {}

    @property
    def status(self) -> str:
        """Manifest status; ``running`` whose writer pid is gone on this host reads ``crashed``.

        Without a manifest: ``running`` while any call is pending, else ``failed`` when a call
        failed, else ``ok``.
        """
        value = self._m("status")
        if isinstance(value, str) and value in RUN_STATUSES:
            if value == "running" and self._writer_gone():
                return "crashed"
            return value
        if any(c.status == "pending" for c in self.calls):
            return "running"
        if any(c.status in ("error", "timeout") for c in self.calls):
            return "failed"
        return "ok"

    def _writer_gone(self) -> bool:
        pid = self._m("pid")
        host = self._m("host")
        if not isinstance(pid, int) or host != _HOSTNAME:
            return False
        return not _pid_alive(pid)

    @property
    def is_live(self) -> bool:
        return self.status == "running"

    @property
    def is_reexec(self) -> bool:
        """Runs created by re-execution never serve as baselines."""
        return bool(self.labels.get("reexec_of") or self._m("reexec_of"))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for call in self.calls:
            if not call.deleted:
                out[call.status] = out.get(call.status, 0) + 1
        return out

    def sort_key(self) -> tuple[str, str]:
        """DESIGN order: started_at, else first call's ts, else run_id."""
        return (self.started_at or "", self.run_id)
