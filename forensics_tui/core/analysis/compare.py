"""Compare two runs call by call: where did this run first part from a good one?

The two call chains are aligned on tool names with a longest-matching-blocks alignment
(difflib), so an inserted, skipped or repeated call shifts nothing after it.  Each aligned pair
gets one state (``same``, ``input changed``, ``output changed``, ``status changed``, ``only in
A``, ``only in B``); the *first divergence* is the first pair whose state is not ``same``.
The classification of each call and the baseline run come from :class:`Analysis`; this module
only lines the chains up and compares what the core already decided.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from forensics_tui.core.analysis.engine import Analysis, AnalysisError
from forensics_tui.core.analysis.shapes import Shape, compare_shapes, output_shape
from forensics_tui.core.analysis.treediff import diff_values
from forensics_tui.core.model import Call, Fixture

__all__ = [
    "PAIR_STATES",
    "Comparison",
    "Pair",
    "call_kind",
    "compare_runs",
]

SAME, INPUT, OUTPUT, STATUS = "same", "input changed", "output changed", "status changed"
ONLY_A, ONLY_B = "only in A", "only in B"
PAIR_STATES: tuple[str, ...] = (SAME, INPUT, OUTPUT, STATUS, ONLY_A, ONLY_B)
# A classification change between these two is an output (shape) change, not a status change.
_SHAPE_KINDS = frozenset({"ok", "schema_drift"})


def call_kind(analysis: Analysis, call: Call) -> str:
    """The call's kind as the analysis model decided it (``CallVerdict.kind``: the
    classification's problem, else the first finding's kind, else the status)."""
    try:
        return analysis.verdict(call).kind
    except AnalysisError:
        return call.status


@dataclass(slots=True)
class Side:
    """What one call of a pair looks like, loaded once."""

    call: Call
    kind: str
    input: Any = None
    shape: Shape | None = None
    loaded: bool = False


@dataclass(slots=True)
class Pair:
    a: Side | None
    b: Side | None
    state: str
    why: str

    @property
    def tool(self) -> str:
        side = self.a or self.b
        assert side is not None
        return side.call.tool

    def to_json(self) -> dict[str, Any]:
        return {
            "a_seq": self.a.call.seq if self.a else None,
            "b_seq": self.b.call.seq if self.b else None,
            "tool": self.tool,
            "state": self.state,
        }


@dataclass(slots=True)
class Comparison:
    a: str
    b: str
    pairs: list[Pair] = field(default_factory=list)

    @property
    def first_divergence(self) -> Pair | None:
        return next((p for p in self.pairs if p.state != SAME), None)

    def to_json(self) -> dict[str, Any]:
        first = self.first_divergence
        return {
            "a": self.a,
            "b": self.b,
            "first_divergence": None
            if first is None
            else {**{k: v for k, v in first.to_json().items() if k != "state"}, "why": first.why},
            "pairs": [p.to_json() for p in self.pairs],
        }


def _side(analysis: Analysis, call: Call) -> Side:
    side = Side(call, call_kind(analysis, call))
    if call.status in ("broken", "pending") or call.deleted:
        return side
    fixture = analysis.store.load(call)
    if isinstance(fixture, Fixture):
        side.loaded = True
        side.input = fixture.input
        side.shape = output_shape(fixture.output)
    return side


def _fields(paths: list[str], limit: int = 3) -> str:
    shown = ", ".join(p or "(whole value)" for p in paths[:limit])
    more = len(paths) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _judge(a: Side, b: Side, ignore: tuple[str, ...]) -> tuple[str, str]:
    """The state of an aligned pair and a short reason (A is the run under investigation)."""
    ca, cb = a.call, b.call
    if ca.status != cb.status:
        return STATUS, f"status {cb.status} in B, {ca.status} in A"
    kinds_differ = a.kind != b.kind
    if kinds_differ and {a.kind, b.kind} - _SHAPE_KINDS:
        return STATUS, f"classified {b.kind} in B, {a.kind} in A"
    if a.loaded and b.loaded:
        changes = diff_values(b.input, a.input, ignore=ignore).changes
        if changes:
            return INPUT, f"input changed: {_fields([c.path for c in changes])}"
        if a.shape is not None and b.shape is not None:
            drift = compare_shapes(b.shape, a.shape)
            if drift:
                return OUTPUT, f"output shape changed: {drift.describe(3)}"
    elif a.loaded != b.loaded:
        return STATUS, "unreadable in " + ("B" if a.loaded else "A")
    if kinds_differ:
        return OUTPUT, f"classified {b.kind} in B, {a.kind} in A"
    return SAME, ""


def _calls(analysis: Analysis, run_id: str) -> list[Call]:
    run = analysis.store.run(run_id)
    if run is None:
        raise AnalysisError(f"unknown run {run_id!r}")
    return [c for c in run.calls if not c.deleted]


def default_other(analysis: Analysis, run_id: str) -> str:
    """The run to compare ``run_id`` with when none is named: its last known-good run."""
    base = analysis.last_good_run(run_id)
    if base is None:
        raise AnalysisError(f"run {run_id} has no earlier known-good run to compare with")
    return base.run_id


def compare_runs(analysis: Analysis, a: str, b: str | None = None) -> Comparison:
    """Align run ``a`` with run ``b`` (default: ``a``'s last known-good run)."""
    if b is None:
        b = default_other(analysis, a)
    calls_a, calls_b = _calls(analysis, a), _calls(analysis, b)
    ignore = tuple(analysis.config.diff_ignore)
    out = Comparison(a, b)
    matcher = difflib.SequenceMatcher(
        None, [c.tool for c in calls_a], [c.tool for c in calls_b], autojunk=False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for ca, cb in zip(calls_a[i1:i2], calls_b[j1:j2], strict=True):
                sa, sb = _side(analysis, ca), _side(analysis, cb)
                state, why = _judge(sa, sb, ignore)
                out.pairs.append(Pair(sa, sb, state, why))
            continue
        # Unmatched stretches: B's calls (missing from A) first, then A's extra calls.
        for cb in calls_b[j1:j2]:
            out.pairs.append(Pair(None, Side(cb, call_kind(analysis, cb)), ONLY_B, _gone(cb)))
        for ca in calls_a[i1:i2]:
            out.pairs.append(Pair(Side(ca, call_kind(analysis, ca)), None, ONLY_A, _new(ca)))
    return out


def _gone(call: Call) -> str:
    return f"#{call.seq} {call.tool} of B has no counterpart in A (skipped or removed)"


def _new(call: Call) -> str:
    return f"#{call.seq} {call.tool} of A has no counterpart in B (inserted or repeated)"
