"""The fixture/run domain model shared by the store, the analysis, the CLI and the UI.

``Call`` is the cheap in-memory summary of one fixture file (what lists and counts need);
``Fixture`` is the full record with payloads, loaded on demand; ``Run`` groups calls.  A file
that cannot be read becomes a ``Call`` with ``status == "broken"`` and the loader's reason in
``problem``, so broken files show up as rows instead of crashing anything.
"""

from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics_tui.capture.format import CALL_STATUSES as STATUSES
from forensics_tui.capture.format import FINAL_STATUSES, RUN_STATUSES
from forensics_tui.capture.format import STATUS_ICONS as CALL_ICONS
from forensics_tui.core import compact_text
from forensics_tui.core.compact_ts import pack as pack_ts
from forensics_tui.core.compact_ts import unpack as unpack_ts

__all__ = [
    "BROKEN",
    "FINAL_STATUSES",
    "STATUSES",
    "STATUS_COLORS",
    "STATUS_ICONS",
    "Call",
    "Fixture",
    "Run",
    "canonical_name",
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


_STEM_ID = 0
"""``Call._cid`` when the call id is ``<run_id>-<file stem>`` (what a file without one gets)."""
_SEQ_BITS = 32
_SEQ_MASK = (1 << _SEQ_BITS) - 1
_OCC_BITS = 32
_OCC_MASK = (1 << _OCC_BITS) - 1
_SIZE_BITS = 48
_SIZE_MASK = (1 << _SIZE_BITS) - 1
_DUR_BITS = 65  # a "has a duration" bit above the float's 64 bits
_DUR_MASK = (1 << _DUR_BITS) - 1
_HAS_DUR = 1 << 64
_F64_MASK = _HAS_DUR - 1
_OCC_SHIFT = _SEQ_BITS
_SIZE_SHIFT = _OCC_SHIFT + _OCC_BITS
_DUR_SHIFT = _SIZE_SHIFT + _SIZE_BITS
_MTIME_SHIFT = _DUR_SHIFT + _DUR_BITS
_NOT_OCC = ~(_OCC_MASK << _OCC_SHIFT)
_F64 = struct.Struct("<d")
_pack_f64 = _F64.pack
_unpack_f64 = _F64.unpack
_STATUS_NAMES: tuple[str, ...] = (*STATUSES, BROKEN)
_STATUS_CODES = {status: code for code, status in enumerate(_STATUS_NAMES)}


def canonical_name(seq: int, tool: str) -> str:
    """The file name the recorder gives call ``seq`` of ``tool``: ``000003_tool.json``."""
    return f"{seq:06d}_{tool}.json"


class Call:
    """Summary of one fixture file, kept in memory for every call in the root.

    Built like a dataclass (``Call(path, run_id, call_id, seq, tool, status, ts=..., ...)``)
    and read the same way, but stored compactly, since a root may hold a million of them:

    * ``path`` is a property over the run directory's ``Path`` (one object shared by every call
      of a run when built with :meth:`in_dir`) and the file name; the name itself is not stored
      when it is the recorder's ``<seq:06d>_<tool>.json`` (it is formatted on demand);
    * ``call_id`` is not stored when it is ``<run_id>-<seq:06d>`` or ``<run_id>-<file stem>``;
    * ``ts`` and ``ended_at`` are kept as ints (:mod:`~forensics_tui.core.compact_ts`) when that
      gives back the exact string, and ``ended_at`` shares ``ts``'s value when they are equal;
    * ``seq``, ``occurrence``, ``size``, ``duration_ms`` (its 64 bits) and ``mtime_ns`` share
      one int; ``status``, ``format`` and ``deleted`` share a small (cached) int, with
      ``problem`` a tuple of them (only broken files have one);
    * ``preview`` is a handle into a compressed chunk of previews
      (:mod:`~forensics_tui.core.compact_text`), read back on demand.

    Each derived value is checked against the given one when the call is built: a value that
    does not derive exactly is stored as given, so every attribute reads back what was passed.
    Changing ``seq``, ``tool`` or ``run_id`` first pins the name and call id they derived.
    """

    __slots__ = (
        "_cid",
        "_dir",
        "_end",
        "_flags",
        "_name",
        "_pi",
        "_pv",
        "_run_id",
        "_stat",
        "_tool",
        "_ts",
        "memo",
    )

    _dir: Path
    _name: str | None  # None: canonical_name(seq, tool)
    _run_id: str
    _cid: str | int | None  # None: "<run_id>-<seq:06d>"; _STEM_ID: "<run_id>-<stem>"
    _tool: str
    _ts: int | str | None  # compact_ts.pack(ts)
    _end: int | str | None  # compact_ts.pack(ended_at); the same object as _ts when equal
    _flags: int | tuple[str, int, bool, str | None]  # see _set_flags
    _stat: int | tuple[int, int, int, int, float | None]  # see _set_stat
    _pv: Any  # compact_text.Chunk, or the preview itself (see compact_text.put)
    _pi: int  # the preview's index in its chunk
    memo: Any  # what the analysis learnt from this file version (its own key inside), or None

    def __init__(
        self,
        path: Path | str,
        run_id: str,
        call_id: str,
        seq: int,
        tool: str,
        status: str,
        ts: str | None = None,
        ended_at: str | None = None,
        duration_ms: float | None = None,
        format: int = 1,
        problem: str | None = None,
        occurrence: int = 0,
        size: int = 0,
        mtime_ns: int = 0,
        preview: str = "",
        deleted: bool = False,
    ) -> None:
        path = path if isinstance(path, Path) else Path(path)
        self._fill(path.parent, path.name, run_id, call_id, seq, tool)
        self._rest(ts, ended_at, duration_ms, occurrence, seq, size, mtime_ns)
        self._pv, self._pi = compact_text.put(preview)
        self._set_flags(status, format, deleted, problem)

    @classmethod
    def in_dir(
        cls,
        run_dir: Path,
        name: str,
        run_id: str,
        call_id: str,
        seq: int,
        tool: str,
        status: str,
        ts: str | None = None,
        ended_at: str | None = None,
        duration_ms: float | None = None,
        format: int = 1,
        problem: str | None = None,
        occurrence: int = 0,
        size: int = 0,
        mtime_ns: int = 0,
        preview: str = "",
        deleted: bool = False,
    ) -> Call:
        """The call for file ``name`` in ``run_dir``; ``run_dir`` is kept as given (shared)."""
        call = cls.__new__(cls)
        call._fill(run_dir, name, run_id, call_id, seq, tool)
        call._rest(ts, ended_at, duration_ms, occurrence, seq, size, mtime_ns)
        call._pv, call._pi = compact_text.put(preview)
        call._set_flags(status, format, deleted, problem)
        return call

    def _fill(
        self, run_dir: Path, name: str, run_id: str, call_id: str, seq: int, tool: str
    ) -> None:
        self._dir = run_dir
        self.memo = None
        self._run_id = run_id
        self._tool = tool
        self._name = None if type(seq) is int and name == canonical_name(seq, tool) else name
        cid: str | int | None = call_id
        if type(seq) is int and seq > 0 and call_id == f"{run_id}-{seq:06d}":
            cid = None
        elif name.endswith(".json") and call_id == f"{run_id}-{name[:-5]}":
            cid = _STEM_ID
        self._cid = cid

    def _rest(
        self,
        ts: str | None,
        ended_at: str | None,
        duration_ms: float | None,
        occurrence: int,
        seq: int,
        size: int,
        mtime_ns: int,
    ) -> None:
        self._ts = packed = pack_ts(ts)
        self._end = packed if ended_at is not None and ended_at == ts else pack_ts(ended_at)
        self._set_stat(seq, size, mtime_ns, occurrence, duration_ms)

    def _set_stat(
        self, seq: int, size: int, mtime_ns: int, occurrence: int, duration_ms: float | None
    ) -> None:
        """``seq``, ``occurrence``, ``size``, ``duration_ms`` and ``mtime_ns`` in one int (from
        the low bits: 32, 32, 48, 65 bits — a "has a duration" bit and the float's 64 bits —
        then ``mtime_ns``): 56 bytes, where a float, an occurrence above 256 and two slots
        took 72 more.  A tuple of them when one is out of range or not an int (or float)."""
        if (
            type(seq) is int
            and type(size) is int
            and type(mtime_ns) is int
            and type(occurrence) is int
            and 0 <= seq <= _SEQ_MASK
            and 0 <= size <= _SIZE_MASK
            and 0 <= occurrence <= _OCC_MASK
        ):
            if duration_ms is None:
                dur = 0
            elif type(duration_ms) is float:
                dur = int.from_bytes(_pack_f64(duration_ms), "little") | _HAS_DUR
            else:
                self._stat = (seq, size, mtime_ns, occurrence, duration_ms)
                return
            self._stat = (
                (((((mtime_ns << _DUR_BITS) | dur) << _SIZE_BITS) | size) << _OCC_BITS) | occurrence
            ) << _SEQ_BITS | seq
        else:
            self._stat = (seq, size, mtime_ns, occurrence, duration_ms)

    def _set_flags(self, status: str, format: int, deleted: bool, problem: str | None) -> None:
        """``status`` (its index in ``_STATUS_CODES``), ``format`` 0 or 1 and ``deleted`` in one
        small int; anything else (a problem, another status or format) as a tuple."""
        code = _STATUS_CODES.get(status) if problem is None else None
        ok_format = type(format) is int and (format == 0 or format == 1)
        if code is not None and ok_format and type(deleted) is bool:
            self._flags = (code << 2) | (format << 1) | deleted
        else:
            self._flags = (status, format, deleted, problem)

    # -- derived attributes -----------------------------------------------------------------

    @property
    def name(self) -> str:
        """The file name (``path.name``, without building the path)."""
        name = self._name
        return canonical_name(self.seq, self._tool) if name is None else name

    @property
    def derived_name(self) -> bool:
        """Whether the file name is ``canonical_name(seq, tool)`` (so it is not stored)."""
        return self._name is None

    @property
    def run_dir(self) -> Path:
        """The directory holding the file (``path.parent``; shared by a run's calls)."""
        return self._dir

    @property
    def path(self) -> Path:
        make = getattr(self._dir, "_make_child_relpath", None)  # what iterdir() uses: cheap
        name = self.name
        return make(name) if make is not None else self._dir / name

    @path.setter
    def path(self, value: Path | str) -> None:
        value = value if isinstance(value, Path) else Path(value)
        self._pin()
        self._dir, self._name = value.parent, value.name

    @property
    def run_id(self) -> str:
        return self._run_id

    @run_id.setter
    def run_id(self, value: str) -> None:
        self._pin()
        self._run_id = value

    @property
    def call_id(self) -> str:
        cid = self._cid
        if isinstance(cid, str):
            return cid
        if cid is None:
            return f"{self._run_id}-{self.seq:06d}"
        return f"{self._run_id}-{self.name[:-5]}"  # _STEM_ID

    @call_id.setter
    def call_id(self, value: str) -> None:
        self._cid = value

    @property
    def explicit_call_id(self) -> str | None:
        """The call id when it is stored as such (not derived from run id and seq or name)."""
        cid = self._cid
        return cid if isinstance(cid, str) else None

    @property
    def seq(self) -> int:
        stat = self._stat
        return stat & _SEQ_MASK if type(stat) is int else stat[0]  # type: ignore[index]

    @seq.setter
    def seq(self, value: int) -> None:
        self._pin()
        self._set_stat(value, self.size, self.mtime_ns, self.occurrence, self.duration_ms)

    @property
    def occurrence(self) -> int:
        """The nth call of this tool within its run, from 1; 0 for broken files."""
        stat = self._stat
        if type(stat) is int:
            return (stat >> _OCC_SHIFT) & _OCC_MASK
        return stat[3]  # type: ignore[index]

    @occurrence.setter
    def occurrence(self, value: int) -> None:
        stat = self._stat
        if type(stat) is int and type(value) is int and 0 <= value <= _OCC_MASK:
            self._stat = (stat & _NOT_OCC) | (value << _OCC_SHIFT)  # the index numbers each call
        else:
            self._set_stat(self.seq, self.size, self.mtime_ns, value, self.duration_ms)

    @property
    def duration_ms(self) -> float | None:
        stat = self._stat
        if type(stat) is not int:
            return stat[4]  # type: ignore[index]
        dur = (stat >> _DUR_SHIFT) & _DUR_MASK  # type: ignore[operator]
        if not dur:
            return None
        value: float = _unpack_f64((dur & _F64_MASK).to_bytes(8, "little"))[0]
        return value

    @duration_ms.setter
    def duration_ms(self, value: float | None) -> None:
        self._set_stat(self.seq, self.size, self.mtime_ns, self.occurrence, value)

    @property
    def preview(self) -> str:
        """Short one-line summary of the output or error (unsanitised)."""
        pv = self._pv
        if type(pv) is compact_text.Chunk:
            return compact_text.text(pv, self._pi)
        return pv  # type: ignore[no-any-return]

    @preview.setter
    def preview(self, value: str) -> None:
        self._pv, self._pi = compact_text.put(value)

    @property
    def tool(self) -> str:
        return self._tool

    @tool.setter
    def tool(self, value: str) -> None:
        self._pin()
        self._tool = value

    @property
    def ts(self) -> str | None:
        return unpack_ts(self._ts)

    @ts.setter
    def ts(self, value: str | None) -> None:
        self._ts = pack_ts(value)

    @property
    def ts_packed(self) -> int | None:
        """``ts`` as ``compact_ts.pack`` stored it, when it is an int (None otherwise)."""
        packed = self._ts
        return packed if type(packed) is int else None

    @property
    def ended_at(self) -> str | None:
        return unpack_ts(self._end)

    @ended_at.setter
    def ended_at(self, value: str | None) -> None:
        self._end = pack_ts(value)

    @property
    def status(self) -> str:
        """One of ``STATUSES``, or ``BROKEN``."""
        flags = self._flags
        return _STATUS_NAMES[flags >> 2] if type(flags) is int else flags[0]  # type: ignore[index]

    @status.setter
    def status(self, value: str) -> None:
        self._set_flags(value, self.format, self.deleted, self.problem)

    @property
    def format(self) -> int:
        """1, or 0 for the legacy snippet format."""
        flags = self._flags
        return (flags >> 1) & 1 if type(flags) is int else flags[1]  # type: ignore[index]

    @format.setter
    def format(self, value: int) -> None:
        self._set_flags(self.status, value, self.deleted, self.problem)

    @property
    def deleted(self) -> bool:
        """The file disappeared after it was indexed."""
        flags = self._flags
        return bool(flags & 1) if type(flags) is int else flags[2]  # type: ignore[index]

    @deleted.setter
    def deleted(self, value: bool) -> None:
        self._set_flags(self.status, self.format, value, self.problem)

    @property
    def problem(self) -> str | None:
        """The loader's reason when ``status == BROKEN``."""
        flags = self._flags
        return None if type(flags) is int else flags[3]  # type: ignore[index]

    @problem.setter
    def problem(self, value: str | None) -> None:
        self._set_flags(self.status, self.format, self.deleted, value)

    @property
    def size(self) -> int:
        stat = self._stat
        if type(stat) is int:
            return (stat >> _SIZE_SHIFT) & _SIZE_MASK
        return stat[1]  # type: ignore[index]

    @size.setter
    def size(self, value: int) -> None:
        self._set_stat(self.seq, value, self.mtime_ns, self.occurrence, self.duration_ms)

    @property
    def mtime_ns(self) -> int:
        stat = self._stat
        if type(stat) is int:
            return stat >> _MTIME_SHIFT
        return stat[2]  # type: ignore[index]

    @mtime_ns.setter
    def mtime_ns(self, value: int) -> None:
        self._set_stat(self.seq, self.size, value, self.occurrence, self.duration_ms)

    def _pin(self) -> None:
        """Store the name and call id as they read now (before what they derive from changes)."""
        if self._name is None or not isinstance(self._cid, str):
            name, call_id = self.name, self.call_id
            self._name, self._cid = name, call_id

    @property
    def icon(self) -> str:
        return status_icon(self.status)

    @property
    def broken(self) -> bool:
        return self.status == BROKEN

    @property
    def packed_stat(self) -> Any:
        """``seq``, ``size``, ``mtime_ns``, ``occurrence`` and ``duration_ms`` as stored (one
        object, equal while they are)."""
        return self._stat

    def same_file(self, other: Call) -> bool:
        """Whether both summarise the same file (``self.path == other.path``, cheaper)."""
        return (
            self._run_id == other._run_id
            and self.name == other.name
            and (self._dir is other._dir or self._dir == other._dir)
        )

    # -- dataclass-like protocol --------------------------------------------------------------

    _FIELDS = (
        "path",
        "run_id",
        "call_id",
        "seq",
        "tool",
        "status",
        "ts",
        "ended_at",
        "duration_ms",
        "format",
        "problem",
        "occurrence",
        "size",
        "mtime_ns",
        "preview",
        "deleted",
    )

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in Call._FIELDS)

    def replace(self, **changes: Any) -> Call:
        """A copy with ``changes`` (like ``dataclasses.replace``); shares the run directory."""
        unknown = set(changes).difference(Call._FIELDS)
        if unknown:
            raise TypeError(f"Call has no field(s) {', '.join(sorted(unknown))}")
        new = Call.__new__(Call)
        for slot in Call.__slots__:
            setattr(new, slot, getattr(self, slot))
        for key, value in changes.items():
            setattr(new, key, value)
        return new

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in Call._FIELDS)
        return f"Call({fields})"


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
