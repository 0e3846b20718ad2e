"""The analysis model, computed once: verdicts, findings, baselines, causes, diffs, patterns.

``Analysis(store, config)`` is what the CLI, the TUI and the pytest plugin call
(docs/ARCHITECTURE.md, "Analysis model").  It is pure Python with no
global state, guarded by its own lock, so a UI runs it in a thread worker.  Work is cached at
two levels: per fixture file (stateless findings, output shape, error message; keyed by
mtime/size/status) and per run (comparative findings and baselines).  When a run changes, only
that run and the runs after it are recomputed, and their files are not re-read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from forensics_tui.core.analysis.accept import AcceptedShapes
from forensics_tui.core.analysis.baseline import BaselineIndex, GoodCall, RunBrief, call_is_good
from forensics_tui.core.analysis.classify import Classification
from forensics_tui.core.analysis.diff import CallDiff, diff_calls
from forensics_tui.core.analysis.facts import CallFacts, SharedFacts
from forensics_tui.core.analysis.findings import (
    Finding,
    call_finding,
    detect_missing_calls,
    detect_schema_drift,
    detect_skipped,
    ordinal,
)
from forensics_tui.core.analysis.ledger import Ledger, Streak
from forensics_tui.core.analysis.patterns import Pattern
from forensics_tui.core.analysis.shapes import Shape
from forensics_tui.core.analysis.verdict import (
    Baseline,
    CallVerdict,
    RunAnalysis,
    group_causes,
    run_kind,
    static_outcome,
)
from forensics_tui.core.config import Config
from forensics_tui.core.model import BROKEN, Call, Fixture, Run

__all__ = ["Analysis", "AnalysisError", "CallFacts", "RunAnalysis", "call_subject"]

_HEALTHY = Classification("ok")
_SHAPES_KEPT = 4096  # interned output shapes before the unused ones are looked for


class AnalysisError(Exception):
    """A question the data cannot answer (no baseline, unknown run); the message says why."""


def _fingerprint(run: Run) -> tuple[Any, ...]:
    """What a run's cached analysis depends on; its calls' part is kept as a hash (a tuple per
    call, kept for every run, cost more than the verdicts themselves at a million calls; the
    hash of strings is keyed per process, so file names cannot be crafted to collide)."""
    calls = tuple((c.call_id, c.status, c.mtime_ns, c.size, c.deleted) for c in run.calls)
    return (
        run.status,
        run.task,
        run.is_reexec,
        bool(run.manifest_problem),
        len(calls),
        hash(calls),
    )


class Analysis:
    """Findings and baselines for every run of ``store``, recomputed lazily and incrementally."""

    def __init__(
        self,
        store: Any,
        config: Config | None = None,
        *,
        accepted: AcceptedShapes | None = None,
        start: Ledger | None = None,
    ) -> None:
        self.store = store
        self.config = config or Config()
        self.accepted = accepted if accepted is not None else AcceptedShapes.load(store.root)
        # ``start``: what the runs before the store's first run left behind (a checkpoint, see
        # core.analysis.checkpoints), when the store holds only the newest runs of a root
        self._start = start
        self.on_recorded: Callable[[Ledger], None] | None = None  # after each new run
        self._lock = threading.RLock()
        self._shared = SharedFacts()
        self._runs: list[RunAnalysis] = []
        self._by_id: dict[str, RunAnalysis] = {}
        self._accepted_sig: tuple[Any, ...] | None = None
        # the ledger after the first ``_tail_n`` analysed runs: appending runs (the live case)
        # goes on from it instead of folding every earlier run again
        self._tail: Ledger | None = None
        self._tail_n = -1

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

    def refresh(
        self, progress: Callable[[int, int], None] | None = None, *, until: str | None = None
    ) -> list[RunAnalysis]:
        """Bring every run's analysis up to date with the store; returns them oldest first.

        ``until``: stop after that run (its baselines need only the runs before it), so one
        run's verdict never costs the analysis of the runs after it.
        """
        with self._lock:
            runs = self.store.runs()
            first = self._first_stale(runs)
            stop = len(runs)
            if until is not None:
                stop = next((i + 1 for i, r in enumerate(runs) if r.run_id == until), stop)
            if first >= stop:
                return list(self._runs[:stop])
            if self._tail is not None and self._tail_n == first:
                ledger = self._tail
            else:
                ledger = self._start.copy() if self._start is not None else Ledger()
                for cached in self._runs[:first]:
                    ledger.record(cached)
            self._tail, self._tail_n = None, -1  # not valid until the loop has finished
            fresh = self._runs[:first]
            for i, run in enumerate(runs[first:stop], start=first):
                ra = self._analyse(run, ledger.index)
                ledger.record(ra)
                fresh.append(ra)
                if self.on_recorded is not None:
                    self.on_recorded(ledger)
                if progress is not None:
                    progress(i + 1, len(runs))
            self._runs = fresh
            self._by_id = {ra.run_id: ra for ra in fresh}
            self._tail, self._tail_n = ledger, stop
            if stop == len(runs) and len(self._shared) > _SHAPES_KEPT:
                self._forget_shapes(fresh)
            return list(fresh)

    def adopt(self, facts: CallFacts) -> CallFacts:
        """``facts`` computed elsewhere (a worker process,
        :mod:`~forensics_tui.core.analysis.prefetch`) with this analysis's shared values."""
        return self._shared.facts(facts)

    def remember(self, call: Call, facts: CallFacts) -> None:
        """Keep adopted ``facts`` for ``call``'s current file version (read elsewhere)."""
        call.memo = (call.packed_stat, call.status, facts)

    def _forget_shapes(self, fresh: list[RunAnalysis]) -> None:
        """Keep only the shapes that a call's cached facts still use."""
        used = set()
        for ra in fresh:
            for call in ra.run.calls:
                memo = call.memo
                if memo is not None and memo[2].shape is not None:
                    used.add(id(memo[2].shape))
        self._shared.keep_only(used)

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
            self._tail, self._tail_n = None, -1
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
        """What the file says on its own, kept on the call (``Call.memo``) for the file version
        it was read from: a changed file is a new version, a replaced call starts empty."""
        stat, status = call.packed_stat, call.status
        hit = call.memo
        if hit is not None and hit[0] == stat and hit[1] == status:
            return hit[2]
        facts = CallFacts(Classification(call.status), None, None)
        if call.status not in (BROKEN, "pending") and not call.deleted:
            # read past the store's fixture cache: facts are what is kept, never payloads
            # (a fleet stub's body is fetched here: findings need the payload)
            fixture = self.store.read_fixture(call)
            if isinstance(fixture, Fixture):
                facts = self._shared.of(fixture)
            del fixture
        call.memo = (stat, status, facts)
        return facts

    def _analyse(self, run: Run, index: BaselineIndex) -> RunAnalysis:
        calls = [c for c in run.calls if not c.deleted]
        whole, accepted_tools = self._accepted_key(run)
        kind = run_kind(run)
        reexec = kind == "reexec"
        ra = RunAnalysis(run, _fingerprint(run), (whole, accepted_tools), kind)
        shapes: dict[str, Shape | None] = {}
        found_by_call: dict[str, list[Finding]] = {}
        ids = [c.call_id for c in calls]  # derived on each access: once per call here
        for call, call_id in zip(calls, ids, strict=True):
            facts = self.facts(call)
            status = call.status
            classification = facts.classification if status != BROKEN else _HEALTHY
            found = [f for f in [call_finding(call, classification)] if f is not None]
            baseline: Baseline | None = None
            if reexec:
                baseline = self._reexec_baseline(facts.reexec_of or _label_of(run))
                ra.reexec_of = ra.reexec_of or (baseline.call_id if baseline else None)
            else:
                base = index.last_good_call(call)
                if base is not None:
                    baseline = Baseline(base.call, subject=call, accepted=base.accepted)
                    if facts.shape is not None and base.shape is not None:
                        drift = detect_schema_drift(call, facts.shape, base.shape, base.call.run_id)
                        if drift is not None:
                            found.append(drift)
            shapes[call_id] = facts.shape
            if found:  # most calls have none: no entry, no list
                found_by_call[call_id] = found
            ra.verdicts[call_id] = CallVerdict(
                call,
                classification,
                baseline=baseline,
                parent_call=facts.parent_call,
                endpoint=facts.endpoint,
                cancelled=facts.cancelled,
                message=facts.message,
            )
        status = run.status
        skipped = detect_skipped(
            run.run_id,
            ((i, c.tool, c.status, c.seq) for c, i in zip(calls, ids, strict=True)),
            status,
        )
        for finding in skipped:
            found_by_call.setdefault(finding.call_id or "", []).append(finding)
        # an empty run is "empty" (check says it recorded no calls), not a list of missing steps
        base_run = None if reexec or not calls else index.last_good_run(run)
        missing: list[Finding] = []
        if base_run is not None:
            ra.baseline_run = base_run.run_id
            ra.baseline_run_reason = _run_reason(run, base_run)
            missing = detect_missing_calls(
                run.run_id,
                (c.tool for c in calls),
                base_run.run_id,
                base_run.tools,
                status,
                base_run.parent_tools,
            )
        all_good = bool(calls)
        for call, call_id in zip(calls, ids, strict=True):
            cv = ra.verdicts[call_id]
            of_call: Sequence[Finding] = found_by_call.get(call_id) or ()
            accepted = (whole or call.tool in accepted_tools) and call.status == "ok"
            if accepted:  # an operator's "this is normal now" silences the call's findings
                cv.accepted_findings = tuple(of_call)
            elif of_call:  # most calls have none: the shared empty default, no by_call entry
                cv.findings = of_call
                ra.by_call[call_id] = list(of_call)
            good = call_is_good(call, bool(of_call), accepted)
            all_good = all_good and good
            if good:
                ra.good_calls.append(GoodCall(call, shapes.get(call_id), bool(of_call)))
        active_missing = [] if whole else missing
        ordered = [ra.verdicts[i] for i in ids]
        ra.causes = group_causes(ordered, active_missing)
        folded = {child for cause in ra.causes for child in cause.children}
        for cause in ra.causes:
            if cause.call_id is None or cause.call_id in folded:
                continue
            for finding in ra.by_call.get(cause.call_id, []):
                if cause.children and finding is ra.by_call[cause.call_id][0]:
                    finding = _with_evidence(finding, cause.evidence)
                ra.findings.append(finding)
        ra.findings.extend(active_missing)
        ra.good = all_good and not active_missing and not reexec
        ra.base_outcome = static_outcome(run, ordered, ra.causes)
        return ra

    def _reexec_baseline(self, original_id: str | None) -> Baseline | None:
        original = self.store.call(original_id) if original_id else None
        if original is None:
            return None
        why = f"re-execution of call #{original.seq} {original.tool} of run {original.run_id}"
        return Baseline(original, why=why)

    # -- questions -------------------------------------------------------------------------

    def _ensure(self) -> None:
        self.refresh()

    def run_analysis(self, run_id: str) -> RunAnalysis:
        """One run's verdict; analyses that run and the runs before it, not the ones after."""
        with self._lock:
            self.refresh(until=run_id)
            ra = self._by_id.get(run_id)
        if ra is None:
            raise AnalysisError(f"unknown run {run_id!r}")
        return ra

    def runs(self) -> list[RunAnalysis]:
        with self._lock:
            return self.refresh()

    def verdict(self, call: Call) -> CallVerdict:
        """The verdict of ``call`` (raises ``AnalysisError`` when it is not in the store)."""
        cv = self.run_analysis(call.run_id).verdicts.get(call.call_id)
        if cv is None:
            raise AnalysisError(f"unknown call {call.call_id!r}")
        return cv

    def outcome(self, run_id: str, now: float | None = None) -> str:
        """The run's outcome (what ``runs`` shows and ``check`` gates on)."""
        return self.run_analysis(run_id).outcome(now, self.config.stale_after_s)

    def newest_run(self) -> Run | None:
        """The newest run that is not a re-execution (the default of check, diff, postmortem)."""
        for run in reversed(self.store.runs()):
            if run_kind(run) != "reexec":
                return run
        return None

    def flagged_call(self, run_id: str, tool: str | None = None) -> CallVerdict | None:
        """The first flagged call of ``run_id`` (of ``tool``, when given), in sequence order."""
        ra = self.run_analysis(run_id)
        for call in ra.run.calls:
            cv = ra.verdicts.get(call.call_id)
            if cv is not None and cv.flagged and (tool is None or cv.tool == tool):
                return cv
        return None

    def findings(self, run_id: str | None = None) -> list[Finding]:
        """Findings of one run (or of every run, oldest run first)."""
        if run_id is not None:
            return list(self.run_analysis(run_id).findings)
        return [f for ra in self.runs() for f in ra.findings]

    def call_findings(self, call: Call) -> list[Finding]:
        ra = self.run_analysis(call.run_id)
        return list(ra.by_call.get(call.call_id, []))

    def last_good_call(self, call: Call) -> Call | None:
        """The call ``call`` is compared with (its ``Baseline``), if any."""
        cv = self.run_analysis(call.run_id).verdicts.get(call.call_id)
        return cv.baseline.call if cv is not None and cv.baseline is not None else None

    def baseline(self, call: Call) -> Baseline | None:
        """The baseline of ``call`` with the reason it is that one."""
        return self.verdict(call).baseline

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
                    f"run {against} has no {ordinal(call.occurrence)} {call.tool} call to "
                    f"compare #{call.seq} with"
                )
        else:
            base = self.last_good_call(call)
            if base is None:
                raise AnalysisError(
                    f"no baseline: no earlier known-good run has a {ordinal(call.occurrence)} "
                    f"{call.tool} call (this is #{call.seq})"
                )
        old, new = self.store.load(base), self.store.load(call)
        for item in (old, new):
            if not isinstance(item, Fixture):
                raise AnalysisError(f"cannot load {item}")
        cv = self.verdict(call)
        result = diff_calls(
            old,  # type: ignore[arg-type]
            new,  # type: ignore[arg-type]
            ignore=self.config.diff_ignore,
            index=call.seq,
            subject=call_subject(cv),
        )
        if against is None and cv.baseline is not None:
            result.baseline_reason = cv.baseline.reason
        return result

    def patterns(self, min_runs: int | None = None, *, until: str | None = None) -> list[Pattern]:
        """Every failure signature, promoted first (``min_runs`` defaults to the config's).

        ``until``: only the runs up to that one (what was recurring when it ran), so a
        post-mortem of one run does not analyse the runs after it.
        """
        with self._lock:
            return self._patterns(min_runs, until)

    def _patterns(self, min_runs: int | None, until: str | None = None) -> list[Pattern]:
        limit = min_runs if min_runs is not None else self.config.patterns_min_runs
        return self._ledger(until).pattern_list(limit)

    def _ledger(self, until: str | None = None) -> Ledger:
        """The books after every run (or after run ``until``): baselines, patterns, streaks.
        Call with the lock held, and only read the answer (it may be the live tail)."""
        analyses = self.refresh(until=until)
        if self._tail is not None and self._tail_n == len(analyses):
            return self._tail
        start = self._start if self._start is not None else Ledger()
        return start.replay(analyses)

    def streak(self, tool: str, until: str | None = None) -> Streak | None:
        """``tool``'s failing streak that reaches the newest run (or run ``until``), if any."""
        with self._lock:
            return self._ledger(until).streaks.open.get(tool)

    def run_named(self, run_id: str) -> Run | None:
        """The run ``run_id``: from the store, or (for a store that starts at a checkpoint)
        its directory's manifest, which is all a run before the checkpoint is asked for."""
        run = self.store.run(run_id)
        if run is not None or self._start is None:
            return run
        from forensics_tui.core.storage.scan import run_without_calls

        return run_without_calls(self.store.root, run_id)


def call_subject(cv: CallVerdict) -> str:
    """``send_notification #5 (POST https://hooks.example/notify)``: how a root-cause line
    names what failed."""
    name = f"{cv.tool} #{cv.seq}"
    return f"{name} ({cv.endpoint})" if cv.endpoint else name


def _label_of(run: Run) -> str | None:
    value = run.labels.get("reexec_of")
    return value if isinstance(value, str) else None


def _run_reason(run: Run, base: RunBrief) -> str:
    if run.task is not None and base.task is not None:
        scope = f"of task {run.task}"
    else:
        scope = "that starts with the same tool"
    return (
        f"run {base.run_id} is the most recent earlier run {scope} whose calls were all "
        "known-good (used for missing steps)"
    )


def _with_evidence(finding: Finding, evidence: str) -> Finding:
    return replace(finding, evidence=evidence)
