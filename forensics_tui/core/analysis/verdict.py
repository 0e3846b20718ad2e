"""The analysis model's values: one verdict per call and per run, read by every surface.

:class:`~forensics_tui.core.analysis.engine.Analysis` computes them once (docs/ARCHITECTURE.md,
"Analysis model"); the TUI, ``runs``, ``check``, ``diff``, ``patterns``, ``postmortem`` and the
pytest plugin only read them.  This module holds the values and the two pure rules that are
easiest to get wrong when re-derived: which failing calls are one *cause*, and a run's
*outcome*.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from forensics_tui.core.analysis.baseline import GoodCall
from forensics_tui.core.analysis.classify import Classification
from forensics_tui.core.analysis.findings import Finding, ordinal
from forensics_tui.core.model import BROKEN, Call, Run

__all__ = [
    "OUTCOMES",
    "RUN_KINDS",
    "Baseline",
    "CallVerdict",
    "Cause",
    "RunAnalysis",
    "group_causes",
    "run_kind",
    "static_outcome",
]

OUTCOMES: tuple[str, ...] = ("ok", "running", "silent_failure", "failed", "incomplete", "empty")
"""``running``: live and nothing wrong yet.  Only ``ok`` and ``running`` pass ``check``."""
PASSING_OUTCOMES = frozenset({"ok", "running"})
RUN_KINDS: tuple[str, ...] = ("agent", "reexec", "imported")
_GENERIC = frozenset({"error", "soft_error"})


class Baseline:
    """The call a call is compared with, and why that one (shown wherever a baseline is).

    A baseline exists for nearly every call of a big root and its sentence is read for a few,
    so it holds the calls it speaks of and writes ``reason`` when asked: either ``why`` as
    given, or the last-known-good rule applied to ``subject`` (the call compared) and ``call``
    (its baseline, which may belong to a run only a checkpoint remembers)."""

    __slots__ = ("accepted", "call", "subject", "why")

    def __init__(
        self,
        call: Call,
        *,
        subject: Call | None = None,
        accepted: bool = False,
        why: str | None = None,
    ) -> None:
        self.call = call
        self.subject = subject
        self.accepted = accepted
        self.why = why

    @property
    def call_id(self) -> str:
        return self.call.call_id

    @property
    def run_id(self) -> str:
        return self.call.run_id

    @property
    def seq(self) -> int:
        return self.call.seq

    @property
    def reason(self) -> str:
        if self.why is not None or self.subject is None:
            return self.why or ""
        how = "accepted by an operator" if self.accepted else "ok with no finding"
        subject = self.subject
        return (
            f"last known-good: run {self.run_id} is the most recent earlier run whose "
            f"{ordinal(subject.occurrence)} {subject.tool} call (#{self.seq}) was {how}"
        )

    def _key(self) -> tuple[str, str, int, str]:
        return (self.call_id, self.run_id, self.seq, self.reason)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Baseline) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Baseline(call_id={self.call_id!r}, reason={self.reason!r})"

    def to_json(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "run_id": self.run_id, "seq": self.seq, "reason": self.reason}  # fmt: skip


@dataclass(slots=True)
class CallVerdict:
    """One call's verdict: classification, active findings, baseline, parent link."""

    call: Call
    classification: Classification
    findings: Sequence[Finding] = ()  # active (not accepted); shared while empty
    accepted_findings: tuple[Finding, ...] = ()  # silenced by an operator's ``accept``
    baseline: Baseline | None = None
    parent_call: str | None = None
    endpoint: str | None = None
    cancelled: bool = False
    message: str | None = None  # the error message, detail of the failure signature

    @property
    def call_id(self) -> str:
        return self.call.call_id

    @property
    def seq(self) -> int:
        return self.call.seq

    @property
    def tool(self) -> str:
        return self.call.tool

    @property
    def status(self) -> str:
        return self.call.status

    @property
    def kind(self) -> str:
        """The failure kind: the classification's, else the first finding's (``schema_drift``,
        ``partial_step``), ``broken`` for an unreadable file, else the status (ok, pending)."""
        if self.call.status == BROKEN:
            return "broken"
        if self.classification.problem and (self.findings or not self.classification.silent):
            return self.classification.kind
        if self.findings:
            return self.findings[0].kind
        return self.classification.kind

    @property
    def flagged(self) -> bool:
        """Failed, broken or carrying an active finding: what ``diff`` picks and fixtures
        with which the pytest plugin never hands over as passing cases."""
        failed = self.classification.problem and not self.classification.silent
        return self.call.status == BROKEN or failed or bool(self.findings)

    @property
    def signature(self) -> tuple[str, str] | None:
        """``(tool, kind)`` of a flagged call: the identity of a recurring failure."""
        return (self.tool, self.kind) if self.flagged else None

    def to_json(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "seq": self.seq,
            "tool": self.tool,
            "status": self.status,
            "classification": self.classification.to_json(),
            "kind": self.kind,
            "flagged": self.flagged,
            "findings": [f.to_json() for f in self.findings],
            "baseline": self.baseline.to_json() if self.baseline else None,
            "parent_call": self.parent_call,
            "endpoint": self.endpoint,
        }


@dataclass(slots=True, frozen=True)
class Cause:
    """A reason the run went wrong: a call (or a missing call, ``call_id`` None) and the
    children that failed with it for the same reason."""

    kind: str
    tool: str
    call_id: str | None
    seq: int | None
    evidence: str
    children: tuple[str, ...] = ()
    endpoint: str | None = None
    message: str | None = None

    @property
    def signature(self) -> tuple[str, str]:
        return (self.tool, self.kind)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "tool": self.tool,
            "call_id": self.call_id,
            "seq": self.seq,
            "evidence": self.evidence,
            "children": list(self.children),
            "endpoint": self.endpoint,
        }


def run_kind(run: Run) -> str:
    """``reexec`` (created by re-execution), ``imported`` (from traces), else ``agent``."""
    if run.is_reexec:
        return "reexec"
    labels = run.labels
    manifest = run.manifest if isinstance(run.manifest, dict) else {}
    if labels.get("imported_from") or manifest.get("imported_from"):
        return "imported"
    return "agent"


def _same_reason(parent: CallVerdict, child: CallVerdict) -> bool:
    """A child failed for its parent's reason: cancelled by it, the same kind, or the parent
    only says "error" (the child's specific kind is the explanation)."""
    return child.cancelled or child.kind == parent.kind or parent.kind in _GENERIC


def group_causes(verdicts: Iterable[CallVerdict], missing: Iterable[Finding] = ()) -> list[Cause]:
    """One cause per flagged call, except that a flagged child of a flagged parent (linked by
    ``meta.parent_call``) that failed for the same reason joins its parent's cause."""
    by_id: dict[str, CallVerdict] = {}
    roots: list[CallVerdict] = []
    members: dict[str, list[CallVerdict]] = {}
    for cv in verdicts:
        if not cv.flagged:
            continue
        by_id[cv.call_id] = cv
        parent = by_id.get(cv.parent_call) if cv.parent_call else None
        while parent is not None and parent.parent_call in by_id and parent.call_id not in members:
            parent = by_id[parent.parent_call or ""]
        if parent is not None and parent.call_id in members and _same_reason(parent, cv):
            members[parent.call_id].append(cv)
            continue
        roots.append(cv)
        members[cv.call_id] = []
    causes = [_cause(root, members[root.call_id]) for root in roots]
    causes += [Cause(f.kind, f.tool, None, None, f.evidence, message=f.evidence) for f in missing]
    return causes


def _cause(root: CallVerdict, children: list[CallVerdict]) -> Cause:
    kind = root.kind
    evidence = root.findings[0].evidence if root.findings else root.classification.evidence
    if root.call.status == BROKEN:
        evidence = root.call.problem or "unreadable fixture file"
    endpoint = root.endpoint
    if kind in _GENERIC:
        specific = next((c for c in children if c.kind not in _GENERIC and not c.cancelled), None)
        if specific is not None:
            kind = specific.kind
            evidence = f"{evidence}; child call #{specific.seq} {specific.tool}: " + (
                specific.classification.evidence
            )
            endpoint = endpoint or specific.endpoint
    if children:
        seqs = ", ".join(f"#{c.seq}" for c in children)
        evidence += f" (with child call(s) {seqs} for the same reason)"
    endpoint = endpoint or next((c.endpoint for c in children if c.endpoint), None)
    return Cause(
        kind,
        root.tool,
        root.call_id,
        root.seq,
        evidence,
        tuple(c.call_id for c in children),
        endpoint,
        root.message or evidence,
    )


def static_outcome(run: Run, verdicts: list[CallVerdict], causes: list[Cause]) -> str:
    """The outcome without the clock (stale pending calls are judged by the caller).

    ``empty``: nothing recorded and not running.  ``failed``: the run says so, or a call failed
    (or a file is unreadable) in a run that does not claim success.  ``silent_failure``: the
    run claims ``ok`` (in ``run.json``), or has no claim but only findings, while a cause
    exists.  ``incomplete``: crashed, or ended with calls still pending.
    """
    status = run.status
    live = status == "running"
    failed_call = bool(run.manifest_problem) or any(
        cv.status in ("error", "timeout", BROKEN) for cv in verdicts
    )
    if not verdicts and not failed_call:  # steps it missed are listed, the outcome is this
        return "running" if live else "empty"
    claims_ok = isinstance(run.manifest, dict) and run.manifest.get("status") == "ok"
    if status == "crashed":
        return "failed" if failed_call else "incomplete"
    if status == "failed" or (failed_call and not claims_ok):
        return "failed"
    if causes or failed_call:
        return "silent_failure"
    pending = any(cv.status == "pending" for cv in verdicts)
    if pending and not live:
        return "incomplete"
    return "running" if live else "ok"


@dataclass(slots=True)
class RunAnalysis:
    """One run's verdict (docs/ARCHITECTURE.md, "Analysis model")."""

    run: Run
    fingerprint: tuple[Any, ...]
    accepted: tuple[bool, frozenset[str]]  # whole run accepted, accepted tools
    kind: str = "agent"  # agent | reexec | imported
    findings: list[Finding] = field(default_factory=list)  # one per cause's call, then missing
    by_call: dict[str, list[Finding]] = field(default_factory=dict)  # active findings per call
    verdicts: dict[str, CallVerdict] = field(default_factory=dict)  # call_id -> verdict
    causes: list[Cause] = field(default_factory=list)
    baseline_run: str | None = None  # for missing steps
    baseline_run_reason: str | None = None
    reexec_of: str | None = None  # the original call of a re-execution
    good_calls: list[GoodCall] = field(default_factory=list)
    good: bool = False
    base_outcome: str = "ok"  # without the clock; see ``outcome``

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def first_failure(self) -> Cause | None:
        """The first cause with a call (in sequence order), else the first missing step."""
        return next((c for c in self.causes if c.call_id), self.causes[0] if self.causes else None)

    def outcome(self, now: float | None = None, stale_after_s: float = 600.0) -> str:
        """``ok``, ``running``, ``silent_failure``, ``failed``, ``incomplete`` or ``empty``;
        a live run whose pending call is stale (by ``now``) is ``incomplete``."""
        if self.base_outcome == "running" and self.stale_calls(now, stale_after_s):
            return "incomplete"
        return self.base_outcome

    def stale_calls(self, now: float | None, stale_after_s: float) -> list[tuple[Call, str]]:
        from forensics_tui.core.analysis.check import stale_reason

        when = time.time() if now is None else now
        out = []
        for cv in self.verdicts.values():
            reason = stale_reason(cv.call, self.run, when, stale_after_s)
            if reason is not None:
                out.append((cv.call, reason))
        return out

    def passing(self, now: float | None = None, stale_after_s: float = 600.0) -> bool:
        return self.outcome(now, stale_after_s) in PASSING_OUTCOMES

    def to_json(self, now: float | None = None, stale_after_s: float = 600.0) -> dict[str, Any]:
        first = self.first_failure
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "outcome": self.outcome(now, stale_after_s),
            "first_failure": first.to_json() if first else None,
            "causes": [c.to_json() for c in self.causes],
            "baseline_run": self.baseline_run,
            "baseline_run_reason": self.baseline_run_reason,
            "reexec_of": self.reexec_of,
        }
