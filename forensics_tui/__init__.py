"""forensics-tui: replay fixtures at every agent tool boundary, and a forensic explorer for them.

The capture API is importable from here lazily (``from forensics_tui import tool_checkpoint``)
so that ``import forensics_tui`` stays as cheap as ``import forensics_tui.capture``.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_CAPTURE_NAMES = frozenset(
    {
        "Recorder",
        "checkpoint",
        "checkpointed",
        "get_recorder",
        "replay",
        "set_recorder",
        "tool_checkpoint",
    }
)


def __getattr__(name: str) -> Any:
    if name in _CAPTURE_NAMES:
        from forensics_tui import capture

        return getattr(capture, name)
    raise AttributeError(f"module 'forensics_tui' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_CAPTURE_NAMES])
