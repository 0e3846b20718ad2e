"""The heavy frameworks stay optional: importing forensics-tui (and the stdlib-only integration
modules) in a fresh interpreter loads none of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FRAMEWORKS = (
    "pydantic_ai",
    "langchain",
    "langchain_core",
    "agents",
    "opentelemetry",
    "mcp",
    "httpx2",
    "requests",
)


@pytest.mark.parametrize(
    "modules",
    [
        ["forensics_tui", "forensics_tui.capture", "forensics_tui.integrations"],
        ["forensics_tui.integrations.http"],
        ["forensics_tui.integrations.mcp_proxy", "forensics_tui.integrations.mcp_reexec"],
        ["forensics_tui.integrations.otlp_json", "forensics_tui.cli.main"],
        ["forensics_tui.cli.mcp_proxy", "forensics_tui.cli.import_otlp"],
    ],
)
def test_no_framework_is_imported(modules: list[str]) -> None:
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(json.dumps(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_require_extra_skips_locally_and_fails_when_extras_are_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from .conftest import require_extra

    monkeypatch.delenv("FORENSICS_REQUIRE_EXTRAS", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_extra("forensics_tui_no_such_framework")
    monkeypatch.setenv("FORENSICS_REQUIRE_EXTRAS", "1")
    with pytest.raises(pytest.fail.Exception, match="FORENSICS_REQUIRE_EXTRAS"):
        require_extra("forensics_tui_no_such_framework")
    assert require_extra("json").dumps([]) == "[]"
