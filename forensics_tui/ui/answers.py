"""The core analysis model's answers, copied into one immutable value for the UI thread.

``answers_from(analysis)`` runs in a worker: it asks ``core.analysis`` (the one place where
findings, outcomes, kinds and baselines are decided) and keeps only what the panes draw and the
filter matches.  Nothing here decides anything; a missing answer is simply absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["BADGE_KINDS", "Answers", "answers_from"]

BADGE_KINDS = frozenset(
    {"auth_expiry", "soft_error", "schema_drift", "partial_step", "rate_limited"}
)
"""Finding kinds that earn a ⚑ badge (plain ``error``/``timeout`` already show as an icon)."""


@dataclass(frozen=True, slots=True)
class Answers:
    """Per call and per run answers of ``core.analysis.Analysis`` (empty until computed)."""

    findings: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    """call_id -> its badge-worthy findings."""
    counts: dict[str, int] = field(default_factory=dict)
    """run_id -> number of badge-worthy findings (missing-call findings included)."""
    outcomes: dict[str, str] = field(default_factory=dict)
    """run_id -> the run's outcome (``ok``, ``silent_failure``, ``failed``…)."""
    kinds: dict[str, frozenset[str]] = field(default_factory=dict)
    """call_id -> every kind the analysis gives the call: its findings' kinds and, when the
    core classifies calls, its classification."""
    computed: bool = False

    def kinds_of(self, call_id: str) -> frozenset[str]:
        return self.kinds.get(call_id, frozenset())

    def finding_kinds(self, call_id: str) -> frozenset[str]:
        return frozenset(f.kind for f in self.findings.get(call_id, ()))


def _outcome(run_analysis: Any, now: float | None, stale_after_s: float) -> str:
    return str(run_analysis.outcome(now, stale_after_s))


def answers_from(
    analysis: Any, *, now: float | None = None, stale_after_s: float = 600.0
) -> Answers:
    """Refresh ``analysis`` (worker thread) and copy its answers."""
    findings: dict[str, tuple[Any, ...]] = {}
    counts: dict[str, int] = {}
    outcomes: dict[str, str] = {}
    kinds: dict[str, frozenset[str]] = {}
    for run_analysis in analysis.refresh():
        for call_id, found in run_analysis.by_call.items():
            if not call_id:
                continue
            flagged = tuple(f for f in found if f.kind in BADGE_KINDS)
            if flagged:
                findings[call_id] = flagged
            names = {f.kind for f in found}
            if names:
                kinds[call_id] = frozenset(names)
        for call_id, verdict in run_analysis.verdicts.items():
            kinds[call_id] = kinds.get(call_id, frozenset()) | {str(verdict.kind)}
        total = sum(1 for f in run_analysis.findings if f.kind in BADGE_KINDS)
        if total:
            counts[run_analysis.run_id] = total
        outcomes[run_analysis.run_id] = _outcome(run_analysis, now, stale_after_s)
    return Answers(findings, counts, outcomes, kinds, computed=True)
