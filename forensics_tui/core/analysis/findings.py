"""Silent-failure findings: what went wrong in a call even when its status says ``ok``.

Each detector is a pure function over fixtures (and, for the comparative kinds, the last
known-good data handed in by :mod:`forensics_tui.core.analysis`), so they are cheap to test, to
cache per file, and to run off the UI thread.  Evidence sentences quote the fields that prove
the finding (``output.body.error = "token_expired"``); they are built from fixture data and
must still be shown as plain, sanitised text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from forensics_tui.core.analysis.classify import Classification, classify, error_text, finding_kind
from forensics_tui.core.analysis.shapes import Shape, compare_shapes
from forensics_tui.core.model import Call, Fixture
from forensics_tui.core.sanitize import safe_line

__all__ = [
    "FAILED_KINDS",
    "FINDING_KINDS",
    "SEVERITY",
    "Finding",
    "call_finding",
    "detect_call",
    "detect_missing_calls",
    "detect_schema_drift",
    "detect_skipped",
    "error_message",
    "format_error",
    "ordinal",
]

FINDING_KINDS: tuple[str, ...] = (
    "auth_expiry",
    "soft_error",
    "schema_drift",
    "partial_step",
    "rate_limited",
    "error",
    "timeout",
    "unreachable",
    "auth",
    "upstream",
)
FAILED_KINDS = frozenset({"error", "timeout", "unreachable", "auth", "upstream"})
"""Finding kinds of failed calls (plus ``rate_limited`` when the call failed): always fatal."""
SEVERITY: dict[str, str] = {
    "auth_expiry": "high",
    "soft_error": "high",
    "partial_step": "high",
    "error": "high",
    "timeout": "high",
    "unreachable": "high",
    "auth": "high",
    "upstream": "high",
    "schema_drift": "medium",
    "rate_limited": "medium",
}


@dataclass(slots=True, frozen=True)
class Finding:
    """One finding; ``call_id`` is None when it is about a call that is missing."""

    kind: str
    run_id: str
    call_id: str | None
    tool: str
    severity: str
    evidence: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "run_id": self.run_id,
            "call_id": self.call_id,
            "tool": self.tool,
            "severity": self.severity,
            "evidence": self.evidence,
        }


def _finding(kind: str, fixture: Fixture | Call, evidence: str) -> Finding:
    return Finding(
        kind, fixture.run_id, fixture.call_id, fixture.tool, SEVERITY[kind], safe_line(evidence)
    )


def format_error(error: Any) -> str | None:
    """``"<type>: <message>"`` for a fixture's ``error`` object (None when there is none)."""
    return error_text(error) or None


def error_message(fixture: Fixture) -> str | None:
    """The fixture's error as one line, if it has one."""
    return format_error(fixture.error)


def call_finding(fixture: Fixture | Call, classification: Classification) -> Finding | None:
    """The finding a call's classification raises (None for a healthy call)."""
    kind = finding_kind(classification)
    if kind is None:
        return None
    return _finding(kind, fixture, classification.evidence)


def detect_call(fixture: Fixture) -> list[Finding]:
    """Findings that need only the fixture itself: one per call, from :func:`classify`."""
    found = call_finding(fixture, classify(fixture))
    return [found] if found is not None else []


def detect_schema_drift(
    call: Fixture | Call, shape: Shape, baseline_shape: Shape, baseline_run: str
) -> Finding | None:
    """``schema_drift`` when an ok call's output shape differs from its last known-good one."""
    if call.status != "ok" or baseline_shape is shape:  # one shared object: the same shape
        return None
    drift = compare_shapes(baseline_shape, shape)
    if not drift:
        return None
    return _finding(
        "schema_drift",
        call,
        f"output shape differs from last known-good run {baseline_run}: {drift.describe()}",
    )


def detect_skipped(run_id: str, calls: Iterable[tuple[str, str, str, int]], run_status: str) -> list[Finding]:  # fmt: skip
    """``partial_step`` for each skipped call ``(call_id, tool, status, seq)`` of a run that
    claims success; ``#seq`` is the call's sequence number, as on every surface."""
    if run_status != "ok":
        return []
    return [
        Finding(
            "partial_step",
            run_id,
            call_id,
            tool,
            SEVERITY["partial_step"],
            safe_line(f'{tool} #{seq} has status = "skipped" while the run\'s status is "ok"'),
        )
        for call_id, tool, status, seq in calls
        if status == "skipped"
    ]


def detect_missing_calls(
    run_id: str,
    tools: Iterable[str],
    baseline_run: str,
    baseline_tools: Sequence[str],
    run_status: str,
    baseline_parents: Sequence[str | None] = (),
) -> list[Finding]:
    """``partial_step`` (with no call id) for each tool the run called fewer times than its
    last known-good run did, while the run claims success.

    A missing call's missing children (its HTTP calls, linked by ``meta.parent_call`` in the
    baseline run) are one step with it: named in its finding, never a finding of their own.
    """
    if run_status != "ok":
        return []
    have, had = Counter(tools), Counter(baseline_tools)
    short = {tool for tool, count in had.items() if have[tool] < count}
    parents: dict[str, set[str | None]] = {}
    for n, tool in enumerate(baseline_tools):
        parent = baseline_parents[n] if n < len(baseline_parents) else None
        parents.setdefault(tool, set()).add(parent)
    children: dict[str, list[str]] = {}
    for tool in short:
        owners = parents.get(tool, {None})
        owner = next(iter(owners)) if len(owners) == 1 else None
        if owner is not None and owner != tool and owner in short:
            children.setdefault(owner, []).append(tool)
    folded = {child for kids in children.values() for child in kids}
    out: list[Finding] = []
    for tool, count in had.items():
        if tool not in short or tool in folded:
            continue
        missing = ", ".join(ordinal(n) for n in range(have[tool] + 1, count + 1))
        with_kids = ""
        if children.get(tool):
            with_kids = f" and its own {', '.join(sorted(children[tool]))} call(s)"
        evidence = (
            f"run made {have[tool]} {tool} call(s); last known-good run {baseline_run} made "
            f'{count} (missing the {missing}{with_kids}) while the run\'s status is "ok"'
        )
        out.append(Finding("partial_step", run_id, None, tool, "high", safe_line(evidence, 300)))
    return out


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``: occurrences are words, ``#N`` is a sequence number."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
