"""Accepted shapes: an operator's "this new output is normal now" (``forensics-tui accept``).

Accepting a run (optionally one tool of it) makes those ok calls known-good even if they carry
findings (typically ``schema_drift`` after an intended API change), so later runs are compared
with them.  The record is ``<root>/.accepted.json`` — a dot-file, which readers and the watcher
ignore — read and written only through the safe reader and writer (``storage.safe_read``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forensics_tui.core.storage.safe_read import ReadRefused, read_text, write_file

__all__ = ["ACCEPTED_FILE", "AcceptError", "Acceptance", "AcceptedShapes"]

ACCEPTED_FILE = ".accepted.json"
ACCEPTED_MAX_BYTES = 16 * 1024 * 1024


class AcceptError(Exception):
    """The accepted-shapes file exists but cannot be read or written; the message says why."""


@dataclass(slots=True, frozen=True)
class Acceptance:
    run_id: str
    tool: str | None  # None: every call of the run
    at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "tool": self.tool, "at": self.at}


@dataclass(slots=True)
class AcceptedShapes:
    """The set of accepted ``(run, tool)`` pairs; cheap to query from any thread."""

    entries: list[Acceptance] = field(default_factory=list)
    problem: str | None = None  # set by ``load`` when the file was unusable (treated as empty)

    def covers(self, run_id: str, tool: str | None = None) -> bool:
        """True when ``tool`` in ``run_id`` was accepted (``tool=None``: the whole run)."""
        for entry in self.entries:
            if entry.run_id == run_id and (entry.tool is None or entry.tool == tool):
                return True
        return False

    def runs(self) -> set[str]:
        return {e.run_id for e in self.entries}

    def signature(self) -> tuple[tuple[str, str | None], ...]:
        """A hashable summary, so caches can tell when acceptances changed."""
        return tuple(sorted(((e.run_id, e.tool) for e in self.entries), key=repr))

    @classmethod
    def load(cls, root: Path) -> AcceptedShapes:
        """Read ``<root>/.accepted.json``; missing means none, unusable sets ``problem``."""
        path = Path(root) / ACCEPTED_FILE
        try:  # the safe reader: a FIFO, a device or a symlink out of the root is refused
            data = json.loads(read_text(path, root=root, cap=ACCEPTED_MAX_BYTES))
        except FileNotFoundError:
            return cls()
        except ReadRefused as exc:
            return cls(problem=f"{path}: {exc.reason}")
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            return cls(problem=f"{path}: unreadable ({type(exc).__name__})")
        items = data.get("accepted") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return cls(problem=f'{path}: expected an object with an "accepted" list')
        entries = [
            Acceptance(item["run_id"], item.get("tool"), str(item.get("at") or ""))
            for item in items
            if isinstance(item, dict)
            and isinstance(item.get("run_id"), str)
            and isinstance(item.get("tool"), str | None)
        ]
        return cls(entries)

    def add(self, run_id: str, tool: str | None = None) -> Acceptance:
        entry = Acceptance(run_id, tool, datetime.now(UTC).isoformat(timespec="seconds"))
        self.entries = [e for e in self.entries if (e.run_id, e.tool) != (run_id, tool)]
        self.entries.append(entry)
        return entry

    def save(self, root: Path) -> Path:
        """Write the file atomically; refuses to replace a file that could not be read."""
        if self.problem:
            raise AcceptError(f"refusing to overwrite {self.problem}")
        root = Path(root)
        path = root / ACCEPTED_FILE
        payload = {"format": 1, "accepted": [e.to_json() for e in self.entries]}
        try:
            write_file(path, (json.dumps(payload, indent=2) + "\n").encode("utf-8"))
        except OSError as exc:
            raise AcceptError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path
