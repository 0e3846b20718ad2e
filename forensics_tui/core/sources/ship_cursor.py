"""The shipper's cursor: which (file, state) JetStream has acknowledged, kept under the root.

``<root>/.forensics-ship/<host>.json`` (a dot-directory: readers and the watcher ignore it),
rewritten with the capture layer's atomic write.  It only ever records acknowledged publishes,
so a shipper killed at any point resends at most what was acknowledged after the last save,
and JetStream's de-duplication (by host + call id + state) drops those resends.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from forensics_tui.core.sources.files import atomic_write, private_dir, read_capped
from forensics_tui.core.sources.wire import encode_token

__all__ = ["ShipCursor"]


class ShipCursor:
    """``"run/name" -> state`` for every acknowledged fixture and manifest of one host."""

    def __init__(self, root: Path, host: str) -> None:
        self.root = Path(root)
        self.directory = self.root / ".forensics-ship"
        self.name = f"{encode_token(host)}.json"
        self.acked: dict[str, str] = {}
        self.dirty = False
        self._load()

    @property
    def path(self) -> Path:
        return self.directory / self.name

    def _load(self) -> None:
        raw = read_capped(self.path, root=self.root, cap=1024 * 1024 * 1024)
        try:
            data = json.loads(raw) if raw is not None else None
        except ValueError:
            return
        acked = data.get("acked") if isinstance(data, dict) else None
        if isinstance(acked, dict):
            self.acked = {k: v for k, v in acked.items() if isinstance(v, str)}

    def state(self, key: str) -> str | None:
        return self.acked.get(key)

    def record(self, key: str, state: str) -> None:
        if state == "pending" and self.acked.get(key) == "final":
            return  # a late ack of the pending state must not hide the final one
        self.acked[key] = state
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        private_dir(self.directory)
        data = json.dumps({"version": 1, "acked": self.acked}, separators=(",", ":"))
        atomic_write(os.fspath(self.directory), self.name, data.encode())
        self.dirty = False
