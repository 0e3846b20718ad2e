"""pytest plugin (entry point ``pytest11``): turns fixtures into regression tests.

Adds ``--forensics-dir`` (exported as ``$FORENSICS_FIXTURE_DIR`` before collection, so
``forensics_tui.testing.fixture_params()`` in a test module's ``parametrize`` finds it), a
``forensics_root`` fixture, and a report-header line.  Imports only the capture and core
layers, never Textual.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture.paths import resolve_root

_ENV = "FORENSICS_FIXTURE_DIR"


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("forensics", "forensics-tui replay fixtures")
    group.addoption(
        "--forensics-dir",
        action="store",
        default=None,
        help="fixture root for forensics_tui.testing.fixture_params (default: resolved as usual)",
    )


def pytest_configure(config: Any) -> None:
    value = config.getoption("--forensics-dir", default=None)
    if value:
        config._forensics_previous_env = os.environ.get(_ENV)
        os.environ[_ENV] = str(Path(value).expanduser().resolve())


def pytest_unconfigure(config: Any) -> None:
    if not hasattr(config, "_forensics_previous_env"):
        return
    previous = config._forensics_previous_env
    if previous is None:
        os.environ.pop(_ENV, None)
    else:
        os.environ[_ENV] = previous


def pytest_report_header(config: Any) -> str | None:
    if config.getoption("--forensics-dir", default=None):
        return f"forensics-tui fixtures: {resolve_root()}"
    return None


@pytest.fixture
def forensics_root() -> Path:
    """The fixture root the plugin resolved (``--forensics-dir``, env, or XDG default)."""
    return resolve_root()
