"""Helpers for the TUI tests: a frozen clock, an app over a copied corpus, polling waits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core.config import Config
from forensics_tui.ui.app import ForensicsApp
from forensics_tui.ui.clock import fixed_clock

FROZEN = datetime(2026, 3, 10, 12, 5, 0, tzinfo=UTC)


def make_app(root: Path, **kwargs: Any) -> ForensicsApp:
    """An app with a frozen clock and a fixed root label (no tmp_path randomness on screen)."""
    kwargs.setdefault("now", fixed_clock(FROZEN))
    kwargs.setdefault("config", Config(timezone="UTC"))  # the same screens on every machine
    kwargs.setdefault("root_label", root.name)
    return ForensicsApp(root, **kwargs)


async def wait_for(pilot: Any, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Pause the pilot until ``predicate()`` holds; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached within the timeout")
        await pilot.pause(0.02)


@pytest.fixture
def app_factory() -> Callable[..., ForensicsApp]:
    return make_app


def plain_text(view: Any) -> str:
    """What a ``PayloadView`` shows, as plain text (its message, or its lines)."""
    if view.message is not None:
        return view.message
    return "\n".join(text.plain for text, _ in view.lines)


async def rows_ready(pilot: Any, app: Any) -> None:
    """Wait until the first scan is complete and the main screen lists at least one call (a
    progressive scan shows the newest run first, before the others are even listed)."""
    await wait_for(pilot, lambda: len(app.screen.rows) > 0 and app.screen.state.scan_complete)
