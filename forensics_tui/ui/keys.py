"""Every key binding of the app in one list, for the help screen and the command palette.

Bindings are declared where they act (``BINDINGS`` on the app, screen and widgets, each with an
``id`` so ``[keys]`` in the config can remap it); this module only collects them, with the
section they belong to and the node that runs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from textual.binding import Binding

__all__ = ["KeyInfo", "all_keys", "effective_key", "key_display"]


@dataclass(frozen=True, slots=True)
class KeyInfo:
    section: str
    binding: Binding
    target: str  # "app", "screen", "modal" (a dialog's own key), or a selector in the main screen


def _bindings(cls: type) -> Iterator[Binding]:
    for item in getattr(cls, "BINDINGS", []):
        if isinstance(item, Binding):
            yield item


def all_keys() -> list[KeyInfo]:
    from forensics_tui.ui.app import ForensicsApp
    from forensics_tui.ui.screens.main import MainScreen
    from forensics_tui.ui.screens.picker import PickerScreen
    from forensics_tui.ui.screens.reexec import ReexecScreen
    from forensics_tui.ui.widgets.calls_pane import CallsPane
    from forensics_tui.ui.widgets.detail_pane import DetailPane
    from forensics_tui.ui.widgets.line_list import LineList
    from forensics_tui.ui.widgets.payload_view import PayloadView

    sources: list[tuple[str, type, str]] = [
        ("General", ForensicsApp, "app"),
        ("Views, filters and forensics", MainScreen, "screen"),
        ("Lists (runs, calls, payload)", LineList, "#calls"),
        ("Calls", CallsPane, "#calls"),
        ("Detail pane", DetailPane, "#detail"),
        ("Payload", PayloadView, "focused-payload"),
        ("Re-execute dialog (r)", ReexecScreen, "modal"),
        ("Patterns, findings and run picker (p, e, D)", PickerScreen, "modal"),
    ]
    return [KeyInfo(section, b, target) for section, cls, target in sources for b in _bindings(cls)]


def effective_key(binding: Binding, keymap: dict[str, str]) -> str:
    """The key(s) a binding answers to once the user's ``[keys]`` remapping is applied."""
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key


def key_display(app: object, binding: Binding, keymap: dict[str, str]) -> str:
    """How a person types the binding: ``[`` not ``left_square_bracket``, ``? f1``."""
    keys = [k.strip() for k in effective_key(binding, keymap).split(",") if k.strip()]
    show = app.get_key_display  # type: ignore[attr-defined]
    return " ".join(show(binding.with_key(k)) for k in keys)
