"""The tolerant fixture loader: any file either loads (format 1 or legacy) or explains why not.

Two entry points with different costs:

* :func:`read_call` builds the cheap :class:`~forensics_tui.core.model.Call` summary used for
  listing.  It decodes only the summary fields (a msgspec ``Struct``; ``input`` is skipped and
  ``output``/``error`` stay raw bytes for the preview) and reads at most :data:`LIST_CAP` bytes:
  a bigger file is listed from its first :data:`HEAD_BYTES`.
* :func:`load_fixture` returns the full :class:`~forensics_tui.core.model.Fixture` (payloads
  included, legacy migrated through :mod:`~forensics_tui.core.storage.migrate`) or a
  :class:`LoadProblem`.

Neither raises.  A file that cannot be used becomes a ``Call`` with ``status == BROKEN`` and a
short reason in ``problem`` (see :mod:`~forensics_tui.core.storage.json_problems` and
:mod:`~forensics_tui.core.storage.safe_read` for the wording).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from forensics_tui.capture.format import ORIGINAL_STATUS_KEY, known_call_status
from forensics_tui.core.model import BROKEN, STATUSES, Call, Fixture
from forensics_tui.core.storage.json_problems import MAX_DEPTH, diagnose, too_deep
from forensics_tui.core.storage.migrate import CURRENT_FORMAT, LEGACY_FORMAT, migrate, utc_iso
from forensics_tui.core.storage.preview import preview_from_raw, preview_from_values
from forensics_tui.core.storage.safe_read import (
    RawFile,
    ReadRefused,
    format_mb,
    read_file_bytes,
    read_settled,
)

__all__ = [
    "HEAD_BYTES",
    "LIST_CAP",
    "LOAD_CAP",
    "MANIFEST_CAP",
    "LoadProblem",
    "load_fixture",
    "load_fixture_version",
    "read_call",
    "read_call_if_exists",
    "read_call_in",
    "read_manifest",
]

LIST_CAP = 8 * 1024 * 1024
"""Files bigger than this are listed from their head only."""
LOAD_CAP = 64 * 1024 * 1024
"""Files bigger than this are never loaded in full."""
HEAD_BYTES = 64 * 1024
MANIFEST_CAP = 1024 * 1024

_V1_NAME = re.compile(r"^(\d+)_(.+)\.json$", re.DOTALL)
_LEGACY_NAME = re.compile(r"^(.+)_(\d+)\.json$", re.DOTALL)
_REQUIRED = ("run_id", "tool", "status")
_VALID_STATUS = frozenset(STATUSES)
_NULL = msgspec.Raw(b"null")


@dataclass(slots=True)
class LoadProblem:
    """Why a fixture (or manifest) could not be loaded."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class _Summary(msgspec.Struct):
    """Only the fields a list row needs; everything else in the file is skipped, not decoded."""

    format: int | None = None
    run_id: str | None = None
    call_id: str | None = None
    seq: int | None = None
    tool: str | None = None
    status: str | None = None
    ts: str | None = None
    ended_at: str | None = None
    duration_ms: float | None = None
    output: msgspec.Raw = _NULL
    error: msgspec.Raw = _NULL


_decode_summary = msgspec.json.Decoder(_Summary).decode
_decode_any = msgspec.json.decode


def name_parts(name: str) -> tuple[int, str]:
    """``(seq, tool)`` guessed from a file name (``000003_tool.json`` or legacy ``tool_003``)."""
    match = _V1_NAME.match(name)
    if match:
        return int(match.group(1)), match.group(2)
    match = _LEGACY_NAME.match(name)
    if match:
        return 0, match.group(1)
    return 0, name[:-5] if name.endswith(".json") else name


def _broken(
    run_dir: Path, name: str, run_id: str, reason: str, size: int = 0, mtime_ns: int = 0
) -> Call:
    seq, tool = name_parts(name)
    stem = name[:-5] if name.endswith(".json") else name
    return Call.in_dir(
        run_dir,
        name,
        run_id=run_id,
        call_id=f"{run_id}-{stem}",
        seq=seq,
        tool=tool,
        status=BROKEN,
        problem=reason,
        size=size,
        mtime_ns=mtime_ns,
    )


def _field_problem(fmt: Any, fields: dict[str, Any]) -> str | None:
    if fmt is not None and (not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 0):
        return f"bad field: format {_short(fmt)} is not a version number"
    if isinstance(fmt, int) and fmt > CURRENT_FORMAT:
        return f"unsupported format {fmt} (newer than this reader)"
    missing = [name for name in _REQUIRED if fields.get(name) in (None, "")]
    if missing:
        return "missing fields: " + ", ".join(missing)
    wrong = [name for name in _REQUIRED if not isinstance(fields[name], str)]
    if wrong:
        return "bad fields (expected strings): " + ", ".join(wrong)
    if known_call_status(fields["status"]) is None:
        return f"unknown status {_short(fields['status'])}"
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _summary_from_dict(obj: dict[str, Any]) -> _Summary:
    """Tolerant slow path for files whose summary fields have unexpected types."""

    def text(key: str) -> Any:
        value = obj.get(key)
        return value if isinstance(value, str) or key in _REQUIRED else None

    def number(key: str, kind: type | tuple[type, ...]) -> Any:
        value = obj.get(key)
        ok = isinstance(value, kind) and not isinstance(value, bool)
        return value if ok else None

    fmt = obj.get("format")
    summary = _Summary(
        format=None,
        run_id=text("run_id"),
        call_id=text("call_id"),
        seq=number("seq", int),
        tool=text("tool"),
        status=text("status"),
        ts=text("ts"),
        ended_at=text("ended_at"),
        duration_ms=float(d) if (d := number("duration_ms", (int, float))) is not None else None,
    )
    summary.format = fmt  # may be of any type; _field_problem explains it
    return summary


def _call_from_summary(
    s: _Summary, run_dir: Path, name: str, run_id: str, raw: RawFile, preview: str | None
) -> Call:
    if isinstance(s.status, str) and s.status not in _VALID_STATUS:
        s.status = known_call_status(s.status) or s.status  # "success" written by other tools
    fast_ok = (
        isinstance(s.status, str)
        and s.status in _VALID_STATUS
        and (s.format is None or s.format == 1)
        and isinstance(s.run_id, str)
        and isinstance(s.tool, str)
        and s.run_id
        and s.tool
    )
    if not fast_ok:
        fields = {"run_id": s.run_id, "tool": s.tool, "status": s.status}
        problem = _field_problem(s.format, fields) or "invalid fixture"
        return _broken(run_dir, name, run_id, problem, raw.size, raw.mtime_ns)
    legacy = s.format is None
    seq = s.seq if s.seq is not None and s.seq > 0 else (0 if legacy else name_parts(name)[0])
    if preview is None:
        preview = preview_from_raw(s.output, s.error)
    return Call.in_dir(
        run_dir,
        name,
        run_id=run_id,
        call_id=s.call_id or f"{run_id}-{name[:-5] if name.endswith('.json') else name}",
        seq=seq,
        tool=sys.intern(s.tool),  # type: ignore[arg-type]
        status=sys.intern(s.status),  # type: ignore[arg-type]
        ts=utc_iso(s.ts) if legacy else s.ts,
        ended_at=s.ended_at,
        duration_ms=s.duration_ms,
        format=LEGACY_FORMAT if legacy else s.format,  # type: ignore[arg-type]
        size=raw.size,
        mtime_ns=raw.mtime_ns,
        preview=preview,
    )


_HEAD_FIELD = re.compile(
    rb'"(format|run_id|call_id|seq|tool|status|ts|ended_at|duration_ms)"\s*:\s*'
    rb'("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|null)'
)


def _call_from_head(run_dir: Path, name: str, run_id: str, raw: RawFile) -> Call:
    """List a huge file from its head: the first occurrence of each summary field."""
    found: dict[str, Any] = {}
    for match in _HEAD_FIELD.finditer(raw.data):
        key = match.group(1).decode()
        if key not in found:
            try:
                found[key] = _decode_any(match.group(2))
            except msgspec.DecodeError:
                continue
    try:
        summary = msgspec.convert(found, _Summary)
    except msgspec.ValidationError:
        summary = _summary_from_dict(found)
    note = f"large fixture ({format_mb(raw.size)}): payload not read for listing"
    call = _call_from_summary(summary, run_dir, name, run_id, raw, note)
    if call.status == BROKEN:
        reason = f"too large to list ({format_mb(raw.size)} > {format_mb(LIST_CAP)} cap)"
        return _broken(run_dir, name, run_id, f"{reason}; its head lacks {call.problem}", raw.size)
    return call


def read_call_if_exists(
    path: Path, *, run_id: str, root: Path | None = None, text: str | None = None
) -> Call | None:
    """Like :func:`read_call`, but ``None`` when the file no longer exists (a deletion).

    ``text`` is ``path`` as a string when the caller already has it: a scan passes it so that
    no ``Path`` is formatted (and its string cached) per file.
    """
    path = Path(path)
    return read_call_in(path.parent, path.name, run_id=run_id, root=root, text=text)


def read_call_in(
    run_dir: Path, name: str, *, run_id: str, root: Path | None = None, text: str | None = None
) -> Call | None:
    """Like :func:`read_call_if_exists` for file ``name`` in ``run_dir``, which the ``Call``
    keeps as given: a scan passes one ``Path`` per run, shared by all the run's calls."""
    try:
        raw = read_settled(
            text or os.path.join(run_dir, name), root=root, cap=LIST_CAP, head=HEAD_BYTES
        )
    except FileNotFoundError:
        return None
    except ReadRefused as refused:
        return _broken(run_dir, name, run_id, refused.reason)
    if not raw.complete:
        return _call_from_head(run_dir, name, run_id, raw)
    data = raw.data
    try:
        summary = _decode_summary(data)
    except msgspec.ValidationError as exc:
        try:
            obj = _decode_any(data)
        except (msgspec.DecodeError, RecursionError):
            obj = None
        if not isinstance(obj, dict) or too_deep(data) is not None:
            return _broken(run_dir, name, run_id, diagnose(data, exc), raw.size, raw.mtime_ns)
        summary = _summary_from_dict(obj)
        preview = preview_from_values(obj.get("output"), obj.get("error"))
        return _call_from_summary(summary, run_dir, name, run_id, raw, preview)
    except (msgspec.DecodeError, RecursionError) as exc:
        return _broken(run_dir, name, run_id, diagnose(data, exc), raw.size, raw.mtime_ns)
    if too_deep(data) is not None:
        return _broken(run_dir, name, run_id, diagnose(data), raw.size, raw.mtime_ns)
    return _call_from_summary(summary, run_dir, name, run_id, raw, None)


def read_call(path: Path, *, run_id: str, root: Path | None = None) -> Call:
    """The summary of one fixture file; never raises (a missing file is a BROKEN call too)."""
    path = Path(path)
    try:
        call = read_call_if_exists(path, run_id=run_id, root=root)
    except Exception as exc:  # last line of defence: listing must never take the app down
        return _broken(path.parent, path.name, run_id, f"unreadable: {type(exc).__name__}: {exc}")
    if call is None:
        return _broken(path.parent, path.name, run_id, "unreadable: file not found")
    return call


def _as_dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _fixture_from_obj(obj: dict[str, Any], path: Path, run_id: str) -> Fixture | LoadProblem:
    fmt = obj.get("format")
    problem = _field_problem(fmt, obj)
    if problem is not None:
        return LoadProblem(path, problem)
    name = path.name
    stem = name[:-5] if name.endswith(".json") else name
    # Legacy call ids are "<run_id>-<file stem>" with the run the file lives in (docs/ARCHITECTURE.md),
    # whatever run_id the file claims, so findings point at calls the store lists.
    source = {**obj, "run_id": run_id} if fmt is None else obj
    full = migrate(source, LEGACY_FORMAT if fmt is None else fmt, stem)
    seq = full.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        seq = name_parts(name)[0] if fmt is not None else 0
    duration = full.get("duration_ms")
    error = full.get("error")
    if error is not None and not isinstance(error, dict):
        error = {"type": None, "message": str(error), "traceback": None}
    redacted = full.get("redacted")
    meta = _as_dict(full.get("meta")) or {}
    status = known_call_status(full["status"]) or full["status"]
    if status != full["status"]:  # a synonym written by another tool: keep the agent's word
        meta = {**meta, ORIGINAL_STATUS_KEY: meta.get(ORIGINAL_STATUS_KEY, full["status"])}
    return Fixture(
        path=path,
        run_id=run_id,
        call_id=str(full["call_id"])
        if isinstance(full.get("call_id"), str)
        else f"{run_id}-{stem}",
        seq=seq,
        tool=full["tool"],
        status=status,
        input=full.get("input"),
        output=full.get("output"),
        error=error,
        ts=full.get("ts") if isinstance(full.get("ts"), str) else None,
        ended_at=full.get("ended_at") if isinstance(full.get("ended_at"), str) else None,
        duration_ms=float(duration)
        if isinstance(duration, int | float) and not isinstance(duration, bool)
        else None,
        replay=_as_dict(full.get("replay")),
        redacted=[r for r in redacted if isinstance(r, str)] if isinstance(redacted, list) else [],
        meta=meta,
        format=LEGACY_FORMAT if fmt is None else fmt,
        raw=obj,
    )


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether decoded JSON nests deeper than ``limit`` (iterative, no copies)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, dict | list))
    return False


def load_fixture(
    path: Path, *, root: Path | None = None, run_id: str | None = None
) -> Fixture | LoadProblem:
    """The full fixture at ``path`` (legacy migrated to format 1), or why it cannot be loaded.

    ``run_id`` defaults to the name of the file's directory.  Legacy fixtures get a provisional
    ``seq`` of 0; :meth:`FixtureStore.load` fills in the one assigned from ``ts`` order.
    """
    return load_fixture_version(path, root=root, run_id=run_id)[0]


def load_fixture_version(
    path: Path, *, root: Path | None = None, run_id: str | None = None
) -> tuple[Fixture | LoadProblem, int, int]:
    """:func:`load_fixture` with the size and ``mtime_ns`` of the version it read (-1 when
    nothing was read)."""
    path = path if isinstance(path, Path) else Path(path)
    run_id = run_id or path.parent.name
    try:
        raw = read_settled(path, root=root, cap=LOAD_CAP)
    except FileNotFoundError:
        return LoadProblem(path, "unreadable: file not found"), -1, -1
    except ReadRefused as refused:
        return LoadProblem(path, refused.reason), -1, -1
    except Exception as exc:
        return LoadProblem(path, f"unreadable: {type(exc).__name__}: {exc}"), -1, -1
    return _fixture_from_raw(raw.data, path, run_id), raw.size, raw.mtime_ns


def _fixture_from_raw(data: bytes, path: Path, run_id: str) -> Fixture | LoadProblem:
    big = len(data) > LIST_CAP
    if not big and too_deep(data) is not None:
        return LoadProblem(path, diagnose(data))
    try:
        obj = _decode_any(data)
    except (msgspec.DecodeError, RecursionError) as exc:
        return LoadProblem(path, diagnose(data, exc))
    # a big file's depth is measured on the decoded object: a byte-level scan of tens of MB
    # costs several times the document in memory
    if not isinstance(obj, dict) or (big and _deeper_than(obj, MAX_DEPTH)):
        return LoadProblem(path, diagnose(data))
    try:
        return _fixture_from_obj(obj, path, run_id)
    except Exception as exc:  # a fixture must never take the caller down
        return LoadProblem(path, f"invalid fixture: {type(exc).__name__}: {exc}")


def read_manifest(run_dir: Path) -> tuple[dict[str, Any] | None, str | None]:
    """``(manifest, problem)`` for ``run_dir/run.json``; ``(None, None)`` when there is none."""
    path = os.path.join(run_dir, "run.json")
    try:
        raw = read_file_bytes(path, root=Path(run_dir).parent, cap=MANIFEST_CAP)
    except FileNotFoundError:
        return None, None
    except ReadRefused as refused:
        return None, refused.reason
    except Exception as exc:
        return None, f"unreadable: {type(exc).__name__}: {exc}"
    try:
        obj = _decode_any(raw.data)
    except (msgspec.DecodeError, RecursionError) as exc:
        return None, diagnose(raw.data, exc)
    if not isinstance(obj, dict):
        return None, diagnose(raw.data)
    return obj, None
