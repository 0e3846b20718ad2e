"""The main screen's forensic actions: re-execute, patterns, findings, post-mortem, diff choice.

A mixin so ``screens/main.py`` stays about panes and navigation; the bindings themselves are
declared on ``MainScreen`` (with ids, so they show in help and the palette and can be remapped).
Anything that reads files or runs the analysis happens in a thread worker or in the screens it
opens; this module only decides what to open and where to jump afterwards.
"""

from __future__ import annotations

from typing import Any

from textual import work

from forensics_tui.core.analysis.postmortem_file import (
    POSTMORTEM_DIR,
    postmortem_path,
    save_postmortem,
)
from forensics_tui.core.model import Call
from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.diff_lines import DIFF_MODES
from forensics_tui.ui.query import Query
from forensics_tui.ui.rows import run_label
from forensics_tui.ui.screens.findings import FindingsScreen
from forensics_tui.ui.screens.patterns import PatternsScreen
from forensics_tui.ui.screens.reexec import ReexecScreen
from forensics_tui.ui.screens.run_picker import RunPickerScreen
from forensics_tui.ui.view_model import ALL_RUNS

__all__ = ["POSTMORTEM_DIR", "ForensicsActions", "postmortem_path"]


class ForensicsActions:
    """Mixed into ``MainScreen`` (which provides panes, models and ``_show_detail``)."""

    diff_mode: str = DIFF_MODES[0]
    """How the Diff tab shows changes: ``unified`` or ``side-by-side``."""
    diff_against: str | None = None
    """Run picked to diff against; None: each call's last known-good run."""
    _pending_jump: tuple[str | None, str | None] | None = None

    # -- helpers --------------------------------------------------------------------------
    def _panes(self) -> tuple[Any, Any]:
        from forensics_tui.ui.widgets.calls_pane import CallsPane
        from forensics_tui.ui.widgets.runs_pane import RunsPane

        me: Any = self
        return me.query_one(RunsPane), me.query_one(CallsPane)

    def run_name(self, run_id: str, *, short: bool = False) -> str:
        me: Any = self
        run = me.runs.get(run_id)
        return run_label(run_id, run.started_at if run else None, short=short)

    def run_labels(self) -> dict[str, str]:
        me: Any = self
        return {r.run_id: run_label(r.run_id, r.started_at) for r in me.runs.order}

    def _selected_run(self) -> str | None:
        """The run the runs pane points at, else the highlighted call's run."""
        runs, calls = self._panes()
        if runs.scope != ALL_RUNS:
            return str(runs.scope)
        call = calls.current
        return call.run_id if call is not None else None

    def _current_call(self) -> Call | None:
        call = self._panes()[1].current
        if call is None:
            me: Any = self
            me.app.bell()
            me.notify("No call highlighted", timeout=2)
        return call

    # -- re-execution ---------------------------------------------------------------------
    def action_reexec(self) -> None:
        call = self._current_call()
        if call is not None:
            me: Any = self
            me.app.push_screen(ReexecScreen(call), self._open_new_call)

    def _open_new_call(self, call_id: str | None) -> None:
        if call_id:
            self.jump_to_call(call_id)

    # -- patterns and findings ------------------------------------------------------------
    def action_patterns(self) -> None:
        me: Any = self
        me.app.push_screen(PatternsScreen(self.run_labels()), self._jump_to_pick)

    def _run_or_bell(self) -> str | None:
        """The selected run, or None after telling the user there is none."""
        run_id = self._selected_run()
        if run_id is None:
            me: Any = self
            me.app.bell()
            me.notify("No run selected", timeout=2)
        return run_id

    def action_findings(self) -> None:
        me: Any = self
        run_id = self._run_or_bell()
        if run_id is None:
            return
        me.app.push_screen(FindingsScreen(run_id, self.run_name(run_id)), self._jump_to_pick)

    def _jump_to_pick(self, picked: tuple[str | None, str | None] | None) -> None:
        if picked is not None:
            self.jump_to_call(picked[0], picked[1])

    # -- post-mortem ----------------------------------------------------------------------
    def action_postmortem(self) -> None:
        me: Any = self
        run_id = self._run_or_bell()
        if run_id is None:
            return
        me.notify(f"Writing the post-mortem of run {self.run_name(run_id)}…", timeout=2)
        self._write_postmortem(run_id)

    @work(thread=True, group="postmortem")
    def _write_postmortem(self, run_id: str) -> None:
        from forensics_tui.core.analysis.postmortem import build_postmortem, postmortem_markdown

        me: Any = self
        app = me.app
        path = postmortem_path(app.root, run_id)
        try:
            text = postmortem_markdown(build_postmortem(app.analysis, run_id))
            save_postmortem(text, root=app.root, run_id=run_id)
        except Exception as exc:  # an unwritable root or an analysis error: say so
            message = safe_line(f"Post-mortem not written: {type(exc).__name__}: {exc}", 300)
            app.call_from_thread(me.notify, message, severity="error", markup=False, timeout=10)
            return
        me.last_postmortem = path
        message = safe_line(f"Post-mortem written to {path}", 400)
        app.call_from_thread(me.notify, message, title="Post-mortem", markup=False, timeout=12)

    # -- the Diff tab ---------------------------------------------------------------------
    def _reload_diff(self) -> None:
        me: Any = self
        calls = self._panes()[1]
        me.action_tab("diff")
        me._show_detail(calls.current)

    def action_diff_mode(self) -> None:
        i = DIFF_MODES.index(self.diff_mode) if self.diff_mode in DIFF_MODES else 0
        self.diff_mode = DIFF_MODES[(i + 1) % len(DIFF_MODES)]
        self._reload_diff()

    def action_diff_against(self) -> None:
        call = self._current_call()
        if call is None:
            return
        me: Any = self
        picker = RunPickerScreen(list(me.runs.order), call.run_id, self.diff_against)
        me.app.push_screen(picker, self._against_picked)

    def _against_picked(self, run_id: str | None) -> None:
        if run_id is None:
            return
        self.diff_against = run_id or None
        self._reload_diff()

    # -- jumping --------------------------------------------------------------------------
    def jump_to_call(self, call_id: str | None, run_id: str | None = None) -> None:
        """Highlight ``call_id`` in its run (or just open ``run_id`` when there is no call).

        A call that has not reached the view yet (a re-execution's result on its way through
        the watcher) is remembered and revealed when it arrives.
        """
        me: Any = self
        if not call_id:
            if run_id and me.runs.get(run_id) is not None:
                runs, calls = self._panes()
                calls.follow = False
                runs.select_scope(run_id)
                calls.focus()
            return
        call = self._find_call(call_id, run_id)
        if call is None:
            self._pending_jump = (call_id, run_id)
            me.notify("The call will be shown as soon as it arrives.", timeout=3)
            return
        self._pending_jump = None
        self._reveal(call)

    def retry_jump(self) -> None:
        """New calls arrived: reveal a remembered jump target if it is among them."""
        if self._pending_jump is None:
            return
        call_id, run_id = self._pending_jump
        call = self._find_call(call_id or "", run_id)
        if call is not None:
            self._pending_jump = None
            self._reveal(call)

    def _find_call(self, call_id: str, run_id: str | None) -> Call | None:
        me: Any = self
        by_run = me.index.by_run
        groups = [by_run.get(run_id, [])] if run_id else []
        groups.extend(calls for rid, calls in by_run.items() if rid != run_id)
        for calls in groups:
            for call in calls:
                if call.call_id == call_id:
                    return call
        return None

    def _reveal(self, call: Call) -> None:
        from forensics_tui.ui.widgets.filter_bar import FilterBar

        me: Any = self
        runs, calls = self._panes()
        calls.follow = False
        if not me.rows.query.matches(call):
            bar = me.query_one(FilterBar)
            bar.display = False
            bar.input.value = ""
            me.rows.query = Query()
        runs.select_scope(call.run_id)
        me._rebuild_rows(keep=call)
        calls.focus()
