"""The explorer's state, in one Textual-free object (in the spirit of mitmproxy's ``View``).

Runs, the call index, the rows in view, the scope, the filter, the analysis answers, the diff
mode and the per-call diff choices, and which pane has focus all live here.  The screen feeds it
store snapshots and deltas and user intents; it answers with ``Change`` notices that the widgets
turn into repaints.  Findings, outcomes and baselines are the core analysis model's answers
(``Answers``, built in a worker from ``core.analysis``): this object holds them, never derives
them.  No Textual import: tests drive it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from forensics_tui.core.model import Call
from forensics_tui.ui.answers import Answers
from forensics_tui.ui.labels import unique_labels
from forensics_tui.ui.query import FAILURE_STATUSES, Query
from forensics_tui.ui.view_model import (
    ALL_RUNS,
    CallIndex,
    CallRows,
    Delta,
    RunsModel,
    RunSummary,
)

__all__ = ["DIFF_MODES", "FOCUS", "Change", "DiffChoice", "ExplorerState"]

DIFF_MODES: tuple[str, ...] = ("unified", "side-by-side")
FOCUS: tuple[str, ...] = ("runs", "calls", "detail", "filter")


@dataclass(frozen=True, slots=True)
class DiffChoice:
    """What a call is diffed against: ``run_id`` None means its last known-good call.

    ``scope`` says what the choice was made for: ``call`` (this call only), ``pair`` (every
    call of this run, against that run) or ``default``.
    """

    run_id: str | None
    scope: str = "default"

    def header(self, run_label: str | None) -> str:
        if self.run_id is None:
            return "Diff against the last known-good run"
        where = "for this call" if self.scope == "call" else "for every call of this run"
        return f"Diff against run {run_label or self.run_id} ({where}; D changes it)"


@dataclass(slots=True)
class Change:
    """One notice to the widgets: what changed since the last one."""

    runs: bool = False
    changed_runs: set[str] = field(default_factory=set)
    """With ``runs``: the runs whose summary changed; empty means any (the order changed)."""
    rows_rebuilt: bool = False
    keep: Call | None = None
    """After a rebuild: the call the cursor should stay on."""
    added: list[int] = field(default_factory=list)
    answers: bool = False
    diff: bool = False
    focus: bool = False
    reload: bool = False
    """The call shown in the detail pane changed on disk."""
    new_scope: str | None = None
    """Follow mode moved to a new live run (the runs pane's cursor must follow)."""


Listener = Callable[[Change], None]


class ExplorerState:
    """Everything the explorer shows, and the rules for changing it."""

    def __init__(self) -> None:
        self.runs = RunsModel()
        self.index = CallIndex()
        self.rows = CallRows()
        self.answers = Answers()
        self.diff_mode = DIFF_MODES[0]
        self._choices: dict[tuple[str, str | None], str] = {}
        self.focus = "calls"
        self.scan_complete = False
        self.follow = False
        self.shown: Call | None = None
        """The call the detail pane shows (set by the screen)."""
        self._labels: dict[str, str] = {}
        self._short: dict[str, str] = {}
        self._listeners: list[Listener] = []

    # -- notices ---------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, change: Change) -> Change:
        for listener in list(self._listeners):
            listener(change)
        return change

    # -- reading ---------------------------------------------------------------------------
    @property
    def scope(self) -> str:
        return self.rows.scope

    @property
    def query(self) -> Query:
        return self.rows.query

    def run(self, run_id: str) -> RunSummary | None:
        return self.runs.get(run_id)

    def label(self, run_id: str, *, short: bool = False) -> str:
        """The run's label, unique among the runs shown (``ui.labels``)."""
        table = self._short if short else self._labels
        return table.get(run_id) or run_id

    def outcome(self, run_id: str) -> str | None:
        """The core's verdict on the run (None until the analysis is in)."""
        return self.answers.outcomes.get(run_id)

    def flagged(self, call: Call) -> bool:
        return call.status in FAILURE_STATUSES or call.call_id in self.answers.findings

    def selected_run(self, current: Call | None) -> str | None:
        """The run in scope, else the highlighted call's run."""
        if self.scope != ALL_RUNS:
            return self.scope
        return current.run_id if current is not None else None

    # -- store data ------------------------------------------------------------------------
    def _relabel(self) -> None:
        pairs = [(r.run_id, r.started_at) for r in self.runs.order]
        self._labels = unique_labels(pairs)
        self._short = unique_labels(pairs, short=True)

    def load_snapshot(
        self, runs: list[RunSummary], calls: dict[str, list[Call]], *, complete: bool
    ) -> Change:
        """The whole store (the first scan, a rescan).  The newest run is chosen once."""
        first = not self.runs.order
        self.runs.replace_all(runs)
        self.index.replace_all(calls)
        self._relabel()
        self.scan_complete = self.scan_complete or complete
        change = Change(runs=True, rows_rebuilt=True)
        if first and self.runs.order:
            newest = self.runs.order[0]
            self.follow = newest.is_live
            self.rows.scope = newest.run_id
            change.new_scope = newest.run_id
        elif self.scope != ALL_RUNS and self.runs.get(self.scope) is None:
            self.rows.scope = ALL_RUNS
            change.new_scope = ALL_RUNS
        self.rows.rebuild(self.index)
        return self._emit(change)

    def apply_delta(self, delta: Delta) -> Change:
        """Reflect store changes; rows are inserted in place (no rebuild) when possible."""
        newest_before = self.runs.order[0].run_id if self.runs.order else None
        order_before = [r.run_id for r in self.runs.order]
        relabel = bool(delta.removed_runs) or any(
            (old := self.runs.get(r.run_id)) is None or old.started_at != r.started_at
            for r in delta.runs.values()
        )
        for run_id in delta.removed_runs:
            self.runs.remove(run_id)
            self.index.drop_run(run_id)
        for summary in delta.runs.values():
            self.runs.upsert(summary)
        change = Change(runs=bool(delta.runs or delta.removed_runs))
        if change.runs and not relabel and [r.run_id for r in self.runs.order] == order_before:
            change.changed_runs = set(delta.runs)  # same runs, same order: repaint just these
        if relabel:  # a new run, or a run gone: labels may need more characters
            self._relabel()
        scope_gone = self.scope != ALL_RUNS and self.runs.get(self.scope) is None
        rebuild = scope_gone or (bool(delta.removed_runs) and self.scope == ALL_RUNS)
        for call in delta.calls:
            old = self.index.upsert(call)
            if not rebuild:
                position = self.rows.apply(call, old)
                if position is not None and (old is None or not self.rows.query.matches(old)):
                    change.added.append(position)
            if self.shown is not None and call.same_file(self.shown):
                change.reload = True
        newest = self.runs.order[0].run_id if self.runs.order else None
        if (
            newest is not None
            and newest != newest_before
            and self.follow
            and self.scope in (newest_before, None)
        ):
            return self._emit(self._rescope(newest, change))  # tail -f: a new run takes over
        if scope_gone:
            return self._emit(self._rescope(ALL_RUNS, change))
        if rebuild:
            self.rows.rebuild(self.index)
            change.rows_rebuilt = True
            change.added = []
        change.added.sort()
        return self._emit(change)

    def set_answers(self, answers: Answers) -> Change | None:
        """The analysis finished: new findings, outcomes, kinds (no notice if unchanged)."""
        if answers == self.answers:
            return None
        self.answers = answers
        change = Change(answers=True)
        if self.query.needs_answers:
            self.rows.query = self.query.bind(answers)
            self.rows.rebuild(self.index)
            change.rows_rebuilt = True
        return self._emit(change)

    # -- intents ---------------------------------------------------------------------------
    def _rescope(self, scope: str, change: Change, keep: Call | None = None) -> Change:
        self.rows.scope = scope
        self.rows.rebuild(self.index)
        change.rows_rebuilt = True
        change.added = []
        change.new_scope = scope
        change.keep = keep
        return change

    def set_scope(self, scope: str, *, keep: Call | None = None) -> Change | None:
        """Show one run (or ``ALL_RUNS``); follow turns on for a live scope."""
        if scope != ALL_RUNS and self.runs.get(scope) is None:
            return None
        if scope == self.scope and keep is None:
            return None
        if scope == ALL_RUNS:
            self.follow = any(r.is_live for r in self.runs.order)
        else:
            run = self.runs.get(scope)
            self.follow = bool(run and run.is_live)
        return self._emit(self._rescope(scope, Change(), keep))

    def set_query(self, query: Query, *, keep: Call | None = None) -> Change:
        self.rows.query = query.bind(self.answers)
        self.rows.rebuild(self.index)
        return self._emit(Change(rows_rebuilt=True, keep=keep))

    def set_focus(self, pane: str) -> None:
        if pane in FOCUS and pane != self.focus:
            self.focus = pane
            self._emit(Change(focus=True))

    def toggle_diff_mode(self) -> Change:
        i = DIFF_MODES.index(self.diff_mode) if self.diff_mode in DIFF_MODES else 0
        self.diff_mode = DIFF_MODES[(i + 1) % len(DIFF_MODES)]
        return self._emit(Change(diff=True))

    def choose_against(self, call: Call, run_id: str | None, *, whole_run: bool = False) -> Change:
        """Diff ``call`` (or, ``whole_run``, every call of its run) against ``run_id``.

        None goes back to the last known-good baseline for that call (for the run pair, when
        ``whole_run``).  Other calls and runs keep their own choice.
        """
        key = (call.run_id, None if whole_run else call.call_id)
        if run_id == call.run_id:
            run_id = None
        if run_id is None and not whole_run and (call.run_id, None) in self._choices:
            self._choices[key] = ""  # this call: its baseline, whatever its run pair says
        elif run_id is None:
            self._choices.pop(key, None)
        else:
            self._choices[key] = run_id
        return self._emit(Change(diff=True))

    def diff_choice(self, call: Call) -> DiffChoice:
        """What ``call`` is diffed against: its own choice, its run pair's, or the baseline."""
        own = self._choices.get((call.run_id, call.call_id))
        if own is not None:
            return DiffChoice(own or None, "call")
        pair = self._choices.get((call.run_id, None))
        if pair is not None:
            return DiffChoice(pair, "pair")
        return DiffChoice(None)

    # -- finding things --------------------------------------------------------------------
    def find_call(self, call_id: str, run_id: str | None = None) -> Call | None:
        by_run = self.index.by_run
        groups = [by_run.get(run_id, [])] if run_id else []
        groups.extend(calls for rid, calls in by_run.items() if rid != run_id)
        for calls in groups:
            for call in calls:
                if call.call_id == call_id:
                    return call
        return None

    def reveal(self, call: Call) -> Change:
        """Show ``call`` in its run, dropping a filter that hides it; follow turns off."""
        self.follow = False
        if not self.query.matches(call):
            self.rows.query = Query()
        return self._emit(self._rescope(call.run_id, Change(), keep=call))

    def next_problem(self, current: Call | None, step: int) -> Call | None:
        """The next (``step`` 1) or previous (-1) failed or flagged call matching the filter.

        In one run's scope the walk crosses into other runs, newest run first (``n`` from the
        end of the newest run goes on into the run before it), like lnav's ``e``/``E``.  In the
        interleaved stream it walks the rows in time order.
        """
        if self.scope == ALL_RUNS:
            rows = self.rows.rows
            start = self.rows.position(current) if current is not None else None
            index = (-1 if step > 0 else len(rows)) if start is None else start
            for _, row in rows.walk(index + step, step):
                if self.flagged(row):
                    return row
            return None
        order = [r.run_id for r in self.runs.order]  # newest first
        query = self.query
        skip: Call | None = None
        if current is None or current.run_id not in order or (self.follow and step > 0):
            # nothing chosen yet, or tailing: start from the top of the run in view
            run_pos = order.index(self.scope) if self.scope in order else 0
            seq_pos = -1 if step > 0 else None
            skip = current
        else:
            run_pos = order.index(current.run_id)
            calls = self.index.by_run.get(current.run_id, [])
            seq_pos = next((i for i, c in enumerate(calls) if c.same_file(current)), -1)
        while 0 <= run_pos < len(order):
            calls = self.index.by_run.get(order[run_pos], [])
            if seq_pos is None:
                seq_pos = len(calls) if step < 0 else -1
            index = seq_pos + step
            while 0 <= index < len(calls):
                call = calls[index]
                if (
                    self.flagged(call)
                    and query.matches(call)
                    and (skip is None or not call.same_file(skip))
                ):
                    return call
                index += step
            run_pos += step
            seq_pos = None
        return None
