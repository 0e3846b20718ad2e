"""What the panes show, kept on the UI thread and fed only with store events and snapshots.

The store lives in worker threads; the UI never reads it directly.  Workers hand over
``RunSummary`` snapshots and ``Call`` summaries, and these classes keep them ordered: a run's
calls in a list placed by bisect, the calls pane's rows in a ``RowList`` (sorted blocks, so a
call landing among a million rows moves one block and a row is found by index in O(log)).
No Textual import here: this is plain data, tested without an app (tests/ui/test_state.py).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from forensics_tui.core.model import Call
from forensics_tui.core.storage.ordering import (
    call_sort_key,
    call_ts_key,
    find_by_name,
    placed_by_name,
    run_sort_key,
)
from forensics_tui.ui.query import FAILURE_STATUSES, Query
from forensics_tui.ui.row_list import RowList

__all__ = ["ALL_RUNS", "CallIndex", "CallRows", "Delta", "RowKey", "RunSummary", "RunsModel"]

ALL_RUNS = "*"
"""Scope id of the interleaved stream of every run."""

RowKey = tuple[float, str, float, str]


@dataclass(frozen=True, slots=True)
class RunSummary:
    """An immutable picture of one run, computed in a worker thread from the store's ``Run``."""

    run_id: str
    status: str  # running / ok / failed / crashed
    counts: dict[str, int] = field(default_factory=dict)
    started_at: str | None = None
    agent: str | None = None
    task: str | None = None
    sort_key: tuple[float, str] = (0.0, "")
    problem: str | None = None  # run.json unreadable
    is_reexec: bool = False  # written by a re-execution (never a baseline)

    @property
    def is_live(self) -> bool:
        return self.status == "running"

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @classmethod
    def from_run(cls, run: object, counts: dict[str, int] | None = None) -> RunSummary:
        """Build from a ``core.model.Run`` (duck-typed so tests may pass look-alikes).

        ``counts``: the run's status counts when the caller keeps them (``ui.run_counts``);
        otherwise they are counted here, O(run size).
        """
        return cls(
            run_id=run.run_id,  # type: ignore[attr-defined]
            status=run.status,  # type: ignore[attr-defined]
            counts=dict(run.counts()) if counts is None else counts,  # type: ignore[attr-defined]
            started_at=run.started_at,  # type: ignore[attr-defined]
            agent=run.agent,  # type: ignore[attr-defined]
            task=run.task,  # type: ignore[attr-defined]
            sort_key=run_sort_key(run),  # type: ignore[arg-type]
            problem=getattr(run, "manifest_problem", None),
            is_reexec=bool(getattr(run, "is_reexec", False)),
        )


@dataclass
class Delta:
    """Everything that changed since the UI last drained the feed."""

    calls: list[Call] = field(default_factory=list)
    runs: dict[str, RunSummary] = field(default_factory=dict)
    removed_runs: set[str] = field(default_factory=set)

    def merge(self, other: Delta) -> None:
        self.calls.extend(other.calls)
        for run_id in other.removed_runs:
            self.runs.pop(run_id, None)
        self.runs.update(other.runs)
        self.removed_runs = (self.removed_runs - set(other.runs)) | other.removed_runs

    def __bool__(self) -> bool:
        return bool(self.calls or self.runs or self.removed_runs)


class RunsModel:
    """Runs, newest first."""

    def __init__(self) -> None:
        self._by_id: dict[str, RunSummary] = {}
        self.order: list[RunSummary] = []

    def __len__(self) -> int:
        return len(self.order)

    def get(self, run_id: str) -> RunSummary | None:
        return self._by_id.get(run_id)

    def replace_all(self, runs: Iterable[RunSummary]) -> None:
        self._by_id = {r.run_id: r for r in runs}
        self._resort()

    def upsert(self, run: RunSummary) -> None:
        self._by_id[run.run_id] = run
        self._resort()

    def remove(self, run_id: str) -> None:
        if self._by_id.pop(run_id, None) is not None:
            self._resort()

    def index_of(self, run_id: str) -> int | None:
        for index, run in enumerate(self.order):
            if run.run_id == run_id:
                return index
        return None

    def _resort(self) -> None:
        self.order = sorted(self._by_id.values(), key=lambda r: r.sort_key, reverse=True)


def row_key(call: Call, scope: str) -> RowKey:
    """Order inside one run: seq; in the interleaved stream: start time, then run, then seq."""
    seq, name = call_sort_key(call)
    if scope == ALL_RUNS:
        return (call_ts_key(call), call.run_id, seq, name)
    return (0.0, "", seq, name)


def insert_after_equals(rows: list[Call], call: Call, scope: str) -> int:
    """Insert ``call`` into ``rows`` (sorted by ``row_key``) after any equal keys; its index.

    A landing is nearly always the newest call of its run (and of the stream): one key
    comparison with the last row appends it, instead of a bisect that formats a key at every
    step (a flood of landings paid ~17 keys a call)."""
    key = row_key(call, scope)
    count = len(rows)
    if not count or row_key(rows[-1], scope) <= key:
        rows.append(call)
        return count
    position = bisect_right(rows, key, key=lambda c: row_key(c, scope))
    rows.insert(position, call)
    return position


class CallIndex:
    """Every known call, per run, ordered by seq (one entry per fixture file).

    A call is found by its file name with a bisect of its run's rows; only the few calls whose
    file name does not give their place (``ordering.placed_by_name``) are in a map, so a
    million calls cost no per-call map entry here.
    """

    def __init__(self) -> None:
        self.by_run: dict[str, list[Call]] = {}
        self._odd: dict[Path, Call] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def replace_all(self, calls_by_run: dict[str, list[Call]]) -> None:
        self.by_run = {}
        self._odd = {}
        count = 0
        for run_id, calls in calls_by_run.items():
            ordered = list(calls)  # the store hands them over in row_key order already
            self.by_run[run_id] = ordered
            count += len(ordered)
            for call in ordered:
                if not placed_by_name(call):
                    self._odd[call.path] = call
        self._count = count

    def previous(self, call: Call) -> Call | None:
        """The version of this file shown so far (None if new)."""
        if self._odd:
            old = self._odd.get(call.path)
            if old is not None:
                return old
        return find_by_name(self.by_run.get(call.run_id, ()), call.name)

    def upsert(self, call: Call) -> Call | None:
        """Add or replace the call for ``call.path``; returns the version it replaced."""
        old = self.previous(call)
        calls = self.by_run.setdefault(call.run_id, [])
        if old is not None:
            _remove(self.by_run.get(old.run_id, []), old, old.run_id)
            if self._odd:
                self._odd.pop(old.path, None)
        else:
            self._count += 1
        insert_after_equals(calls, call, call.run_id)
        if not placed_by_name(call):
            self._odd[call.path] = call
        return old

    def drop_run(self, run_id: str) -> None:
        for call in self.by_run.pop(run_id, []):
            self._count -= 1
            if self._odd:
                self._odd.pop(call.path, None)

    def scope(self, scope: str) -> Iterator[Call]:
        if scope != ALL_RUNS:
            yield from self.by_run.get(scope, ())
            return
        everything = [c for calls in self.by_run.values() for c in calls]
        everything.sort(key=lambda c: row_key(c, ALL_RUNS))
        yield from everything


def _remove(rows: list[Call], call: Call, scope: str) -> int | None:
    """Remove the row holding ``call.path``; returns its former index."""
    key = row_key(call, scope)
    start = bisect_left(rows, key, key=lambda c: row_key(c, scope))
    for index in range(start, min(len(rows), start + 64)):
        if rows[index].same_file(call):
            del rows[index]
            return index
    for index, row in enumerate(rows):  # key changed under us: fall back to a scan
        if row.same_file(call):
            del rows[index]
            return index
    return None


class CallRows:
    """The calls pane's rows: one scope (a run, or ``ALL_RUNS``), filtered by a query.

    The rows are a ``RowList`` (sorted blocks): a landing in the middle of a million rows
    costs a block's worth of work, not the whole list's."""

    def __init__(self, scope: str = ALL_RUNS, query: Query | None = None) -> None:
        self.scope = scope
        self.query = query or Query()
        self.rows: RowList[Call] = RowList(self._key)

    def _key(self, call: Call) -> RowKey:
        return row_key(call, self.scope)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> Call:
        return self.rows[index]

    def rebuild(self, index: CallIndex) -> None:
        query = self.query
        if query.empty:
            self.rows.replace(list(index.scope(self.scope)))
        else:
            self.rows.replace([c for c in index.scope(self.scope) if query.matches(c)])

    def in_scope(self, call: Call) -> bool:
        return self.scope == ALL_RUNS or call.run_id == self.scope

    def apply(self, call: Call, old: Call | None) -> int | None:
        """Reflect a new or changed call; returns the row index it now has (None if hidden)."""
        if old is not None and (self.scope == ALL_RUNS or old.run_id == self.scope):
            at = self.rows.find(self._key(old), old.same_file)
            if at is not None:
                self.rows.pop(at)
        if not self.in_scope(call) or not self.query.matches(call):
            return None
        return self.rows.insert(call)

    def position(self, call: Call) -> int | None:
        """Row index of the file ``call.path`` refers to."""
        return self.rows.find(self._key(call), call.same_file)

    def next_failure(
        self, start: int, step: int, flagged: Callable[[Call], bool] | None = None
    ) -> int | None:
        """Next row (by ``step``) that failed, or that ``flagged`` marks (a finding)."""
        for index, row in self.rows.walk(start + step, step):
            if row.status in FAILURE_STATUSES or (flagged is not None and flagged(row)):
                return index
        return None
