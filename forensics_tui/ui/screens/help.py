"""The help screen: every binding with its id, grouped, as remapped by the user's config."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from forensics_tui.ui.keys import all_keys, key_display

__all__ = ["HelpScreen"]

INTRO = (
    "Filter language:  status:error,timeout  tool:send_*  run:2026*  -status:ok  free words\n"
    "  finding:auth_expiry  kind:timeout  @name (a saved filter, [filters] in the config)\n"
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
        tables: list[Table] = []
        table: Table | None = None
        section = None
        for info in all_keys():
            if info.section != section or table is None:
                section = info.section
                # one table per section, its title above it at full width (never cut)
                table = Table(
                    box=None,
                    expand=True,
                    header_style="bold",
                    title=Text(section, style="bold underline"),
                    title_justify="left",
                    show_header=not tables,
                )
                table.add_column("Key", style="bold cyan", no_wrap=True, width=10)
                table.add_column("Action", ratio=1)
                table.add_column(Text("Id ([keys])"), style="dim", no_wrap=True, width=20)
                tables.append(table)
            binding = info.binding
            action = Text(binding.description or binding.action)
            if binding.tooltip:
                action.append(f" — {binding.tooltip}", style="dim")
            shown = key_display(self.app, binding, self.keymap)
            table.add_row(Text(shown), action, binding.id or "")
        self.table = Group(*tables)
        with VerticalScroll(id="help-body"):
            yield Static(Text(INTRO), id="help-intro")
            yield Static(self.table, id="help-table")

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
