"""Test factories that ship with the package (like mitmproxy's ``tflow()``).

``make_fixture`` builds a :class:`~forensics_tui.core.model.Fixture` in memory with sensible
defaults; ``make_run_dir`` writes a real run directory (``run.json`` plus one format-1 file per
call) so tests exercise the real loader and store instead of mocks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from forensics_tui.core.model import Fixture

__all__ = ["make_fixture", "make_run_dir", "write_fixture"]

_STAMP = re.compile(r"^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})")


def make_fixture(
    tool: str = "lookup",
    *,
    run_id: str = "20260101_000000",
    seq: int = 1,
    status: str = "ok",
    input: Any = None,
    output: Any = None,
    error: dict[str, Any] | None = None,
    call_id: str | None = None,
    ts: str | None = None,
    **extra: Any,
) -> Fixture:
    """A fixture with defaults for everything not given (``extra`` sets other fields)."""
    fixture = Fixture(
        path=Path(run_id) / f"{seq:06d}_{tool}.json",
        run_id=run_id,
        call_id=call_id or f"{run_id}-{seq:06d}",
        seq=seq,
        tool=tool,
        status=status,
        input={"q": 1} if input is None else input,
        output=output,
        error=error,
        ts=ts or f"2026-01-01T00:00:{min(seq, 59):02d}+00:00",
        duration_ms=extra.pop("duration_ms", 10.0),
    )
    for key, value in extra.items():
        setattr(fixture, key, value)
    return fixture


def write_fixture(root: Path, fixture: Fixture) -> Path:
    """Write ``fixture`` as ``<root>/<run_id>/<seq:06d>_<tool>.json`` and return the path."""
    run_dir = Path(root) / fixture.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / f"{fixture.seq:06d}_{fixture.tool}.json"
    data = fixture.to_dict()
    if data["ended_at"] is None and fixture.status != "pending":
        data["ended_at"] = data["ts"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    fixture.path = path
    return path


def make_run_dir(
    root: Path,
    run_id: str,
    calls: Iterable[Mapping[str, Any] | Fixture],
    *,
    status: str | None = "ok",
    task: str | None = "task",
    started_at: str | None = None,
    manifest: Mapping[str, Any] | None = None,
) -> Path:
    """Write a run directory: a manifest (unless ``status`` is None) and one file per call.

    Each call is a ``Fixture`` or a mapping of ``make_fixture`` arguments (``seq`` defaults to
    its position).  ``started_at`` defaults to a time derived from ``run_id`` order.
    """
    run_dir = Path(root) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    stamp = _STAMP.match(run_id)
    if started_at is None and stamp:
        y, mo, d, h, mi, s = stamp.groups()
        started_at = f"{y}-{mo}-{d}T{h}:{mi}:{s}+00:00"
    if status is not None:
        data: dict[str, Any] = {
            "format": 1,
            "run_id": run_id,
            "started_at": started_at,
            "ended_at": None if status == "running" else started_at,
            "status": status,
            "agent": "test-agent",
            "task": task,
        }
        data.update(manifest or {})
        (run_dir / "run.json").write_text(json.dumps(data), encoding="utf-8")
    for position, call in enumerate(calls, start=1):
        if isinstance(call, Fixture):
            fixture = call
            fixture.run_id = run_id
        else:
            args = dict(call)
            args.setdefault("seq", position)
            fixture = make_fixture(run_id=run_id, **args)
        write_fixture(root, fixture)
    return run_dir
