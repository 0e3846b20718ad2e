"""The analysis facade: findings, last known-good baselines, diffs and patterns for a store.

``Analysis(store, config)`` is what the CLI and the TUI call.  It is pure Python with no
global state, guarded by its own lock, so a UI runs it in a thread worker.  Work is cached at
two levels: per fixture file (stateless findings, output shape, error message; keyed by
mtime/size/status) and per run (comparative findings and baselines).  When a run changes, only
that run and the runs after it are recomputed, and their files are not re-read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from forensics_tui.core.analysis.accept import AcceptedShapes
from forensics_tui.core.analysis.baseline import BaselineIndex, GoodCall, call_is_good
from forensics_tui.core.analysis.diff import CallDiff, diff_calls
from forensics_tui.core.analysis.findings import (
    Finding,
    detect_call,
    detect_missing_calls,
    detect_schema_drift,
    detect_skipped,
    error_message,
)
from forensics_tui.core.analysis.patterns import Pattern, Sighting, find_patterns
from forensics_tui.core.analysis.shapes import Shape, output_shape
from forensics_tui.core.config import Config
from forensics_tui.core.model import BROKEN, Call, Fixture, Run

__all__ = ["Analysis", "AnalysisError", "CallFacts", "RunAnalysis"]


class AnalysisError(Exception):
    """A question the data cannot answer (no baseline, unknown run); the message says why."""


@dataclass(slots=True, frozen=True)
class CallFacts:
    """What one fixture file says on its own (cached until the file changes)."""

    findings: tuple[Finding, ...]
    shape: Shape | None
    message: str | None  # the error message, for failure signatures


@dataclass(slots=True)
class RunAnalysis:
    run: Run
    fingerprint: tuple[Any, ...]
    accepted: tuple[bool, frozenset[str]]  # whole run accepted, accepted tools
    findings: list[Finding] = field(default_factory=list)  # call order, call-less last
    by_call: dict[str, list[Finding]] = field(default_factory=dict)
    baselines: dict[str, Call] = field(default_factory=dict)  # call_id -> last known-good match
    baseline_run: str | None = None
    good_calls: list[GoodCall] = field(default_factory=list)
    good: bool = False

    @property
    def run_id(self) -> str:
        return self.run.run_id


def _fingerprint(run: Run) -> tuple[Any, ...]:
    calls = tuple((c.call_id, c.status, c.mtime_ns, c.size, c.deleted) for c in run.calls)
    return (run.status, run.task, run.is_reexec, calls)


class Analysis:
    """Findings and baselines for every run of ``store``, recomputed lazily and incrementally."""

    def __init__(
        self, store: Any, config: Config | None = None, *, accepted: AcceptedShapes | None = None
    ) -> None:
        self.store = store
        self.config = config or Config()
        self.accepted = accepted if accepted is not None else AcceptedShapes.load(store.root)
        self._lock = threading.RLock()
        self._facts: dict[str, tuple[tuple[int, int, str], CallFacts]] = {}
        self._runs: list[RunAnalysis] = []
        self._by_id: dict[str, RunAnalysis] = {}
        self._accepted_sig: tuple[Any, ...] | None = None

    # -- maintenance -----------------------------------------------------------------------

    def reload_accepted(self) -> None:
        """Re-read ``.accepted.json`` (after ``accept`` ran elsewhere)."""
        with self._lock:
            self.accepted = AcceptedShapes.load(self.store.root)

    def accept(self, run_id: str, tool: str | None = None) -> None:
        """Accept ``run_id`` (or one tool of it) as known-good and save the record."""
        with self._lock:
            self.accepted = AcceptedShapes.load(self.store.root)
            self.accepted.add(run_id, tool)
            self.accepted.save(self.store.root)

    def refresh(self, progress: Callable[[int, int], None] | None = None) -> list[RunAnalysis]:
        """Bring every run's analysis up to date with the store; returns them oldest first."""
        with self._lock:
            runs = self.store.runs()
            first = self._first_stale(runs)
            index = BaselineIndex()
            for cached in self._runs[:first]:
                index.record(cached.run, cached.good_calls, cached.good)
            fresh = self._runs[:first]
            for i, run in enumerate(runs[first:], start=first):
                fresh.append(self._analyse(run, index))
                if progress is not None:
                    progress(i + 1, len(runs))
            self._runs = fresh
            self._by_id = {ra.run_id: ra for ra in fresh}
            live = {os_path for ra in fresh for os_path in (str(c.path) for c in ra.run.calls)}
            for stale in [p for p in self._facts if p not in live]:
                del self._facts[stale]
            return list(fresh)

    def _accepted_key(self, run: Run) -> tuple[bool, frozenset[str]]:
        whole = self.accepted.covers(run.run_id)
        tools = frozenset(c.tool for c in run.calls if self.accepted.covers(run.run_id, c.tool))
        return whole, tools

    def _first_stale(self, runs: list[Run]) -> int:
        """Index of the first run whose cached analysis no longer holds."""
        check_accepted = self.accepted.signature() != self._accepted_sig
        self._accepted_sig = self.accepted.signature()
        for i, run in enumerate(runs):
            if i >= len(self._runs):
                return i
            cached = self._runs[i]
            if check_accepted and cached.accepted != self._accepted_key(run):
                return i
            if cached.run is run:
                continue
            if cached.run_id != run.run_id or cached.fingerprint != _fingerprint(run):
                return i
            cached.run = run
        return len(runs)

    def invalidate(self, run_id: str | None = None) -> None:
        """Forget cached results from ``run_id`` on (everything when None)."""
        with self._lock:
            if run_id is None:
                self._runs, self._by_id = [], {}
                return
            for i, cached in enumerate(self._runs):
                if cached.run_id == run_id:
                    del self._runs[i:]
                    self._by_id = {ra.run_id: ra for ra in self._runs}
                    return

    # -- per-run computation ---------------------------------------------------------------

    def facts(self, call: Call) -> CallFacts:
        key = (call.mtime_ns, call.size, call.status)
        path = str(call.path)
        hit = self._facts.get(path)
        if hit is not None and hit[0] == key:
            return hit[1]
        facts = CallFacts((), None, None)
        if call.status not in (BROKEN, "pending") and not call.deleted:
            fixture = self.store.load(call)
            if isinstance(fixture, Fixture):
                shape = output_shape(fixture.output) if fixture.status == "ok" else None
                found = tuple(detect_call(fixture))
                facts = CallFacts(found, shape, error_message(fixture))
        self._facts[path] = (key, facts)
        return facts

    def _analyse(self, run: Run, index: BaselineIndex) -> RunAnalysis:
        calls = [c for c in run.calls if not c.deleted]
        whole, accepted_tools = self._accepted_key(run)
        ra = RunAnalysis(run, _fingerprint(run), (whole, accepted_tools))
        shapes: dict[str, Shape | None] = {}
        for call in calls:
            facts = self.facts(call)
            found = list(facts.findings)
            base = index.last_good_call(call)
            if base is not None:
                ra.baselines[call.call_id] = base.call
                if facts.shape is not None and base.shape is not None:
                    drift = detect_schema_drift(call, facts.shape, base.shape, base.call.run_id)
                    if drift is not None:
                        found.append(drift)
            shapes[call.call_id] = facts.shape
            ra.by_call[call.call_id] = found
        status = run.status
        skipped = detect_skipped(
            run.run_id, ((c.call_id, c.tool, c.status, c.occurrence) for c in calls), status
        )
        for finding in skipped:
            ra.by_call.setdefault(finding.call_id or "", []).append(finding)
        base_run = index.last_good_run(run)
        missing: list[Finding] = []
        if base_run is not None:
            ra.baseline_run = base_run.run_id
            missing = detect_missing_calls(
                run.run_id,
                (c.tool for c in calls),
                base_run.run_id,
                (c.tool for c in base_run.calls if not c.deleted),
                status,
            )
        for call in calls:
            ra.findings.extend(ra.by_call.get(call.call_id, []))
        ra.findings.extend(missing)
        all_good = bool(calls)
        for call in calls:
            accepted = whole or call.tool in accepted_tools
            good = call_is_good(call, bool(ra.by_call.get(call.call_id)), accepted)
            all_good = all_good and good
            if good:
                ra.good_calls.append(GoodCall(call, shapes.get(call.call_id)))
        ra.good = all_good and (whole or not missing)
        index.record(run, ra.good_calls, ra.good)
        return ra

    # -- questions -------------------------------------------------------------------------

    def _ensure(self) -> None:
        self.refresh()

    def run_analysis(self, run_id: str) -> RunAnalysis:
        with self._lock:
            self._ensure()
            ra = self._by_id.get(run_id)
        if ra is None:
            raise AnalysisError(f"unknown run {run_id!r}")
        return ra

    def runs(self) -> list[RunAnalysis]:
        with self._lock:
            return self.refresh()

    def findings(self, run_id: str | None = None) -> list[Finding]:
        """Findings of one run (or of every run, oldest run first)."""
        if run_id is not None:
            return list(self.run_analysis(run_id).findings)
        return [f for ra in self.runs() for f in ra.findings]

    def call_findings(self, call: Call) -> list[Finding]:
        ra = self.run_analysis(call.run_id)
        return list(ra.by_call.get(call.call_id, []))

    def last_good_call(self, call: Call) -> Call | None:
        """The matching call in the last known-good run for ``call``, if any."""
        return self.run_analysis(call.run_id).baselines.get(call.call_id)

    def last_good_run(self, run_id: str) -> Run | None:
        base = self.run_analysis(run_id).baseline_run
        return self.store.run(base) if base else None

    def diff(self, call: Call, *, against: str | None = None) -> CallDiff:
        """``call`` against its last known-good match (or its match in run ``against``)."""
        if against is not None:
            if self.store.run(against) is None:
                raise AnalysisError(f"unknown run {against!r}")
            base = self.store.matching(call, against)
            if base is None:
                raise AnalysisError(
                    f"run {against} has no {call.tool} #{call.occurrence} to compare with"
                )
        else:
            base = self.last_good_call(call)
            if base is None:
                raise AnalysisError(
                    f"no baseline: no earlier known-good run has {call.tool} #{call.occurrence}"
                )
        old, new = self.store.load(base), self.store.load(call)
        for item in (old, new):
            if not isinstance(item, Fixture):
                raise AnalysisError(f"cannot load {item}")
        return diff_calls(old, new, ignore=self.config.diff_ignore, index=call.occurrence)  # type: ignore[arg-type]

    def patterns(self, min_runs: int | None = None) -> list[Pattern]:
        """Every failure signature, promoted first (``min_runs`` defaults to the config's)."""
        with self._lock:
            return self._patterns(min_runs)

    def _patterns(self, min_runs: int | None) -> list[Pattern]:
        analyses = self.refresh()
        calls: dict[str, Call] = {}
        sightings: list[Sighting] = []
        good: dict[tuple[str, int], list[str]] = {}
        for ra in analyses:
            for call in ra.run.calls:
                calls[call.call_id] = call
            for gc in ra.good_calls:
                good.setdefault((gc.call.tool, gc.call.occurrence), []).append(ra.run_id)
            for f in ra.findings:
                call = calls.get(f.call_id) if f.call_id else None
                message = f.evidence
                if call is not None and f.kind in ("error", "timeout"):
                    message = self.facts(call).message or f.evidence
                occurrence = call.occurrence if call is not None else 0
                sightings.append(Sighting(f.run_id, f.call_id, f.tool, occurrence, f.kind, message))
        order = [ra.run_id for ra in analyses]
        limit = min_runs if min_runs is not None else self.config.patterns_min_runs
        return find_patterns(order, sightings, good, min_runs=limit)
