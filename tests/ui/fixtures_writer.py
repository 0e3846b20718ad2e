"""Write format-1 fixtures the way the recorder does (temp file + ``os.replace``) for UI tests."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


def write_manifest(root: Path, run_id: str, *, status: str = "running", **extra: Any) -> Path:
    data = {
        "format": 1,
        "run_id": run_id,
        "started_at": "2026-03-10T12:00:00+00:00",
        "ended_at": None,
        "status": status,
        "agent": "test-agent",
        "task": "ui-test",
        "host": socket.gethostname(),
        "pid": os.getpid(),
        **extra,
    }
    path = root / run_id / "run.json"
    write_json(path, data)
    return path


def write_call(
    root: Path,
    run_id: str,
    seq: int,
    tool: str = "search",
    status: str = "ok",
    *,
    output: Any = None,
    error: Any = None,
    minute: int = 0,
    replay: Any = None,
) -> Path:
    second = seq % 60
    data = {
        "format": 1,
        "run_id": run_id,
        "call_id": f"{run_id}-{seq:06d}",
        "seq": seq,
        "tool": tool,
        "status": status,
        "input": {"q": f"query {seq}"},
        "output": output if output is not None else ({"hits": seq} if status == "ok" else None),
        "error": error,
        "ts": f"2026-03-10T12:{minute + seq // 60:02d}:{second:02d}+00:00",
        "ended_at": None
        if status == "pending"
        else f"2026-03-10T12:{minute:02d}:{second:02d}+00:00",
        "duration_ms": None if status == "pending" else 12.5,
        "replay": replay,
        "redacted": [],
        "meta": {},
    }
    path = root / run_id / f"{seq:06d}_{tool}.json"
    write_json(path, data)
    return path
