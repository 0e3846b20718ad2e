"""``replay()``: print a run's tool-call chain, like the legacy snippet did, for both formats.

It reads format-1 fixtures (``NNNNNN_<tool>.json``, ordered by ``seq``) and legacy ones
(``<tool>_NNN.json``, ordered by ``ts``) with a small tolerant reader of its own, because the
capture layer must not import the core.  Every string it prints is untrusted and goes through
``safe_text`` first, so escape sequences and bidi overrides show up escaped.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from forensics_tui.capture.format import STATUS_ICONS
from forensics_tui.capture.paths import resolve_root
from forensics_tui.capture.safe_io import ReadRefused, inside_root, read_file_bytes
from forensics_tui.capture.sanitize import safe_text

__all__ = ["read_run", "replay"]

MAX_FILE_BYTES = 20_000_000
_ICONS = STATUS_ICONS


def _read(path: str) -> tuple[dict[str, Any] | None, str | None]:
    """One fixture as a dict, or the reason it cannot be one.  Never raises."""
    try:
        raw = read_file_bytes(path, cap=MAX_FILE_BYTES).data
    except ReadRefused as exc:
        return None, exc.reason
    except OSError as exc:
        return None, f"cannot open ({exc.strerror})"
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except RecursionError:
        return None, "too deeply nested"
    except ValueError:
        return None, "empty file" if not raw.strip() else "not valid JSON (truncated?)"
    if not isinstance(obj, dict):
        return None, "not a JSON object"
    if not isinstance(obj.get("tool"), str):
        return None, "missing field 'tool'"
    return obj, None


def read_run(run_dir: Path) -> list[tuple[str, dict[str, Any] | None, str | None]]:
    """``(file name, fixture or None, problem or None)`` for every call file, in call order."""
    rows: list[tuple[tuple, str, dict[str, Any] | None, str | None]] = []
    try:
        entries = list(os.scandir(run_dir))
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        if name.startswith(".") or not name.endswith(".json") or name == "run.json":
            continue
        obj, problem = _read(entry.path)
        if obj is None:
            key: tuple = (2, "", name)
        elif obj.get("format") == 1 and isinstance(obj.get("seq"), int):
            key = (0, f"{obj['seq']:012d}", name)
        else:  # legacy: ordered by ts
            key = (1, str(obj.get("ts") or ""), name)
        rows.append((key, name, obj, problem))
    rows.sort(key=lambda row: row[0])
    return [(name, obj, problem) for _, name, obj, problem in rows]


def _json(value: Any) -> str:
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return safe_text(text, keep_newlines=True)


def _emit(out: TextIO, text: str) -> None:
    try:
        print(text, file=out)
    except UnicodeEncodeError:
        enc = getattr(out, "encoding", None) or "ascii"
        print(text.encode(enc, "backslashreplace").decode(enc, "replace"), file=out)


def replay(
    run_id: str,
    tool_name: str | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    file: TextIO | None = None,
) -> None:
    """Print the tool-call chain of ``run_id`` (only ``tool_name``'s calls if given)."""
    out = file if file is not None else sys.stdout
    base = resolve_root(root)
    run = str(run_id)
    if not run or run in (".", "..") or "/" in run or os.sep in run or "\x00" in run:
        _emit(out, f"[replay] not a run id: {safe_text(run)}")
        return
    if not inside_root(base / run, base):  # a symlinked run leading out of the root
        _emit(out, f"[replay] refused: run {safe_text(run)} is a symlink outside the root")
        return
    rows = read_run(base / run)
    if tool_name is not None:
        rows = [r for r in rows if r[1] is None or r[1].get("tool") == tool_name]
    shown = [r for r in rows if r[1] is not None]
    if not shown:
        what = f" of tool {safe_text(tool_name)}" if tool_name is not None else ""
        _emit(out, f"[replay] no calls{what} in run {safe_text(run)} under {safe_text(base)}")
    for name, fixture, problem in rows:
        if fixture is None:
            _emit(out, f"[replay] ! {safe_text(name)}: {problem}")
            continue
        status = str(fixture.get("status"))
        icon = _ICONS.get(status, "?")
        _emit(out, f"[replay] {icon} {safe_text(fixture['tool'])} ({safe_text(status)})")
        _emit(out, _json(fixture.get("input")))
        _emit(out, "→ output:")
        _emit(out, _json(fixture.get("output")))
        error = fixture.get("error")
        if error:
            shown_error = (
                {k: error.get(k) for k in ("type", "message") if k in error}
                if isinstance(error, dict)
                else error
            )
            _emit(out, "→ error:")
            _emit(out, _json(shown_error))
