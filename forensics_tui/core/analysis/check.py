"""The CI gate behind ``forensics-tui check``: the run's outcome, with the reasons listed.

``check`` reads the analysis model's outcome (the one ``runs`` shows): it passes ``ok`` and
``running`` runs and fails the others, listing each cause: a failed call, a broken fixture
file, a stale pending call (older than ``stale_after_s`` or its writer gone), a finding, an
empty run.  ``--fail-on`` narrows which finding kinds on *ok* calls count; failed calls and
broken files always do.  Unknown runs and an empty root are usage problems (``CheckError``,
exit 2), distinct from a failing check (exit 1).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from forensics_tui.core.analysis.engine import Analysis
from forensics_tui.core.analysis.findings import FAILED_KINDS, FINDING_KINDS, SEVERITY, Finding
from forensics_tui.core.model import BROKEN, Call, Run
from forensics_tui.core.storage.ordering import ts_key

__all__ = ["CheckError", "CheckReport", "RunCheck", "check_runs", "parse_kinds", "stale_reason"]

ALWAYS_FAIL = FAILED_KINDS


class CheckError(Exception):
    """A usage problem (unknown run, empty root, unknown kind): exit code 2."""


@dataclass(slots=True)
class RunCheck:
    run_id: str
    outcome: str = "ok"
    kind: str = "agent"
    findings: list[Finding] = field(default_factory=list)
    broken: list[dict[str, Any]] = field(default_factory=list)
    run_problems: list[str] = field(default_factory=list)  # empty run, run says it failed

    @property
    def ok(self) -> bool:
        return not self.findings and not self.broken and not self.run_problems

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "outcome": self.outcome,
            "kind": self.kind,
            "findings": [f.to_json() for f in self.findings],
            "broken": list(self.broken),
            "run_problems": list(self.run_problems),
        }


@dataclass(slots=True)
class CheckReport:
    runs: list[RunCheck]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.runs)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "runs": [r.to_json() for r in self.runs]}


def parse_kinds(text: str | Iterable[str] | None) -> frozenset[str]:
    """``"auth_expiry,error"`` → kinds; None means every kind; unknown kinds are an error."""
    if text is None:
        return frozenset(FINDING_KINDS)
    items = text.split(",") if isinstance(text, str) else list(text)
    kinds = {k.strip() for k in items if k.strip()}
    unknown = sorted(kinds - set(FINDING_KINDS))
    if unknown:
        raise CheckError(
            f"unknown finding kind(s): {', '.join(unknown)} (known: {', '.join(FINDING_KINDS)})"
        )
    return frozenset(kinds)


def stale_reason(call: Call, run: Run, now: float, stale_after_s: float) -> str | None:
    """Why a pending call counts as failed, or None while it may still finish."""
    if call.status != "pending":
        return None
    if run.status == "crashed":
        return "still pending, and the process that wrote the run is gone"
    if run.ended_at is not None or run.status in ("ok", "failed"):
        return "still pending after its run ended"
    started = ts_key(call.ts)
    if started == float("inf") and call.mtime_ns:
        started = call.mtime_ns / 1e9
    if started != float("inf") and now - started > stale_after_s:
        return f"still pending after {now - started:.0f} s (stale after {stale_after_s:g} s)"
    return None


def check_runs(
    analysis: Analysis,
    run_ids: Sequence[str] | None = None,
    *,
    fail_on: Iterable[str] | None = None,
    now: float | None = None,
) -> CheckReport:
    """Check ``run_ids`` (default: the newest run that is not a re-execution).

    Only the named runs and the runs before them are analysed (their baselines), never the
    runs after them.
    """
    kinds = parse_kinds(fail_on) if not isinstance(fail_on, frozenset) else fail_on
    store = analysis.store
    if not run_ids:
        newest = analysis.newest_run()
        if newest is None:
            raise CheckError(f"no runs under {store.root}")
        run_ids = [newest.run_id]
    unknown = [r for r in run_ids if store.run(r) is None]
    if unknown:
        raise CheckError(f"unknown run(s): {', '.join(unknown)}")
    now = time.time() if now is None else now
    stale_after = analysis.config.stale_after_s
    report = CheckReport([])
    for run_id in run_ids:
        ra = analysis.run_analysis(run_id)
        outcome = ra.outcome(now, stale_after)
        result = RunCheck(run_id, outcome, ra.kind)
        for finding in ra.findings:
            cv = ra.verdicts.get(finding.call_id or "")
            failed = cv is not None and cv.status in ("error", "timeout")
            if finding.kind in kinds or finding.kind in ALWAYS_FAIL or failed:
                result.findings.append(finding)
        if ra.run.manifest_problem:  # an unreadable run.json, or a run dir refused as a whole
            result.broken.append(
                {"call_id": None, "path": str(ra.run.path), "problem": ra.run.manifest_problem}
            )
        for call in ra.run.calls:
            if call.deleted:
                continue
            if call.status == BROKEN:
                result.broken.append(
                    {"call_id": call.call_id, "path": str(call.path), "problem": call.problem}
                )
        for call, reason in ra.stale_calls(now, stale_after):
            result.findings.append(
                Finding("timeout", run_id, call.call_id, call.tool, SEVERITY["timeout"], reason)
            )
        if outcome == "empty":
            result.run_problems.append("the run recorded no calls")
        elif outcome == "failed" and not result.findings and not result.broken:
            result.run_problems.append(f"the run's status is {ra.run.status!r}")
        elif outcome == "incomplete" and not result.findings:
            result.run_problems.append(f"the run is {ra.run.status}: it never finished")
        report.runs.append(result)
    return report
