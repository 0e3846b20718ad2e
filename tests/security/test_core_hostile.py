"""Core behaviours a hostile or garbled fixture root can subvert (documented as strict xfails
until fixed in files this sweep does not own)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from forensics_tui.cli.main import cli


def _write(root: Path, run: str, name: str, obj: dict[str, Any]) -> Path:
    (root / run).mkdir(parents=True, exist_ok=True)
    path = root / run / name
    path.write_text(json.dumps(obj))
    return path


def _v1(run: str, status: str, ts: str) -> dict[str, Any]:
    error = {"type": "E", "message": "boom", "traceback": ""} if status == "error" else None
    return {
        "format": 1,
        "run_id": run,
        "call_id": f"{run}-1",
        "seq": 1,
        "tool": "t",
        "status": status,
        "input": {},
        "output": {},
        "error": error,
        "ts": ts,
    }


def test_unparseable_times_cannot_hijack_the_newest_run(tmp_path: Path) -> None:
    legacy = {"run_id": "poisoned", "tool": "t", "input": {}, "output": {}, "status": "ok"}
    _write(tmp_path, "poisoned", "t_000.json", {**legacy, "ts": "not a time\r"})
    os.utime(tmp_path / "poisoned", (1_000_000_000, 1_000_000_000))  # written long ago
    _write(tmp_path, "20260401_000000", "000001_t.json", _v1("a", "ok", "2026-04-01T00:00:00Z"))
    _write(tmp_path, "20260402_000000", "000001_t.json", _v1("b", "error", "2026-04-02T00:00:00Z"))
    result = CliRunner().invoke(cli, ["check", "--dir", str(tmp_path), "--json"])
    assert json.loads(result.stdout)["runs"][0]["run_id"] == "20260402_000000"
    assert result.exit_code == 1


def test_legacy_finding_call_ids_match_listed_calls(tmp_path: Path) -> None:
    legacy = {"run_id": "other\x1b[2J", "tool": "t", "input": {}, "output": {}, "status": "error"}
    _write(tmp_path, "legacy_dir", "t_000.json", {**legacy, "ts": "2026-04-01T00:00:00"})
    check = CliRunner().invoke(cli, ["check", "--dir", str(tmp_path), "--json"])
    tail = CliRunner().invoke(cli, ["tail", "--once", "--json", "--dir", str(tmp_path)])
    listed = {json.loads(line)["call_id"] for line in tail.stdout.splitlines()}
    finding_ids = {f["call_id"] for f in json.loads(check.stdout)["runs"][0]["findings"]}
    assert finding_ids and finding_ids <= listed
