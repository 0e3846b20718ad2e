"""What the runs before a position leave behind for the questions asked about the runs after it.

Three books, each updated once per analysed run, in run order (docs/ARCHITECTURE.md,
"Analysis at scale"):

* the :class:`~forensics_tui.core.analysis.baseline.BaselineIndex`: last known-good calls
  and runs (every verdict's baseline);
* :class:`PatternBook`: failure signatures and their sightings (recurring-failure promotion);
* :class:`StreakBook`: per tool, the failing streak that reaches the newest run, if any (the
  post-mortem's and the history's *onset*).

Because they are folded run by run, the state after run *p* answers for every run after *p*
without the runs before it: analysis checkpoints (:mod:`.checkpoints`) save a :class:`Ledger`
and a question about the newest run starts from it.  The whole-root analysis folds the same
books from nothing, so the two ways give one answer by construction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from forensics_tui.core.analysis.baseline import BaselineIndex
from forensics_tui.core.analysis.patterns import Pattern, PatternBook, Sighting
from forensics_tui.core.analysis.verdict import RunAnalysis
from forensics_tui.core.model import Call

__all__ = ["Ledger", "Streak", "StreakBook", "call_flagged", "parents_of", "sightings_of"]


def call_flagged(ra: RunAnalysis, call: Call) -> bool:
    """Whether the analysis flagged ``call`` (a call without a verdict: not ok)."""
    verdict = ra.verdicts.get(call.call_id)
    return verdict.flagged if verdict is not None else call.status != "ok"


def _failing(ra: RunAnalysis, call: Call) -> bool:
    return call.status != "pending" and call_flagged(ra, call)


def parents_of(ra: RunAnalysis) -> dict[str, str | None]:
    return {call_id: cv.parent_call for call_id, cv in ra.verdicts.items()}


def sightings_of(ra: RunAnalysis) -> list[Sighting]:
    """The run's failures as pattern sightings: one per cause (a parent and the children that
    failed for its reason are one sighting)."""
    out = []
    for cause in ra.causes:
        cv = ra.verdicts.get(cause.call_id or "")
        occurrence = cv.call.occurrence if cv is not None else 0
        message = cause.message or cause.evidence
        out.append(Sighting(ra.run_id, cause.call_id, cause.tool, occurrence, cause.kind, message))
    return out


@dataclass(slots=True, frozen=True)
class Streak:
    """A tool's failing streak: the run it began in and its first failing call there, and the
    run before it with the call it is compared with (None when it failed from its first run)."""

    run_id: str
    call: Call
    previous_run_id: str | None = None
    previous_call: Call | None = None


@dataclass(slots=True)
class StreakBook:
    """Per tool: its calls in the latest run that had any, and its open failing streak."""

    last: dict[str, tuple[str, tuple[Call, ...]]] = field(default_factory=dict)
    open: dict[str, Streak] = field(default_factory=dict)

    def copy(self) -> StreakBook:
        return StreakBook(dict(self.last), dict(self.open))

    def add(self, ra: RunAnalysis) -> None:
        """Fold one agent run (re-executions are not part of a call's history)."""
        by_tool: dict[str, list[Call]] = {}
        for call in ra.run.calls:
            if not call.deleted:
                by_tool.setdefault(call.tool, []).append(call)
        for tool, calls in by_tool.items():
            first = next((c for c in calls if _failing(ra, c)), None)
            if first is None:
                self.open.pop(tool, None)
            elif tool not in self.open:
                previous = self.last.get(tool)
                if previous is None:
                    self.open[tool] = Streak(ra.run_id, first)
                else:
                    prev_run, prev_calls = previous
                    match = next(
                        (c for c in prev_calls if c.occurrence == first.occurrence), prev_calls[0]
                    )
                    self.open[tool] = Streak(ra.run_id, first, prev_run, match)
            self.last[tool] = (ra.run_id, tuple(calls))


@dataclass(slots=True)
class Ledger:
    """The three books after :attr:`position` runs (re-executions count as positions)."""

    index: BaselineIndex = field(default_factory=BaselineIndex)
    patterns: PatternBook = field(default_factory=PatternBook)
    streaks: StreakBook = field(default_factory=StreakBook)

    @property
    def position(self) -> int:
        return self.index.position

    def copy(self) -> Ledger:
        return Ledger(self.index.copy(), self.patterns.copy(), self.streaks.copy())

    def record(self, ra: RunAnalysis) -> None:
        """Fold one analysed run; call in run order."""
        self.index.record(ra.run, ra.good_calls, ra.good, parents_of(ra))
        if ra.kind == "reexec":
            return  # never a sighting, never part of a call's history
        good = [(gc.call.tool, gc.call.occurrence) for gc in ra.good_calls]
        self.patterns.add_run(self.index.position, ra.run_id, sightings_of(ra), good)
        self.streaks.add(ra)

    def replay(self, analyses: Iterable[RunAnalysis]) -> Ledger:
        """A copy advanced over ``analyses`` (in run order)."""
        out = self.copy()
        for ra in analyses:
            out.record(ra)
        return out

    def pattern_list(self, min_runs: int) -> list[Pattern]:
        return self.patterns.patterns(min_runs)
