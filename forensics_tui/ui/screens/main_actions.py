"""The main screen's actions that open something: dialogs, the pager, a post-mortem, layouts.

A base class of ``MainScreen`` (so ``screens/main.py`` stays about panes and state wiring).
Choices land in ``ExplorerState``; reading files and running the analysis happen in thread
workers, in the screens opened here, or in the core (the post-mortem writer).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.screen import Screen

from forensics_tui.core.model import Call
from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.screens.findings import FindingsScreen
from forensics_tui.ui.screens.patterns import PatternsScreen
from forensics_tui.ui.screens.reexec import ReexecScreen
from forensics_tui.ui.screens.run_picker import RunPickerScreen
from forensics_tui.ui.state import ExplorerState

if TYPE_CHECKING:
    from forensics_tui.ui.app import ForensicsApp

__all__ = ["MainActions", "external_text"]

_C1 = {c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}


def external_text(value: Any) -> str:
    """``value`` as indented JSON for a pager or editor, with no byte a terminal would obey."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return text.translate(_C1)  # json.dumps escapes C0 controls; C1 ones (CSI) are escaped here


class MainActions(Screen[None]):
    """Dialogs and layout actions of the main screen."""

    state: ExplorerState
    _pending_jump: tuple[str, str | None] | None = None
    last_postmortem: Path | None = None
    """Where the last post-mortem was written (tests read it)."""

    @property
    def _app(self) -> ForensicsApp:
        return self.app  # type: ignore[return-value]

    def _current(self, *, quiet: bool = False) -> Call | None:
        from forensics_tui.ui.widgets.calls_pane import CallsPane

        call = self.query_one(CallsPane).current
        if call is None and not quiet:
            self.app.bell()
            self.notify("No call highlighted", timeout=2)
        return call

    def _selected_run(self) -> str | None:
        run_id = self.state.selected_run(self._current(quiet=True))
        if run_id is None:
            self.app.bell()
            self.notify("No run selected", timeout=2)
        return run_id

    # the helpers other action sets (run-level screens) use
    def _current_call(self) -> Call | None:
        """The highlighted call, or None after telling the user there is none."""
        return self._current()

    def _run_or_bell(self) -> str | None:
        """The selected run, or None after telling the user there is none."""
        return self._selected_run()

    def run_labels(self) -> dict[str, str]:
        """run_id -> its label in the view (unique, pasteable)."""
        return {r.run_id: self.state.label(r.run_id) for r in self.state.runs.order}

    # -- layout ---------------------------------------------------------------------------
    def action_zoom(self) -> None:
        """Maximise the pane with focus (the whole detail pane from inside it), or restore."""
        from forensics_tui.ui.widgets.detail_pane import DetailPane

        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        if focused is None:
            return
        detail = self.query_one(DetailPane)
        target = detail if detail in focused.ancestors_with_self else focused
        self.maximize(target, container=False)

    def action_full_detail(self) -> None:
        """The detail pane full screen, from any pane (Esc or Z again restores)."""
        from forensics_tui.ui.widgets.detail_pane import DetailPane

        if self.maximized is not None:
            self.minimize()
            return
        detail = self.query_one(DetailPane)
        self.maximize(detail, container=False)
        detail.active_view().focus()

    def action_resize_runs(self, step: int) -> None:
        left = self.query_one("#left")
        width = left.outer_size.width + step
        left.styles.width = max(12, min(width, self.size.width - 30))

    def action_resize_calls(self, step: int) -> None:
        from forensics_tui.ui.widgets.calls_pane import CallsPane

        calls = self.query_one(CallsPane)
        right = self.query_one("#right").size.height
        height = max(3, min(calls.outer_size.height + step, right - 6))
        calls.styles.height = height

    # -- dialogs --------------------------------------------------------------------------
    def action_reexec(self) -> None:
        call = self._current()
        if call is not None:
            self.app.push_screen(ReexecScreen(call), self._open_new_call)

    def _open_new_call(self, call_id: str | None) -> None:
        if call_id:
            self.jump_to_call(call_id)

    def action_patterns(self) -> None:
        self.app.push_screen(PatternsScreen(self.run_labels()), self._jump_to_pick)

    def action_findings(self) -> None:
        run_id = self._selected_run()
        if run_id is not None:
            screen = FindingsScreen(run_id, self.state.label(run_id))
            self.app.push_screen(screen, self._jump_to_pick)

    def _jump_to_pick(self, picked: tuple[str | None, str | None] | None) -> None:
        if picked is not None:
            self.jump_to_call(picked[0], picked[1])

    def action_diff_mode(self) -> None:
        self.state.toggle_diff_mode()

    def action_diff_against(self) -> None:
        call = self._current()
        if call is None:
            return
        choice = self.state.diff_choice(call)
        picker = RunPickerScreen(list(self.state.runs.order), call, choice.run_id, self.state.label)
        self.app.push_screen(picker, lambda picked: self._against_picked(call, picked))

    def _against_picked(self, call: Call, picked: tuple[str, bool] | None) -> None:
        if picked is not None:
            run_id, whole_run = picked
            self.state.choose_against(call, run_id or None, whole_run=whole_run)

    # -- post-mortem ----------------------------------------------------------------------
    def action_postmortem(self) -> None:
        run_id = self._selected_run()
        if run_id is not None:
            self.notify(f"Writing the post-mortem of run {self.state.label(run_id)}…", timeout=2)
            self._write_postmortem(run_id)

    @work(thread=True, group="postmortem")
    def _write_postmortem(self, run_id: str) -> None:
        from forensics_tui.core.analysis.postmortem import build_postmortem, postmortem_markdown
        from forensics_tui.core.analysis.postmortem_file import save_postmortem

        app = self._app
        try:
            text = postmortem_markdown(build_postmortem(app.analysis, run_id))
            path = save_postmortem(text, root=app.root, run_id=run_id)
        except Exception as exc:  # an unwritable root or an analysis error: say so
            message = safe_line(f"Post-mortem not written: {type(exc).__name__}: {exc}", 300)
            app.call_from_thread(self.notify, message, severity="error", markup=False, timeout=10)
            return
        self.last_postmortem = path
        message = safe_line(f"Post-mortem written to {path}", 400)
        app.call_from_thread(self.notify, message, title="Post-mortem", markup=False, timeout=12)

    # -- pager / editor -------------------------------------------------------------------
    def action_open_external(self, which: str) -> None:
        """The active tab's payload as JSON in ``$PAGER`` (``less``) or ``$EDITOR`` (``vi``)."""
        from forensics_tui.ui.widgets.detail_pane import DetailPane

        detail = self.query_one(DetailPane)
        value = detail.active_value()
        if value is None:
            self.app.bell()
            self.notify("Nothing loaded in this tab yet", timeout=2)
            return
        variable, fallback = ("PAGER", "less") if which == "pager" else ("EDITOR", "vi")
        command = shlex.split(os.environ.get(variable) or fallback)
        fd, name = tempfile.mkstemp(prefix="forensics-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(external_text(value))
            with self.app.suspend():
                subprocess.run([*command, name], check=False)
        except (OSError, ValueError) as exc:
            self.notify(safe_line(f"Cannot open {variable}: {exc}", 200), severity="error")
        finally:
            Path(name).unlink(missing_ok=True)
        self.app.refresh()

    # -- jumping --------------------------------------------------------------------------
    def jump_to_call(self, call_id: str | None, run_id: str | None = None) -> None:
        """Highlight ``call_id`` in its run (or just open ``run_id`` when there is no call).

        A call that has not reached the view yet (a re-execution's result on its way through
        the watcher) is remembered and revealed when it arrives.
        """
        from forensics_tui.ui.widgets.calls_pane import CallsPane

        if not call_id:
            if run_id and self.state.runs.get(run_id) is not None:
                self.state.set_scope(run_id)
                self.state.follow = False
                self.query_one(CallsPane).follow = False
                self.query_one(CallsPane).focus()
            return
        call = self.state.find_call(call_id, run_id)
        if call is None:
            self._pending_jump = (call_id, run_id)
            self.notify("The call will be shown as soon as it arrives.", timeout=3)
            return
        self._pending_jump = None
        self._reveal(call)

    def retry_jump(self) -> None:
        """New calls arrived: reveal a remembered jump target if it is among them."""
        if self._pending_jump is None:
            return
        call = self.state.find_call(*self._pending_jump)
        if call is not None:
            self._pending_jump = None
            self._reveal(call)

    def _reveal(self, call: Call) -> None:
        from forensics_tui.ui.widgets.calls_pane import CallsPane
        from forensics_tui.ui.widgets.filter_bar import FilterBar

        if not self.state.query.matches(call):
            bar = self.query_one(FilterBar)
            bar.display = False
            bar.input.value = ""
        self.state.reveal(call)
        self.query_one(CallsPane).focus()
