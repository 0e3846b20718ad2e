"""The layering of docs/ARCHITECTURE.md, proved: lower layers never import the heavy upper ones."""

from __future__ import annotations

import json
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import forensics_tui.core

ROOT = Path(__file__).resolve().parents[1]
CAPTURE_FORBIDDEN = ["textual", "rich", "deepdiff", "watchfiles", "forensics_tui.core", "click"]
CORE_FORBIDDEN = ["textual", "rich", "forensics_tui.ui", "forensics_tui.cli"]


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _core_modules() -> list[str]:
    return [
        m.name for m in pkgutil.walk_packages(forensics_tui.core.__path__, "forensics_tui.core.")
    ]


def test_capture_is_dependency_free() -> None:
    loaded = _loaded_after("import forensics_tui.capture")
    heavy = [m for m in CAPTURE_FORBIDDEN if m in loaded]
    assert heavy == []


def test_top_level_package_is_cheap() -> None:
    loaded = _loaded_after("import forensics_tui; forensics_tui.tool_checkpoint")
    assert [m for m in CAPTURE_FORBIDDEN if m in loaded] == []


def test_core_has_no_ui() -> None:
    modules = _core_modules()
    assert len(modules) >= 5, modules
    loaded = _loaded_after("\n".join(f"import {m}" for m in modules))
    assert [m for m in CORE_FORBIDDEN if m in loaded] == []


def test_pytest_plugin_has_no_ui() -> None:
    loaded = _loaded_after("import forensics_tui.pytest_plugin, forensics_tui.testing")
    assert [m for m in ("textual", "forensics_tui.ui") if m in loaded] == []


def test_import_contracts_hold() -> None:
    """pyproject's import-linter contracts (capture, core, integrations, plugin, cli, ui)."""
    script = Path(sys.executable).with_name("lint-imports")
    command = str(script) if script.exists() else shutil.which("lint-imports")
    assert command, "import-linter is not installed (it is in the test extra)"
    result = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


def test_ci_runs_the_static_checks_then_the_readme_command() -> None:
    lines = [x for x in (ROOT / ".ci" / "run").read_text().splitlines() if x.strip()]
    readme = (ROOT / "README.md").read_text()
    assert lines[-1] in readme and lines[-1].endswith("python -m pytest -q")
    for check in ("ruff check .", "ruff format --check .", "lint-imports", "mypy forensics_tui/capture forensics_tui/core"):  # fmt: skip
        assert check in lines, check
