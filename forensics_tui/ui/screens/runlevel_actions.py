"""Run-level forensics from the main screen: compare runs (``C``), a call's history (``H``),
and export the highlighted call as a regression test (``X``).

Mixed into ``MainScreen`` next to ``MainActions`` (whose helpers it uses: the selected
run, the highlighted call, jumping to a call).  The work is the core's; the export runs in a
thread worker and reports with a notification.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work

from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.screens.compare import CompareScreen
from forensics_tui.ui.screens.history import HistoryScreen

__all__ = ["RunlevelActions"]


class RunlevelActions:
    """Mixed into ``MainScreen``."""

    last_export: Path | None = None
    """Where the last exported test module was written (tests read it)."""

    def action_compare(self) -> None:
        me: Any = self
        run_id = me._run_or_bell()
        if run_id is not None:
            screen = CompareScreen(run_id, None, list(me.runs.order))
            me.app.push_screen(screen, me._jump_to_pick)

    def action_history(self) -> None:
        me: Any = self
        call = me._current_call()
        if call is not None:
            me.app.push_screen(HistoryScreen(call.tool, me.run_labels()), me._jump_to_pick)

    def action_export_test(self) -> None:
        me: Any = self
        call = me._current_call()
        if call is not None:
            self._export_test(call)

    @work(thread=True, group="export-test")
    def _export_test(self, call: Any) -> None:
        from forensics_tui.core.export import ExportError, export_test

        me: Any = self
        app = me.app
        slug = "".join(ch if ch.isalnum() else "_" for ch in call.tool).strip("_").lower()[:60]
        out = Path.cwd() / f"test_{slug or 'tool'}_{call.seq}.py"
        try:
            plan = export_test(app.analysis, call, out)
        except (ExportError, OSError) as exc:
            message = safe_line(f"Test not exported: {exc}", 300)
            app.call_from_thread(me.notify, message, severity="error", markup=False, timeout=10)
            return
        self.last_export = plan.module_path
        message = safe_line(f"Test written to {plan.module_path} ({plan.mode})", 400)
        app.call_from_thread(me.notify, message, title="Export test", markup=False, timeout=12)
