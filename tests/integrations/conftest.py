"""Shared fixtures for the integration tests: the fault server, a fixture root, extras.

``agent_root`` and ``mcp_root`` are the end-to-end scenario's roots (``e2e_roots``), built
once per session and shared by the CLI and TUI end-to-end tests: treat them as read-only.

``require_extra(name)`` imports an optional framework.  Locally a missing framework skips the
test module; when ``FORENSICS_REQUIRE_EXTRAS`` is set (CI installs every extra) it fails
instead, so the integration tests can never silently skip there.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .faultserver import FaultServer


def require_extra(module: str) -> ModuleType:
    """Import ``module``; skip when missing, unless FORENSICS_REQUIRE_EXTRAS demands it."""
    if os.environ.get("FORENSICS_REQUIRE_EXTRAS"):
        try:
            return importlib.import_module(module)
        except ImportError as exc:  # a missing extra in CI is a failure, never a skip
            pytest.fail(
                f"{module} is required (FORENSICS_REQUIRE_EXTRAS is set): {exc}", pytrace=False
            )
    return pytest.importorskip(module)


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """``condition()``'s first truthy value, polled until ``timeout`` seconds (then falsy)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.005)


def read_fixtures(root: Path, run_id: str | None = None) -> list[dict[str, Any]]:
    """Every fixture under ``root`` (or one run), ordered by run then seq."""
    found: list[dict[str, Any]] = []
    runs = [root / run_id] if run_id else sorted(p for p in root.iterdir() if p.is_dir())
    for run in runs:
        for path in sorted(run.glob("[0-9]*.json")):
            found.append(json.loads(path.read_text("utf-8")))
    found.sort(key=lambda f: (f["run_id"], f["seq"]))
    return found


@pytest.fixture(autouse=True)
def _default_root_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Whatever lands in the default recorder goes to the test's tmp dir, never the user's."""
    from forensics_tui.capture import set_recorder

    monkeypatch.setenv("FORENSICS_FIXTURE_DIR", str(tmp_path / "default-root"))
    set_recorder(None)
    yield
    set_recorder(None)


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@pytest.fixture
def fixture_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh fixture root, also exported as FORENSICS_FIXTURE_DIR; the process-wide
    recorder is reset so ``get_recorder()`` picks the environment up again."""
    from forensics_tui.capture import set_recorder

    root = tmp_path / "fixtures"
    monkeypatch.setenv("FORENSICS_FIXTURE_DIR", str(root))
    monkeypatch.delenv("FORENSICS_RUN_ID", raising=False)
    monkeypatch.delenv("RUN_ID", raising=False)
    set_recorder(None)
    yield root
    set_recorder(None)


@pytest.fixture(scope="session")
def agent_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario recorded around a pydantic-ai agent (read-only: shared by modules)."""
    from .e2e_roots import build_agent_root

    return build_agent_root(tmp_path_factory.mktemp("e2e-agent") / "fixtures")


@pytest.fixture(scope="session")
def mcp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario recorded by the MCP proxy (read-only: shared by modules)."""
    from .e2e_roots import build_mcp_root

    return build_mcp_root(tmp_path_factory.mktemp("e2e-mcp") / "fixtures")
