"""The filter bar: one ``Input`` for the filter language, with its parse error shown in place.

``@name`` expands a saved filter from ``[filters]`` in the config.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static

from forensics_tui.ui.query import Query, QueryError, parse_query

__all__ = ["FilterBar"]

PLACEHOLDER = "status:fail tool:send_* finding:auth_expiry kind:timeout @saved words (Enter, Esc)"


class FilterBar(Horizontal):
    """Hidden until ``/``; applies the query on Enter and as you type."""

    class Changed(Message):
        """A new valid query (possibly empty)."""

        def __init__(self, query: Query, *, submitted: bool) -> None:
            super().__init__()
            self.query = query
            self.submitted = submitted

    def __init__(self, *, saved: Mapping[str, str] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.saved = dict(saved or {})

    def compose(self) -> ComposeResult:
        yield Static("/", id="filter-prompt")
        yield Input(placeholder=PLACEHOLDER, id="filter-input")
        yield Static("", id="filter-error")

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def set_text(self, text: str) -> None:
        """Replace the filter text (one-key filters) and apply it."""
        self.input.value = text
        self._apply(text, submitted=True)

    def _apply(self, text: str, *, submitted: bool) -> None:
        error = self.query_one("#filter-error", Static)
        try:
            query = parse_query(text, self.saved)
        except QueryError as exc:
            error.update(str(exc))
            return
        error.update("")
        self.post_message(self.Changed(query, submitted=submitted))

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._apply(event.value, submitted=False)

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply(event.value, submitted=True)
