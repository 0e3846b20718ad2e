"""Importing capture is cheap: agents import it at startup, often in short-lived processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["textual", "rich", "deepdiff", "watchfiles", "forensics_tui.core", "click", "httpx"]
# Not forbidden, but loaded on first use only, to keep agent start-up fast.
LAZY = ["orjson", "inspect", "traceback", "hashlib", "uuid", "decimal", "dataclasses"]


def _loaded_after(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, check=True)
    return set(json.loads(out.stdout.decode().splitlines()[-1]))


def test_import_loads_no_heavy_module() -> None:
    loaded = _loaded_after("import forensics_tui.capture")
    assert "forensics_tui.capture" in loaded
    assert [m for m in HEAVY if m in loaded] == []
    baseline = _loaded_after("pass")  # what the interpreter (site, .pth files) loads anyway
    assert [m for m in LAZY if m in loaded and m not in baseline] == []


def test_recording_loads_no_heavy_module_either(tmp_path: Path) -> None:
    code = (
        "from forensics_tui.capture import Recorder, checkpoint\n"
        f"rec = Recorder({str(tmp_path)!r}, 'r')\n"
        "rec.record('t', {'a': 1}, {'b': 2})\n"
        "checkpoint('u', recorder=rec)(lambda x: x)(1)\n"
    )
    loaded = _loaded_after(code)
    assert [m for m in HEAVY if m in loaded] == []
    assert len(list((tmp_path / "r").glob("0*.json"))) == 2
