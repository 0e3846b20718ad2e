"""The mirror: a local root that a fleet source fills, so the store reads fleet fixtures the
same way (and with the same checks) as local ones.

Each host's run becomes the run directory ``<host>:<run>`` (run ids are unique per host, not
across the fleet, and the host then shows wherever a run id does).  Files are written with the
capture layer's atomic write, never followed through a symlink, and a ``pending`` message never
replaces a call that is already final.  A call whose body went to the object store is kept as a
*stub* (its summary plus the object's name, see :mod:`~forensics_tui.core.storage.bodies`) until
someone opens it; :meth:`Mirror.replace_stub` then puts the fetched body in its place.  ``.fleet/cursor.json`` records the last stream sequence
applied, written after the files, so a restarted reader resumes without a gap (a re-applied
message rewrites the same bytes).
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

from forensics_tui.core.sources.base import HostState
from forensics_tui.core.sources.files import atomic_write, private_dir, read_capped
from forensics_tui.core.sources.wire import MESSAGE_CAP, Envelope
from forensics_tui.core.storage.bodies import STUB_KEY, stub_ref

__all__ = ["MALFORMED_RUN", "Mirror", "default_mirror_root", "mirror_run_id", "split_run_id"]

MALFORMED_RUN = "fleet:malformed-messages"
_STATUS = re.compile(rb'"status"\s*:\s*"([a-z]+)"')


def default_mirror_root(label: str) -> Path:
    """``$XDG_CACHE_HOME/forensics-tui/sources/<label as a safe name>``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("._") or "source"
    return Path(base) / "forensics-tui" / "sources" / safe


def mirror_run_id(host: str, run: str) -> str:
    return f"{host}:{run}"


def split_run_id(run_id: str) -> tuple[str | None, str]:
    """``(host, run)`` of a mirror run directory name; ``(None, run_id)`` for a local one."""
    host, sep, run = run_id.partition(":")
    return (host, run) if sep and host and run else (None, run_id)


class Mirror:
    """Writes fleet messages under ``root``; one writer at a time (the source's loop)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        private_dir(self.root)
        self._meta = self.root / ".fleet"
        private_dir(self._meta)
        self.last_seq = 0
        self.stream_created: str | None = None
        self.malformed = 0
        self._hosts: dict[str, HostState] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # the source's writes vs. a body fetched on demand
        self._load_cursor()

    # -- cursor --------------------------------------------------------------------------

    def _load_cursor(self) -> None:
        raw = read_capped(self._meta / "cursor.json", root=self.root, cap=64 * 1024 * 1024)
        try:
            data = json.loads(raw) if raw is not None else None
        except ValueError:
            return
        if isinstance(data, dict):
            seq = data.get("last_seq")
            self.last_seq = seq if isinstance(seq, int) and seq >= 0 else 0
            created = data.get("stream_created")
            self.stream_created = created if isinstance(created, str) else None
            hosts = data.get("hosts")
            for name, value in hosts.items() if isinstance(hosts, dict) else []:
                if isinstance(value, dict):
                    self._hosts[name] = _host_from_dict(name, value)

    def reset(self, stream_created: str | None) -> None:
        """The stream was recreated: start again from its first message."""
        self.last_seq = 0
        self.stream_created = stream_created

    def save_cursor(self) -> None:
        with self._lock:
            hosts = {h.host: _host_to_dict(h) for h in self._hosts.values()}
        data = {
            "last_seq": self.last_seq,
            "stream_created": self.stream_created,
            "hosts": hosts,
        }
        atomic_write(os.fspath(self._meta), "cursor.json", json.dumps(data).encode())

    # -- hosts ---------------------------------------------------------------------------

    def hosts(self) -> list[HostState]:
        with self._lock:
            return [HostState(**_host_to_dict(h), host=h.host) for h in self._hosts.values()]

    def _host(self, name: str) -> HostState:
        state = self._hosts.get(name)
        if state is None:
            state = self._hosts[name] = HostState(name)
        return state

    def heartbeat(self, host: str, body: bytes, at: float) -> None:
        try:
            data = json.loads(body) if len(body) <= 64 * 1024 else None
        except ValueError:
            data = None
        data = data if isinstance(data, dict) else {}
        with self._lock:
            state = self._host(host)
            state.last_heartbeat = max(at, state.last_heartbeat or 0.0)
            clock, version, backlog = data.get("clock"), data.get("version"), data.get("backlog")
            state.host_clock = clock[:40] if isinstance(clock, str) else None
            state.version = version[:40] if isinstance(version, str) else None
            state.backlog = backlog if isinstance(backlog, int) and backlog >= 0 else None

    # -- files ---------------------------------------------------------------------------

    def write(self, env: Envelope, body: bytes, at: float) -> Path | None:
        """Mirror one call or manifest; ``None`` when it must not replace what is there."""
        assert env.run is not None and env.name is not None
        run_dir = self.root / mirror_run_id(env.host, env.run)
        path = run_dir / env.name
        with self._write_lock:
            # asked of the disk, not of a set of every final call: that set would cost the
            # reader ~200 bytes per call of the fleet (a new call's file is simply not there)
            if env.kind == "call" and env.state != "final" and self._final_on_disk(path):
                return None
            private_dir(run_dir)
            atomic_write(os.fspath(run_dir), env.name, body)
        if env.kind == "call":
            with self._lock:
                state = self._host(env.host)
                state.last_call = max(at, state.last_call or 0.0)
                state.calls += 1
        return path

    @staticmethod
    def stub(summary: bytes, env: Envelope) -> bytes | None:
        """The stub for a call whose body is object ``env.object_name``: the summary the message
        carried plus the reference; None when the summary is not a JSON object."""
        try:
            obj = json.loads(summary)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        obj[STUB_KEY] = {"object": env.object_name, "size": env.size or 0}
        return json.dumps(obj, ensure_ascii=True).encode()

    def replace_stub(self, path: Path, object_name: str, body: bytes) -> bool:
        """Put a fetched body where the stub that names ``object_name`` is; False (nothing
        written) when the file is no longer that stub: a newer message replaced it."""
        path = Path(path)
        if path.parent.parent != self.root:
            return False
        with self._write_lock:
            current = read_capped(path, root=self.root, cap=2 * MESSAGE_CAP)
            try:
                ref = stub_ref(json.loads(current)) if current is not None else None
            except ValueError:
                ref = None
            if ref is None or ref["object"] != object_name:
                return False
            atomic_write(os.fspath(path.parent), path.name, body)
        return True

    def _final_on_disk(self, path: Path) -> bool:
        head = read_capped(path, root=self.root, cap=64 * 1024, head=64 * 1024)
        match = _STATUS.search(head) if head is not None else None
        return match is not None and match.group(1) != b"pending"

    def write_malformed(self, seq: int, subject: str, reason: str) -> Path:
        """An error row for a message that could not be placed (its headers were bad)."""
        self.malformed += 1
        run_dir = self.root / MALFORMED_RUN
        private_dir(run_dir)
        note = {"fleet_malformed_message": reason, "stream_seq": seq, "subject": subject[:200]}
        name = f"{seq:06d}_malformed-message.json"
        atomic_write(os.fspath(run_dir), name, json.dumps(note, ensure_ascii=True).encode())
        return run_dir / name


def _host_to_dict(h: HostState) -> dict[str, Any]:
    return {
        "last_call": h.last_call,
        "last_heartbeat": h.last_heartbeat,
        "host_clock": h.host_clock,
        "version": h.version,
        "backlog": h.backlog,
        "calls": h.calls,
    }


def _host_from_dict(name: str, d: dict[str, Any]) -> HostState:
    def num(key: str) -> float | None:
        v = d.get(key)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    def text(key: str) -> str | None:
        v = d.get(key)
        return v[:40] if isinstance(v, str) else None

    calls = d.get("calls")
    backlog = d.get("backlog")
    return HostState(
        name,
        last_call=num("last_call"),
        last_heartbeat=num("last_heartbeat"),
        host_clock=text("host_clock"),
        version=text("version"),
        backlog=backlog if isinstance(backlog, int) else None,
        calls=calls if isinstance(calls, int) else 0,
    )
