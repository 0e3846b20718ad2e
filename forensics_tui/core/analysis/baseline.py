"""Last known-good bookkeeping (docs/ARCHITECTURE.md, "Matching across runs").

Runs are analysed oldest to newest; after each run, :class:`BaselineIndex` records which of its
calls (and whether the run as a whole) are known-good, so the next run asks "what is my last
known-good match?" in O(1) instead of walking back through every earlier run.

* A call is known-good when its status is ``ok`` and it has no finding, or an operator accepted
  its shape (``forensics-tui accept``), which still requires status ``ok`` (docs/ARCHITECTURE.md's rule,
  exactly).  A good call downstream of a failure may have been fed different data (the
  notification after a skipped batch reports another count); the diff verdict copes with that
  by letting a proven upstream cause (timeout, 429, 401/403, 5xx) lead over an incidental
  input change.
* A run is known-good when it is not a re-execution and every call in it is known-good with
  no run-level finding (a whole-run acceptance covers findings, not failed calls).
* The last known-good run of a run is the most recent earlier good run of the same task when
  both name one; when either names none (legacy runs, runs without ``run.json``), the most
  recent one of the same agent (if both name one) that starts with the same tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from forensics_tui.core.analysis.shapes import Shape
from forensics_tui.core.model import Call, Run

__all__ = ["BaselineIndex", "GoodCall", "RunBrief", "call_is_good", "comparable"]


@dataclass(slots=True, frozen=True)
class GoodCall:
    """A known-good call and its output shape (None when it could not be loaded)."""

    call: Call
    shape: Shape | None
    accepted: bool = False  # good because an operator accepted it (it carries findings)


@dataclass(slots=True, frozen=True)
class RunBrief:
    """What a later run needs of a known-good run: how to match it and which steps it took."""

    run_id: str
    task: str | None
    agent: str | None
    tools: tuple[str, ...]  # its calls' tools in order (deleted files left out)
    parent_tools: tuple[str | None, ...] = ()  # each call's parent's tool (meta.parent_call)

    @classmethod
    def of(cls, run: Run, parents: Mapping[str, str | None] | None = None) -> RunBrief:
        calls = [c for c in run.calls if not c.deleted]
        tool_of = {c.call_id: c.tool for c in calls}
        parent_of = parents or {}
        parent_tools = tuple(tool_of.get(parent_of.get(c.call_id) or "") for c in calls)
        return cls(run.run_id, run.task, run.agent, tuple(c.tool for c in calls), parent_tools)

    @property
    def first_tool(self) -> str | None:
        return self.tools[0] if self.tools else None


def call_is_good(call: Call, has_findings: bool, accepted: bool) -> bool:
    if call.deleted or call.status != "ok":
        return False
    return accepted or not has_findings


@dataclass(slots=True)
class BaselineIndex:
    """Known-good calls and runs seen so far, keyed for the questions later runs ask."""

    calls: dict[tuple[str, int], GoodCall] = field(default_factory=dict)
    runs_by_task: dict[str, tuple[int, RunBrief]] = field(default_factory=dict)
    untasked: list[tuple[int, RunBrief]] = field(default_factory=list)  # good runs, no task
    good_runs: list[tuple[int, RunBrief]] = field(default_factory=list)
    position: int = 0  # how many runs were recorded (re-executions included)

    def copy(self) -> BaselineIndex:
        """An independent index to go on from (the entries themselves are immutable)."""
        return BaselineIndex(
            dict(self.calls),
            dict(self.runs_by_task),
            list(self.untasked),
            list(self.good_runs),
            self.position,
        )

    def last_good_call(self, call: Call) -> GoodCall | None:
        if call.occurrence <= 0:
            return None
        return self.calls.get((call.tool, call.occurrence))

    def last_good_run(self, run: Run) -> RunBrief | None:
        """The most recent earlier good run comparable with ``run`` (see :func:`comparable`)."""
        if run.task is not None:
            best = self.runs_by_task.get(run.task)
            for entry in reversed(self.untasked[-_SCAN:]):
                if best is not None and entry[0] < best[0]:
                    break
                if comparable(run, entry[1]):
                    return entry[1]
            return best[1] if best else None
        for entry in reversed(self.good_runs[-_SCAN:]):
            if comparable(run, entry[1]):
                return entry[1]
        return None

    def record(
        self,
        run: Run,
        good_calls: list[GoodCall],
        run_good: bool,
        parents: Mapping[str, str | None] | None = None,
    ) -> None:
        """Add one analysed run (call this in run order); ``parents`` maps its call ids to
        their parent calls' ids."""
        self.position += 1
        if run.is_reexec:
            return
        for good in good_calls:
            self.calls[(good.call.tool, good.call.occurrence)] = good
        if run_good:
            entry = (self.position, RunBrief.of(run, parents))
            self.good_runs.append(entry)
            if run.task is None:
                self.untasked.append(entry)
            else:
                self.runs_by_task[run.task] = entry


_SCAN = 2000  # how far back to look for a comparable run without a task


def _first_tool(run: Run) -> str | None:
    return next((c.tool for c in run.calls if not c.deleted), None)


def comparable(run: Run, other: RunBrief) -> bool:
    """Whether ``other``'s chain is a fair yardstick for ``run``'s (for missing steps).

    Runs that both name a task compare when the task is the same.  Otherwise (a legacy run, a
    run without ``run.json``) they must not name different agents, and must start with the
    same tool: another agent's chain sharing one root says nothing about this run's steps.
    """
    if run.task is not None and other.task is not None:
        return run.task == other.task
    if run.agent is not None and other.agent is not None and run.agent != other.agent:
        return False
    first = _first_tool(run)
    return first is not None and first == other.first_tool
