"""pytest plugin (entry point ``pytest11``): turns fixtures into regression tests.

Imports only the capture and core layers, never Textual.
"""

from __future__ import annotations

from typing import Any


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
        import os

        os.environ["FORENSICS_FIXTURE_DIR"] = str(value)
