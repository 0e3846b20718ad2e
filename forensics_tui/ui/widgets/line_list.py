"""A keyboard-driven list that renders only the visible lines (Textual's line API).

Both panes can hold 100k rows, so there is no widget per row and no per-row layout: a subclass
says how many items there are and how to draw one line of one item, and ``render_line`` asks for
exactly the lines on screen.  Scrolling uses ``scroll_to(..., immediate=True)`` so a cursor move
costs one paint, not two.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["LineList"]


class LineList(ScrollView, can_focus=True):
    """Base class: a cursor over ``item_count`` items of ``LINES_PER_ITEM`` lines each."""

    LINES_PER_ITEM: ClassVar[int] = 1
    HORIZONTAL: ClassVar[bool] = False
    """True: lines keep their full width and the list scrolls sideways (payloads)."""
    COMPONENT_CLASSES: ClassVar[set[str]] = {"line-list--cursor", "line-list--cursor-blurred"}
    DEFAULT_CSS = """
    LineList {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    LineList > .line-list--cursor {
        background: $accent 40%;
        text-style: bold;
    }
    LineList > .line-list--cursor-blurred {
        background: $accent 15%;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="cursor-up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="cursor-down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="page-up"),
        Binding("pagedown,ctrl+f,space", "page_down", "Page down", show=False, id="page-down"),
        Binding("home,g", "first", "First", show=False, id="first"),
        Binding("end,G", "last", "Last", show=False, id="last"),
        Binding("enter", "select", "Open", show=False, id="select"),
    ]

    cursor: reactive[int] = reactive(0, always_update=False, init=False, repaint=False)
    """Index of the highlighted item (a move repaints the two items, not the whole list)."""

    class Highlighted(Message):
        """The cursor moved to ``index`` (posted after every move)."""

        def __init__(self, widget: LineList, index: int) -> None:
            super().__init__()
            self.widget = widget
            self.index = index

        @property
        def control(self) -> LineList:
            return self.widget

    class Selected(Message):
        """Enter was pressed on ``index``."""

        def __init__(self, widget: LineList, index: int) -> None:
            super().__init__()
            self.widget = widget
            self.index = index

        @property
        def control(self) -> LineList:
            return self.widget

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._count = 0
        self.content_width = 0
        self._strips: dict[tuple[object, ...], Strip] = {}
        self._env: tuple[int, Style] | None = None
        """(content width, base style) for this paint: both are costly to compute per line."""

    # -- for subclasses -------------------------------------------------------------------
    @property
    def item_count(self) -> int:
        return self._count

    def render_item_line(self, index: int, line: int, width: int) -> Text:
        """Return line ``line`` (0-based, < LINES_PER_ITEM) of item ``index``."""
        raise NotImplementedError

    def item_key(self, index: int) -> object:
        """A value that changes whenever item ``index`` would render differently.

        Rendered lines are cached under it, so scrolling by one row renders one row.  The
        default (None) disables the cache.
        """
        return None

    def clear_cache(self) -> None:
        self._strips.clear()

    def set_count(self, count: int, *, keep_cursor: bool = True) -> None:
        """Tell the list how many items it has now; repaints what is visible."""
        self._count = count
        self._update_virtual_size()
        if not keep_cursor or self.cursor >= count:
            self.set_cursor(max(0, min(self.cursor, count - 1)), scroll=False)
        self.refresh()

    def refresh_item(self, index: int) -> None:
        """Repaint item ``index`` if it is in view."""
        lpi = self.LINES_PER_ITEM
        top = index * lpi - int(self.scroll_y)
        if -lpi < top < self.size.height:
            self.refresh_lines(index * lpi, lpi)  # ScrollView counts lines in the whole list

    def refresh_from(self, index: int) -> None:
        """Repaint the lines in view from item ``index`` down (an insertion shifts them)."""
        y = int(self.scroll_y)
        start = max(index * self.LINES_PER_ITEM, y)
        end = y + self.size.height
        if start < end:
            self.refresh_lines(start, end - start)

    def visible_range(self) -> range:
        lpi = self.LINES_PER_ITEM
        first = int(self.scroll_y) // lpi
        last = (int(self.scroll_y) + self.size.height + lpi - 1) // lpi
        return range(first, min(self._count, last))

    # -- cursor ---------------------------------------------------------------------------
    def set_cursor(self, index: int, *, scroll: bool = True) -> None:
        index = max(0, min(index, self._count - 1)) if self._count else 0
        old = self.cursor
        self.cursor = index
        if old != index:
            self.refresh_item(old)
            self.refresh_item(index)
        if scroll:
            self.scroll_to_item(index)
        if old != index or not self._count:
            self.post_message(self.Highlighted(self, index))

    def scroll_to_item(self, index: int) -> None:
        lpi = self.LINES_PER_ITEM
        top = index * lpi
        height = max(1, self.size.height)
        y = int(self.scroll_y)
        if top < y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif top + lpi > y + height:
            self.scroll_to(y=top + lpi - height, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.set_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.set_cursor(self.cursor + 1)

    def _page(self) -> int:
        return max(1, self.size.height // self.LINES_PER_ITEM - 1)

    def action_page_up(self) -> None:
        self.set_cursor(self.cursor - self._page())

    def action_page_down(self) -> None:
        self.set_cursor(self.cursor + self._page())

    def action_first(self) -> None:
        self.set_cursor(0)

    def action_last(self) -> None:
        self.set_cursor(self._count - 1)

    def action_select(self) -> None:
        if self._count:
            self.post_message(self.Selected(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        index = (event.y + int(self.scroll_y)) // self.LINES_PER_ITEM
        if 0 <= index < self._count:
            self.set_cursor(index, scroll=False)
            if event.chain >= 2:
                self.action_select()

    def _update_virtual_size(self) -> None:
        width = self.size.width
        if self.HORIZONTAL:
            width = max(width, self.content_width + 2)
        size = Size(width, self._count * self.LINES_PER_ITEM)
        if size == self.virtual_size:
            return
        # The list's own size does not change with its item count, so there is nothing to lay
        # out: update the scroll range and the scrollbar the way Textual does for a resize
        # without layout (Widget._size_updated), instead of a full-screen reflow per landing.
        # A scrollbar that must appear or vanish still asks for a layout (its own reactive).
        scroll_update = getattr(self, "_scroll_update", None)
        if scroll_update is None or not self.is_mounted:
            self.virtual_size = size
            return
        self.set_reactive(LineList.virtual_size, size)
        scroll_update(size)

    def on_resize(self, _event: events.Resize) -> None:
        self._env = None
        self._update_virtual_size()
        self.scroll_to_item(self.cursor)

    def on_focus(self) -> None:
        self.refresh_item(self.cursor)

    def on_blur(self) -> None:
        self.refresh_item(self.cursor)

    # -- painting -------------------------------------------------------------------------
    def refresh(self, *regions: Region, **kwargs: Any) -> Self:
        self._env = None
        return super().refresh(*regions, **kwargs)

    def notify_style_update(self) -> None:
        self._env = None
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        env = self._env
        if env is None:
            env = self._env = (self.scrollable_content_region.width, self.rich_style)
        width, base = env
        line_no = int(self.scroll_y) + y
        index, sub = divmod(line_no, self.LINES_PER_ITEM)
        if index >= self._count or width <= 0:
            return Strip.blank(width, base)
        is_cursor = index == self.cursor
        item_key = self.item_key(index)
        cache_key: tuple[object, ...] | None = None
        if item_key is not None:
            focus = self.has_focus
            cache_key = (item_key, index, sub, width, is_cursor, focus, int(self.scroll_x))
            hit = self._strips.get(cache_key)
            if hit is not None:
                return hit
        strip = self._render_strip(index, sub, width, is_cursor, base)
        if cache_key is not None:
            if len(self._strips) > 4096:
                self._strips.clear()
            self._strips[cache_key] = strip
        return strip

    def _render_strip(self, index: int, sub: int, width: int, is_cursor: bool, base) -> Strip:
        text = Text(no_wrap=True, end="")
        text.append("▌" if is_cursor and sub == 0 else " ", style="bold")
        scroll_x = int(self.scroll_x) if self.HORIZONTAL else 0
        body = self.render_item_line(index, sub, width - 1)
        if scroll_x:
            body = body[scroll_x:]
        text.append_text(body)
        if is_cursor:
            component = "line-list--cursor" if self.has_focus else "line-list--cursor-blurred"
            text.stylize(self.get_component_rich_style(component))
        text.stylize_before(base)
        segments = [s for s in text.render(self.app.console) if s.text != "\n"]
        if not segments:
            return Strip([Segment(" " * width, base)])
        return Strip(segments).crop_extend(0, width, base).simplify()
