"""The help screen: every binding with its id, grouped, as remapped by the user's config."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from forensics_tui.ui.keys import all_keys, effective_key

__all__ = ["HelpScreen"]

INTRO = (
    "Filter language:  status:error,timeout  tool:send_*  run:2026*  -status:ok  free words\n"
    "Status icons:  ✓ ok  ✗ error  ⏱ timeout  ⊘ skipped  ◌ pending  ! broken file\n"
    'Config: [keys] binding-id = "key" in ~/.config/forensics-tui/config.toml remaps a key.\n'
)


class HelpScreen(ModalScreen[None]):
    """Modal list of bindings; Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close help", id="help-close"),
        Binding("down,j", "scroll('down')", "Down", show=False),
        Binding("up,k", "scroll('up')", "Up", show=False),
    ]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Key", style="bold cyan", no_wrap=True, width=18)
        table.add_column("Action", ratio=2)
        table.add_column(Text("Id (remap in [keys])"), style="dim", no_wrap=True, ratio=1)
        section = None
        for info in all_keys():
            if info.section != section:
                section = info.section
                table.add_row(Text(section, style="bold underline"), "", "")
            binding = info.binding
            keys = effective_key(binding, self.keymap).split(",")
            shown = " ".join(self.app.get_key_display(binding.with_key(k.strip())) for k in keys)
            action = Text(binding.description or binding.action)
            if binding.tooltip:
                action.append(f" — {binding.tooltip}", style="dim")
            table.add_row(Text(shown), action, binding.id or "")
        self.table = table
        with VerticalScroll(id="help-body"):
            yield Static(Text(INTRO), id="help-intro")
            yield Static(table, id="help-table")

    def on_mount(self) -> None:
        body = self.query_one("#help-body")
        body.border_title = "forensics-tui — keys  (Esc closes)"

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        if direction == "down":
            body.scroll_down(animate=False)
        else:
            body.scroll_up(animate=False)

    def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
