"""Last known-good bookkeeping (DESIGN.md, "Matching across runs").

Runs are analysed oldest to newest; after each run, :class:`BaselineIndex` records which of its
calls (and whether the run as a whole) are known-good, so the next run asks "what is my last
known-good match?" in O(1) instead of walking back through every earlier run.

* A call is known-good when its status is ``ok`` and it has no finding, or an operator accepted
  its shape (``forensics-tui accept``), which still requires status ``ok``; and no earlier call
  of its run failed, was skipped or carries a finding (pending calls aside).  A call downstream
  of a failure may have been fed bad data (the upsert after a drifted fetch writes zeros, the
  notification after a skipped batch reports a wrong count), so it is no baseline: comparing
  with it would blame the agent's input for what is really an upstream failure.
* A run is known-good when it is not a re-execution and every call in it is known-good with
  no run-level finding (a whole-run acceptance covers findings, not failed calls).
* The last known-good run of a run is the most recent earlier good run of the same task when
  both name one (a run without a task, or a candidate without one, matches any).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forensics_tui.core.model import Call, Run
from forensics_tui.core.shapes import Shape

__all__ = ["BaselineIndex", "GoodCall", "call_is_good"]


@dataclass(slots=True, frozen=True)
class GoodCall:
    """A known-good call and its output shape (None when it could not be loaded)."""

    call: Call
    shape: Shape | None


def call_is_good(call: Call, has_findings: bool, accepted: bool) -> bool:
    if call.deleted or call.status != "ok":
        return False
    return accepted or not has_findings


@dataclass(slots=True)
class BaselineIndex:
    """Known-good calls and runs seen so far, keyed for the questions later runs ask."""

    calls: dict[tuple[str, int], GoodCall] = field(default_factory=dict)
    runs_by_task: dict[str | None, tuple[int, Run]] = field(default_factory=dict)
    latest_run: tuple[int, Run] | None = None
    position: int = 0

    def last_good_call(self, call: Call) -> GoodCall | None:
        if call.occurrence <= 0:
            return None
        return self.calls.get((call.tool, call.occurrence))

    def last_good_run(self, run: Run) -> Run | None:
        if run.task is None:
            return self.latest_run[1] if self.latest_run else None
        candidates = [
            c for c in (self.runs_by_task.get(run.task), self.runs_by_task.get(None)) if c
        ]
        return max(candidates, key=_first)[1] if candidates else None

    def record(self, run: Run, good_calls: list[GoodCall], run_good: bool) -> None:
        """Add one analysed run (call this in run order)."""
        self.position += 1
        if run.is_reexec:
            return
        for good in good_calls:
            self.calls[(good.call.tool, good.call.occurrence)] = good
        if run_good:
            entry = (self.position, run)
            self.runs_by_task[run.task] = entry
            self.latest_run = entry


def _first(item: tuple[int, Any]) -> int:
    return item[0]
