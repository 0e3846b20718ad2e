"""The run manifest ``run.json``: who is running this run, since when, and how it ended.

The first process to write into a run claims the manifest (an exclusive ``os.link`` of a
temp file); other processes sharing the run leave it alone.  A claim left ``running`` by a
process that is gone (it was killed) is what readers report as ``crashed``; a later process
reusing the run id takes such a manifest over, as it does one that already ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import TYPE_CHECKING, Any

from forensics_tui.capture.safe_io import ReadRefused, atomic_write, read_file_bytes, write_temp
from forensics_tui.capture.serialize import dumps, iso_utc, prepare

if TYPE_CHECKING:
    from forensics_tui.capture.recorder import Recorder

__all__ = ["MANIFEST_NAME", "Manifest", "pid_alive"]

MANIFEST_NAME = "run.json"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, someone else's
        return True
    return True


class Manifest:
    """Writes ``run.json`` for one recorder: ``start()`` at its first write, ``end()`` once."""

    def __init__(
        self, rec: Recorder, agent: str | None, task: str | None, labels: dict | None
    ) -> None:
        self.rec = rec
        self.agent = agent
        self.task = task
        self.labels = labels
        self.owner = False
        self.ended = False
        self.started_at: str | None = None
        self._pid = 0

    def _doc(self, status: str, ended_at: str | None) -> dict[str, Any]:
        labels, _ = prepare(self.labels or {}, self.rec.redactor, "labels")
        return {
            "format": 1,
            "run_id": self.rec.run_id,
            "started_at": self.started_at,
            "ended_at": ended_at,
            "status": status,
            "agent": self.agent,
            "task": self.task,
            "host": self.rec.host,
            "pid": os.getpid(),
            "labels": labels,
        }

    def start(self, started: float) -> None:
        """Claim ``run.json`` unless a live process on this host already owns it."""
        self._pid = os.getpid()
        self.started_at = iso_utc(started)
        directory = str(self.rec.run_dir)
        path = os.path.join(directory, MANIFEST_NAME)
        # An exclusive, unguessable temp name written in full (a short write on a full disk
        # raises): a truncated run.json never gets linked into place.
        tmp = write_temp(directory, MANIFEST_NAME, dumps(self._doc("running", None)))
        try:
            os.link(tmp, path)
            self.owner = True
        except FileExistsError:
            self._take_over_if_stale(path)
        except OSError:  # a file system without hard links: best effort
            if not os.path.exists(path):
                os.replace(tmp, path)
                self.owner = True
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def _take_over_if_stale(self, path: str) -> None:
        try:  # never through a symlink, never hanging on a FIFO
            existing = json.loads(read_file_bytes(path, cap=1_000_000).data)
        except (OSError, ValueError, ReadRefused):
            existing = None
        if isinstance(existing, dict):
            pid, host = existing.get("pid"), existing.get("host")
            if (
                existing.get("status") == "running"
                and isinstance(pid, int)
                and (host != self.rec.host or pid == os.getpid() or pid_alive(pid))
            ):
                return  # someone is writing this run right now: share it, don't own it
            if isinstance(existing.get("started_at"), str):
                self.started_at = existing["started_at"]
        atomic_write(str(self.rec.run_dir), MANIFEST_NAME, dumps(self._doc("running", None)))
        self.owner = True

    def end(self, status: str) -> None:
        """Record the end; only the owning process (not a forked child) writes it."""
        self.ended = True
        if not self.owner or self._pid != os.getpid():
            return
        doc = self._doc(status, iso_utc(time.time()))
        atomic_write(str(self.rec.run_dir), MANIFEST_NAME, dumps(doc))
