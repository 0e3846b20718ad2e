"""One payload (input, output, error, meta or raw) as highlighted JSON lines.

Lines arrive pre-rendered from a worker in chunks (``CHUNK`` lines); the rest stays behind a
"load more" line so a 50 MB output never blocks the UI.  The cursor line's JSON path drives
"copy value" and "copy path" (OSC 52 via ``App.copy_to_clipboard``, which works over SSH); what
is copied is the escaped text the user sees, never raw control characters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message

from forensics_tui.ui.json_lines import JsonPath, copy_text, path_text, resolve
from forensics_tui.ui.widgets.line_list import LineList

__all__ = ["CHUNK", "PayloadView"]

CHUNK = 2000
_MORE_STYLE = "bold yellow"
_NO_PATH: JsonPath = ()


class PayloadView(LineList):
    """A scrollable, searchable view of one JSON value."""

    HORIZONTAL = True
    DEFAULT_CSS = """
    PayloadView { overflow-x: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy_value", "Copy value", show=False, id="copy-value"),
        Binding("Y", "copy_path", "Copy path", show=False, id="copy-path"),
        Binding("L", "load_more", "Load more", show=False, id="load-more"),
        Binding("n", "next_match", "Next match", show=False, id="next-match"),
        Binding("N", "previous_match", "Prev match", show=False, id="previous-match"),
        Binding("left,h", "scroll_left", "Left", show=False, id="scroll-left"),
        Binding("right,l", "scroll_right", "Right", show=False, id="scroll-right"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lines: list[tuple[Text, JsonPath]] = []
        self.value: Any = None
        self.base: JsonPath = ()
        self.rest: Iterator[tuple[Text, JsonPath]] | None = None
        self.message: str | None = "…"
        self.search = ""
        self.matches: list[int] = []
        self._match_set: set[int] = set()

    # -- content --------------------------------------------------------------------------
    def show_message(self, message: str) -> None:
        """Show a one-line placeholder (``(no error)``, ``loading…``) instead of a value."""
        self.lines, self.value, self.rest, self.message = [], None, None, message
        self.content_width = len(message)
        self.matches = []
        self.set_count(1, keep_cursor=False)
        self.scroll_to(0, 0, animate=False, immediate=True)

    def show_lines(
        self,
        value: Any,
        base: JsonPath,
        lines: list[tuple[Text, JsonPath]],
        rest: Iterator[tuple[Text, JsonPath]] | None,
    ) -> None:
        self.value, self.base, self.lines, self.rest, self.message = value, base, lines, rest, None
        self.content_width = max((t.cell_len for t, _ in lines[:CHUNK]), default=0)
        self._rematch()
        self.set_count(self._rows(), keep_cursor=False)
        self.set_cursor(0)
        self.scroll_to(0, 0, animate=False, immediate=True)

    def append_lines(
        self, lines: list[tuple[Text, JsonPath]], rest: Iterator[tuple[Text, JsonPath]] | None
    ) -> None:
        self.lines.extend(lines)
        self.rest = rest
        self.content_width = max(self.content_width, *(t.cell_len for t, _ in lines[:CHUNK]), 0)
        self._rematch()
        self.set_count(self._rows())

    def _rows(self) -> int:
        return len(self.lines) + (1 if self.rest is not None else 0)

    def render_item_line(self, index: int, line: int, width: int) -> Text:
        if self.message is not None:
            return Text(self.message, style="dim italic", end="")
        if index >= len(self.lines):
            return Text(f"… more lines not shown — press L to load {CHUNK} more", style=_MORE_STYLE)
        text = self.lines[index][0]
        if self.search and index in self._match_set:
            text = text.copy()
            text.highlight_words([self.search], style="reverse", case_sensitive=False)
        return text

    # -- search ---------------------------------------------------------------------------
    def set_search(self, needle: str) -> int:
        """Highlight ``needle`` (case-insensitive); returns the number of matching lines."""
        self.search = needle
        self._rematch()
        self.refresh()
        if self.matches:
            self._goto_match(1, include_current=True)
        return len(self.matches)

    def _rematch(self) -> None:
        needle = self.search.lower()
        if not needle:
            self.matches = []
        else:
            self.matches = [i for i, (t, _) in enumerate(self.lines) if needle in t.plain.lower()]
        self._match_set = set(self.matches)

    def _goto_match(self, step: int, *, include_current: bool = False) -> None:
        if not self.matches:
            self.app.bell()
            return
        cur = self.cursor
        if step > 0:
            after = [i for i in self.matches if i > cur or (include_current and i == cur)]
            self.set_cursor(after[0] if after else self.matches[0])
        else:
            before = [i for i in self.matches if i < cur]
            self.set_cursor(before[-1] if before else self.matches[-1])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_match", "previous_match"):
            return bool(self.search)
        if action == "load_more":
            return self.rest is not None
        return True

    def action_next_match(self) -> None:
        self._goto_match(1)

    def action_previous_match(self) -> None:
        self._goto_match(-1)

    # -- copy -----------------------------------------------------------------------------
    def current_path(self) -> JsonPath | None:
        if self.message is not None or self.cursor >= len(self.lines):
            return None
        return self.lines[self.cursor][1]

    def action_copy_value(self) -> None:
        path = self.current_path()
        if path is None:
            self.app.bell()
            return
        text = copy_text(resolve(self.value, path, len(self.base)))
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied value of {path_text(path) or 'the payload'}", markup=False)

    def action_copy_path(self) -> None:
        path = self.current_path()
        if path is None:
            self.app.bell()
            return
        text = path_text(path)
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied path {text}", markup=False)

    def action_load_more(self) -> None:
        if self.rest is not None:
            self.post_message(self.MoreWanted(self))

    def action_scroll_left(self) -> None:
        self.scroll_to(x=max(0, int(self.scroll_x) - 8), animate=False, immediate=True)

    def action_scroll_right(self) -> None:
        self.scroll_to(x=int(self.scroll_x) + 8, animate=False, immediate=True)

    class MoreWanted(Message):
        """The user asked to load the next chunk of lines."""

        def __init__(self, widget: PayloadView) -> None:
            super().__init__()
            self.widget = widget

        @property
        def control(self) -> PayloadView:
            return self.widget
