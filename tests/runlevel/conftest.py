"""Generated run histories with known answers, written as real run directories."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.storage.factories import make_run_dir
from forensics_tui.core.storage.store import FixtureStore


def open_analysis(root: Path) -> Analysis:
    store = FixtureStore(root)
    store.scan()
    return Analysis(store)


def ok(tool: str, inp: Any = None, out: Any = None, **kw: Any) -> dict[str, Any]:
    return {"tool": tool, "status": "ok", "input": inp, "output": out or {"ok": True}, **kw}


def failed(tool: str, inp: Any = None, message: str = "503 Service Unavailable") -> dict[str, Any]:
    return {
        "tool": tool,
        "status": "error",
        "input": inp,
        "output": None,
        "error": {"type": "HTTPStatusError", "message": message, "traceback": ""},
    }


def run(
    root: Path,
    run_id: str,
    calls: list[Mapping[str, Any]],
    *,
    labels: dict[str, Any] | None = None,
    status: str | None = None,
    manifest: dict[str, Any] | None = None,
) -> Path:
    if status is None:
        status = "failed" if any(c.get("status") != "ok" for c in calls) else "ok"
    extra = dict(manifest or {})
    if labels is not None:
        extra["labels"] = labels
    return make_run_dir(root, run_id, calls, status=status, task="sync", manifest=extra)
