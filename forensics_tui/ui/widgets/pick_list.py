"""A short keyboard list of pre-rendered items: patterns, findings, runs to diff against.

Items arrive already rendered (plain ``Text`` built from sanitised strings, in a worker), so the
list only paints the visible lines, like the calls pane; a screen shows the highlighted item's
full text beside it, so nothing is lost to the ellipsis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text

from forensics_tui.ui.widgets.line_list import LineList

__all__ = ["PickItem", "PickList"]


@dataclass(frozen=True, slots=True)
class PickItem:
    """One entry: its list lines, the full text shown when highlighted, and what Enter returns."""

    lines: tuple[Text, ...]
    detail: Text | None = None
    value: Any = None


class PickList(LineList):
    """A cursor over ``PickItem`` entries of ``lines_per_item`` lines each."""

    def __init__(self, *, lines_per_item: int = 2, id: str | None = None) -> None:
        super().__init__(id=id)
        self.LINES_PER_ITEM = lines_per_item  # type: ignore[misc]
        self.items: list[PickItem] = []

    @property
    def current(self) -> PickItem | None:
        if 0 <= self.cursor < len(self.items):
            return self.items[self.cursor]
        return None

    def set_items(self, items: list[PickItem], *, cursor: int = 0) -> None:
        self.items = items
        self.clear_cache()
        self.set_count(len(items), keep_cursor=False)
        self.set_cursor(cursor)

    def item_key(self, index: int) -> object:
        return id(self.items[index])

    def render_item_line(self, index: int, line: int, width: int) -> Text:
        lines = self.items[index].lines
        text = lines[line].copy() if line < len(lines) else Text()
        text.no_wrap = True
        text.overflow = "ellipsis"
        text.truncate(width, overflow="ellipsis", pad=True)
        return text
