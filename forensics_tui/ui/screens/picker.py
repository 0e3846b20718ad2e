"""The shared shape of the list screens (patterns, findings, run picker): load, pick, return.

A subclass says what to load (``load_items``, called in a thread worker: it may read the whole
root) and how to title it; this base shows a loading line, the list, the highlighted item's full
text, and dismisses with the item's value on Enter (None on Esc).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.widgets.line_list import LineList
from forensics_tui.ui.widgets.pick_list import PickItem, PickList

__all__ = ["PickerScreen"]


class PickerScreen(ModalScreen[Any]):
    """Base class: a titled list that loads in a worker; Enter picks, Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="picker-close"),
    ]
    TITLE_TEXT: ClassVar[str] = ""
    LINES: ClassVar[int] = 2
    HINT: ClassVar[str] = "Enter: go  Esc: close"

    def __init__(self) -> None:
        super().__init__()
        self.loaded = False
        """True once the items are in (tests wait on it)."""

    def load_items(self) -> tuple[list[PickItem], Text, int]:
        """Items, an info line, and the initial cursor (runs in a worker thread)."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-body"):
            yield Static(Text("Loading…", style="dim"), id="picker-info")
            yield PickList(lines_per_item=self.LINES, id="picker-list")
            yield Static(Text(""), id="picker-detail")

    def on_mount(self) -> None:
        body = self.query_one("#picker-body")
        body.border_title = self.TITLE_TEXT
        body.border_subtitle = self.HINT
        self.query_one(PickList).focus()
        self._load()

    @work(thread=True, exclusive=True, group="picker-load")
    def _load(self) -> None:
        try:
            items, info, cursor = self.load_items()
        except Exception as exc:  # the analysis failed: say so in place
            message = safe_line(f"cannot load: {type(exc).__name__}: {exc}", 300)
            items, info, cursor = [], Text(message, style="red"), 0
        self.app.call_from_thread(self._loaded, items, info, cursor)

    def _loaded(self, items: list[PickItem], info: Text, cursor: int) -> None:
        if not self.is_attached:
            return
        self.query_one("#picker-info", Static).update(info)
        self.query_one(PickList).set_items(items, cursor=cursor)
        self._show_detail()
        self.loaded = True

    def _show_detail(self) -> None:
        item = self.query_one(PickList).current
        detail = item.detail if item is not None and item.detail is not None else Text("")
        self.query_one("#picker-detail", Static).update(detail)

    @on(LineList.Highlighted, "#picker-list")
    def _highlighted(self, _event: LineList.Highlighted) -> None:
        self._show_detail()

    @on(LineList.Selected, "#picker-list")
    def _selected(self, _event: LineList.Selected) -> None:
        item = self.query_one(PickList).current
        if item is not None:
            self.dismiss(self.result_for(item))

    def result_for(self, item: PickItem) -> Any:
        """What Enter on ``item`` dismisses with (its value, unless a subclass says more)."""
        return item.value

    def action_close(self) -> None:
        self.dismiss(None)
