"""The detail pane: tabs for one call's Input, Output, Error, Meta and Raw payloads.

The fixture is read and its first screenful of lines rendered in a thread worker (exclusive,
so scrolling fast through calls only finishes the last load); the UI thread only swaps ready
lines in.  More tabs (a Diff against the last known-good run) plug in through ``EXTRA_TABS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, TabbedContent, TabPane

from forensics_tui.core.model import Call, Fixture
from forensics_tui.core.sanitize import safe_line, safe_text
from forensics_tui.core.storage.safe_read import ReadRefused, read_file_bytes
from forensics_tui.ui.clock import format_duration
from forensics_tui.ui.json_lines import JsonPath, json_lines
from forensics_tui.ui.rows import status_style
from forensics_tui.ui.widgets.json_tree import JsonTree
from forensics_tui.ui.widgets.payload_view import CHUNK, PayloadView

__all__ = ["TABS", "DetailPane", "Loader"]

TABS: tuple[tuple[str, str], ...] = (
    ("input", "Input"),
    ("output", "Output"),
    ("error", "Error"),
    ("meta", "Meta"),
    ("raw", "Raw"),
    ("diff", "Diff"),
)
Loader = Callable[[Call], Any]  # returns Fixture | LoadProblem
Lines = list[tuple[Text, JsonPath]]
RAW_HEAD = 64 * 1024


def _take(gen: Iterator[tuple[Text, JsonPath]]) -> tuple[Lines, Iterator | None]:
    first = list(islice(gen, CHUNK + 1))
    if len(first) > CHUNK:
        return first[:CHUNK], chain([first[CHUNK]], gen)
    return first, None


def _meta(call: Call, fixture: Fixture | None, root: Path | None) -> dict[str, Any]:
    try:
        shown = str(call.path.relative_to(root)) if root else call.path.name
    except ValueError:
        shown = call.path.name
    meta: dict[str, Any] = {
        "call_id": call.call_id,
        "run_id": call.run_id,
        "seq": call.seq,
        "tool": call.tool,
        "status": call.status,
        "ts": call.ts,
        "ended_at": call.ended_at,
        "duration_ms": call.duration_ms,
        "format": call.format,
        "file": shown,
        "size": call.size,
    }
    if call.deleted:
        meta["deleted"] = True
    if fixture is not None:
        meta["redacted"] = list(fixture.redacted)
        meta["replay"] = fixture.replay
        meta["meta"] = fixture.meta
    return meta


def _raw_text_lines(path: Path, root: Path | None = None) -> Lines:
    try:  # the safe reader: no FIFO hang, no symlink target outside the root
        raw = read_file_bytes(path, root=root, cap=RAW_HEAD, head=RAW_HEAD)
    except ReadRefused as exc:
        return [(Text(safe_line(f"cannot read file: {exc.reason}"), style="red"), ())]
    except OSError as exc:
        return [(Text(safe_line(f"cannot read file: {exc.strerror or exc}"), style="red"), ())]
    data = raw.data
    text = data.decode("utf-8", errors="replace")
    out = [(Text(safe_text(line), end=""), ()) for line in text.split("\n")]
    if not raw.complete:
        out.append((Text(f"… (first {RAW_HEAD // 1024} KiB shown)", style="dim"), ()))
    return out


class DetailHeader(Widget):
    """One line about the shown call; repaints without a relayout (unlike ``Static.update``).

    The full run id is always shown (the panes show a compact name); the file name follows
    when there is room for it.
    """

    DEFAULT_CSS = """
    DetailHeader { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = Text("No call selected", style="dim")
        self.tail: Text | None = None

    def show(self, text: Text, tail: Text | None = None) -> None:
        self.text = text
        self.tail = tail
        self.refresh()

    def render(self) -> Text:
        width = self.size.width
        text = self.text.copy()
        if self.tail is not None and text.cell_len + self.tail.cell_len <= width:
            text.append_text(self.tail)
        text.truncate(max(1, width), overflow="ellipsis")
        return text


class DetailPane(Vertical):
    """Header line, tabbed payload views, and an inline payload search box."""

    ALLOW_MAXIMIZE = True  # a container: without this, z from inside it did nothing

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "toggle_tree", "Tree/JSON", id="toggle-tree"),
        Binding("slash", "search", "Search payload", show=False, id="payload-search"),
    ]

    class Loaded(Message):
        """A fixture's tabs are rendered (posted from the loader thread)."""

        def __init__(self, token: int, call: Call, tabs: dict[str, Any]) -> None:
            super().__init__()
            self.token = token
            self.call = call
            self.tabs = tabs

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.loader: Loader | None = None
        self.extra: Callable[[Call, int, Any], list[Text]] | None = None
        """Lines for the Diff tab (findings and the diff), given the view's width in cells and
        the diff request ``show_call`` was given."""
        self.root_dir: Path | None = None
        self.call: Call | None = None
        self.tree_mode = False
        self._token = 0
        self.loaded_token = 0
        self._values: dict[str, tuple[Any, JsonPath]] = {}
        self._pending: dict[str, Any] = {}
        self._diff_args: tuple[Call, int, int, Any] | None = None
        self._diff_token = 0
        """The token whose Diff tab is computed (it is computed only once the tab is shown)."""

    def compose(self) -> ComposeResult:
        yield DetailHeader(id="detail-header")
        with TabbedContent(id="detail-tabs"):
            for key, title in TABS:
                with TabPane(title, id=f"tab-{key}"):
                    yield PayloadView(id=f"view-{key}", classes="payload")
                    yield JsonTree(id=f"tree-{key}")
        search = Input(placeholder="search in payload (Enter: find, Esc: close)", id="payload-find")
        search.display = False
        yield search

    # -- public ---------------------------------------------------------------------------
    @property
    def settled(self) -> bool:
        """True once the shown call's tabs are rendered (tests and screenshots wait on it)."""
        if self.call is None:
            return True
        diff_done = self.active_tab != "diff" or self._diff_token == self._token
        return self.loaded_token == self._token and diff_done

    @property
    def active_tab(self) -> str:
        active = self.query_one(TabbedContent).active or "tab-input"
        return active.removeprefix("tab-")

    def active_view(self) -> PayloadView:
        return self.query_one(f"#view-{self.active_tab}", PayloadView)

    def active_value(self) -> Any:
        """The active tab's payload as loaded (None when nothing is loaded there)."""
        found = self._values.get(self.active_tab)
        if found is not None:
            return found[0]
        view = self.active_view()
        lines = [text.plain for text, _ in view.lines] if view.lines else []
        return "\n".join(lines) if lines else None

    def show_call(self, call: Call | None, request: Any = None) -> None:
        """Show ``call`` (None clears); the heavy part happens in a worker.

        ``request`` is handed to ``extra`` as is (what to diff against, in which mode).
        """
        self.call = call
        self._token += 1
        header = self.query_one("#detail-header", DetailHeader)
        if call is None:
            header.show(Text("No call selected", style="dim"))
            for key, _ in TABS:
                self.query_one(f"#view-{key}", PayloadView).show_message("")
            return
        header.show(self._header(call), Text(safe_line(f"/{call.path.name}"), style="dim"))
        if self.loader is not None:
            # the cursor gutter and a vertical scrollbar, present or not: long diffs grow one,
            # and a line sized without it would hide its last character under it
            width = self.active_view().size.width - 2
            if width < 20:
                width = self.size.width - 4
            width = max(40, width)
            self._diff_args = (call, self._token, width, request)
            self._diff_token = 0
            self._load(call, self._token, width, request, self.active_tab == "diff")

    def _header(self, call: Call) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(
            f"{call.icon} {call.status}", style=status_style(call.status, self.app.no_color)
        )
        text.append("  ")
        text.append(safe_line(call.tool, 60), style="bold")
        text.append(f"  #{call.seq}" if call.seq else "", style="dim")
        if call.duration_ms is not None:
            text.append(f"  {format_duration(call.duration_ms)}", style="dim")
        text.append("  " + safe_line(call.run_id), style="dim")
        if call.deleted:
            text.append("  (deleted)", style="bold yellow")
        return text

    # -- loading (thread) -----------------------------------------------------------------
    @work(thread=True, exclusive=True, group="detail-load")
    def _load(
        self, call: Call, token: int, width: int = 100, request: Any = None, diff: bool = True
    ) -> None:
        assert self.loader is not None
        try:
            result = self.loader(call)
        except Exception as exc:  # a loader bug must not take the pane down
            result = f"{type(exc).__name__}: {exc}"
        tabs: dict[str, Any] = {}
        if isinstance(result, Fixture):
            values: dict[str, tuple[Any, JsonPath]] = {
                "input": (result.input, ("input",)),
                "output": (result.output, ("output",)),
                "error": (result.error, ("error",)),
                "meta": (_meta(call, result, self.root_dir), ()),
                "raw": (result.raw or result.to_dict(), ()),
            }
            for key, (value, base) in values.items():
                if key == "error" and value is None:
                    tabs[key] = "(no error)"
                    continue
                first, rest = _take(json_lines(value, base))
                tabs[key] = (value, base, first, rest)
        else:
            reason = safe_line(getattr(result, "reason", None) or str(result))
            message = f"unreadable fixture: {reason}"
            tabs["input"] = tabs["output"] = message
            problem = {"problem": reason, "file": call.path.name}
            tabs["error"] = (problem, (), *_take(json_lines(problem)))
            meta = _meta(call, None, self.root_dir)
            tabs["meta"] = (meta, (), *_take(json_lines(meta)))
            tabs["raw"] = (None, (), _raw_text_lines(call.path, self.root_dir), None)
        if diff:
            tabs["diff"] = self._diff_tab(call, width, request)
        self.post_message(self.Loaded(token, call, tabs))

    def _diff_tab(self, call: Call, width: int, request: Any) -> Any:
        """The Diff tab's content (thread): findings and the diff, from the analysis."""
        if self.extra is None:
            return "no analysis available"
        try:
            lines = self.extra(call, width, request)
        except Exception as exc:  # analysis trouble stays inside the tab
            lines = [Text(safe_line(f"diff unavailable: {type(exc).__name__}: {exc}"))]
        return (None, (), [(line, ()) for line in lines], None)

    @work(thread=True, exclusive=True, group="detail-diff")
    def _load_diff(self, call: Call, token: int, width: int, request: Any) -> None:
        """The Diff tab on its own, when it is opened (a live tail never pays for diffs)."""
        tab = self._diff_tab(call, width, request)
        self.post_message(self.Loaded(token, call, {"diff": tab}))

    def on_detail_pane_loaded(self, message: Loaded) -> None:
        if message.token != self._token:
            return
        if "diff" in message.tabs:
            self._diff_token = message.token  # here, not in the worker: a late one cannot lie
        if set(message.tabs) == {"diff"}:  # the Diff tab, computed on its own
            self._pending["diff"] = message.tabs["diff"]
            self._apply_pending(self.active_tab)
            return
        self.loaded_token = message.token
        kept = "diff" not in message.tabs and self._diff_token == message.token
        diff_pending = self._pending.get("diff") if kept else None  # came first, on its own
        self._pending = dict(message.tabs)
        if diff_pending is not None and "diff" not in self._pending:
            self._pending["diff"] = diff_pending
        for key, content in message.tabs.items():
            if isinstance(content, str):
                self._values.pop(key, None)
            else:
                self._values[key] = (content[0], content[1])
        self._apply_pending(self.active_tab)
        find = self.query_one("#payload-find", Input)
        if find.display and find.value:
            self.active_view().set_search(find.value)
        if self.tree_mode:
            self._fill_tree(self.active_tab)

    def _want_diff(self) -> None:
        """The Diff tab is showing: compute it for the shown call unless that is under way."""
        args = self._diff_args
        if self.active_tab != "diff" or args is None or args[1] != self._token:
            return
        if self._diff_token != self._token:
            self.query_one("#view-diff", PayloadView).show_message("computing the diff…")
            self._load_diff(*args)

    def _apply_pending(self, key: str) -> None:
        """Fill one tab's view; hidden tabs are filled when first shown (one relayout each)."""
        content = self._pending.pop(key, None)
        if content is None:
            return
        view = self.query_one(f"#view-{key}", PayloadView)
        if isinstance(content, str):
            view.show_message(content)
        else:
            value, base, first, rest = content
            view.show_lines(value, base, first, rest)

    @on(PayloadView.MoreWanted)
    def _more(self, message: PayloadView.MoreWanted) -> None:
        self._load_more(message.widget, self._token)

    @work(thread=True, exclusive=True, group="detail-more")
    def _load_more(self, view: PayloadView, token: int) -> None:
        rest = view.rest
        if rest is None:
            return
        first, remaining = _take(rest)
        if token == self._token:
            self.app.call_from_thread(view.append_lines, first, remaining)

    # -- actions --------------------------------------------------------------------------
    def action_tab(self, key: str) -> None:
        had_focus = self.has_focus_within
        self.query_one(TabbedContent).active = f"tab-{key}"
        if self.tree_mode:
            self._fill_tree(key)
        if had_focus:
            target = f"#tree-{key}" if self.tree_mode else f"#view-{key}"
            self.query_one(target).focus()

    def action_toggle_tree(self) -> None:
        self.tree_mode = not self.tree_mode
        self.set_class(self.tree_mode, "-tree")
        if self.tree_mode:
            self._fill_tree(self.active_tab)
            self.query_one(f"#tree-{self.active_tab}", JsonTree).focus()
        else:
            self.active_view().focus()

    def _fill_tree(self, key: str) -> None:
        value, base = self._values.get(key, (None, ()))
        name = dict(TABS).get(key, key).lower()
        self.query_one(f"#tree-{key}", JsonTree).show_value(name, value, base)

    def action_search(self) -> None:
        find = self.query_one("#payload-find", Input)
        find.display = True
        find.focus()

    @on(Input.Submitted, "#payload-find")
    def _find(self, event: Input.Submitted) -> None:
        event.stop()
        view = self.active_view()
        found = view.set_search(event.value)
        view.focus()
        if event.value and not found:
            self.notify("No match in this tab", severity="warning")

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        self._want_diff()
        self._apply_pending(self.active_tab)
        find = self.query_one("#payload-find", Input)
        if find.value:
            self.active_view().set_search(find.value)

    def close_search(self) -> bool:
        """Hide the payload search; returns True if it was open (Esc handling)."""
        find = self.query_one("#payload-find", Input)
        if not find.display:
            return False
        find.display = False
        find.value = ""
        for key, _ in TABS:
            self.query_one(f"#view-{key}", PayloadView).set_search("")
        self.active_view().focus()
        return True
