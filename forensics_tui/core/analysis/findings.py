"""Silent-failure findings: what went wrong in a call even when its status says ``ok``.

Each detector is a pure function over fixtures (and, for the comparative kinds, the last
known-good data handed in by :mod:`forensics_tui.core.analysis`), so they are cheap to test, to
cache per file, and to run off the UI thread.  Evidence sentences quote the fields that prove
the finding (``output.body.error = "token_expired"``); they are built from fixture data and
must still be shown as plain, sanitised text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from forensics_tui.core.analysis.shapes import Shape, compare_shapes
from forensics_tui.core.analysis.signals import AUTH_WORDS, RATE_WORDS, Signals, quote, scan_output
from forensics_tui.core.model import Call, Fixture
from forensics_tui.core.sanitize import safe_line

__all__ = [
    "FINDING_KINDS",
    "SEVERITY",
    "Finding",
    "detect_call",
    "detect_missing_calls",
    "detect_schema_drift",
    "detect_skipped",
    "error_message",
    "format_error",
]

FINDING_KINDS: tuple[str, ...] = (
    "auth_expiry",
    "soft_error",
    "schema_drift",
    "partial_step",
    "rate_limited",
    "error",
    "timeout",
)
SEVERITY: dict[str, str] = {
    "auth_expiry": "high",
    "soft_error": "high",
    "partial_step": "high",
    "error": "high",
    "timeout": "high",
    "schema_drift": "medium",
    "rate_limited": "medium",
}
_TIMEOUT_TYPE = re.compile(r"time[\s_-]?out|deadline", re.IGNORECASE)


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


def _field(path: str, value: Any, root: str = "output") -> str:
    where = f"{root}.{path}" if path and not path.startswith("[") else f"{root}{path}"
    return f"{where} = {quote(value)}"


def format_error(error: Any) -> str | None:
    """``"<type>: <message>"`` for a fixture's ``error`` object (None when there is none)."""
    if isinstance(error, dict):
        kind, message = error.get("type"), error.get("message")
        parts = [str(p) for p in (kind, message) if p]
        return ": ".join(parts) or None
    return str(error) if error else None


def error_message(fixture: Fixture) -> str | None:
    """The fixture's error as one line, if it has one."""
    return format_error(fixture.error)


def _failure(fixture: Fixture, signals: Signals) -> Finding | None:
    message = error_message(fixture)
    error_type = fixture.error.get("type") if isinstance(fixture.error, dict) else None
    timed_out = fixture.status == "timeout" or (
        fixture.status == "error"
        and isinstance(error_type, str)
        and _TIMEOUT_TYPE.search(error_type)
    )
    if not timed_out and fixture.status != "error":
        return None
    kind = "timeout" if timed_out else "error"
    proof = [f"status = {quote(fixture.status)}"]
    if message:
        proof.append(f"error = {quote(message, 120)}")
    proof += [_field(path, code) for path, code in signals.codes[:1]]
    return _finding(kind, fixture, "; ".join(proof))


def _rate_limited(fixture: Fixture, signals: Signals) -> Finding | None:
    proof = [_field(p, c) for p, c in signals.codes if c == 429][:1]
    proof += [_field(p, v) for p, v in signals.retry_after][:1]
    proof += [_field(p, t) for p, t in signals.texts if RATE_WORDS.search(t)][:1]
    message = error_message(fixture)
    if message and (RATE_WORDS.search(message) or re.search(r"\b429\b", message)):
        proof.append(f"error = {quote(message, 120)}")
    if not proof:
        return None
    return _finding("rate_limited", fixture, f"status {fixture.status} with " + "; ".join(proof))


def _auth_expiry(fixture: Fixture, signals: Signals) -> Finding | None:
    proof = [_field(p, c) for p, c in signals.codes if c in (401, 403)][:1]
    proof += [_field(p, t) for p, t in signals.texts if AUTH_WORDS.search(t)][:2]
    if not proof:
        return None
    return _finding("auth_expiry", fixture, "status ok but " + "; ".join(proof))


def _soft_error(fixture: Fixture, signals: Signals) -> Finding | None:
    proof = [_field(p, v) for p, v in signals.errors][:2]
    proof += [_field(p, v) for p, v in signals.flags][:1]
    proof += [_field(p, t) for p, t in signals.text_errors][:1]
    texts = {p for p, _ in signals.text_errors}
    proof += [_field(p, c) for p, c in signals.codes if c >= 400 and p not in texts][:1]
    proof += [_field(p, v) for p, v in signals.bad_status][:1]
    if not proof:
        return None
    return _finding("soft_error", fixture, "status ok but " + "; ".join(proof))


def detect_call(fixture: Fixture) -> list[Finding]:
    """Findings that need only the fixture itself: error, timeout, rate_limited, auth_expiry,
    soft_error.  An auth or rate-limit problem in an ok call is not also a ``soft_error``."""
    if fixture.status == "pending":
        return []
    signals = scan_output(fixture.output)
    found: list[Finding | None] = [_failure(fixture, signals), _rate_limited(fixture, signals)]
    if fixture.status == "ok":
        auth = _auth_expiry(fixture, signals)
        found.append(auth)
        if auth is None and found[1] is None:
            found.append(_soft_error(fixture, signals))
    return [f for f in found if f is not None]


def detect_schema_drift(
    call: Fixture | Call, shape: Shape, baseline_shape: Shape, baseline_run: str
) -> Finding | None:
    """``schema_drift`` when an ok call's output shape differs from its last known-good one."""
    if call.status != "ok":
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
    """``partial_step`` for each skipped call ``(call_id, tool, status, occurrence)`` of a run
    that claims success."""
    if run_status != "ok":
        return []
    return [
        Finding(
            "partial_step",
            run_id,
            call_id,
            tool,
            SEVERITY["partial_step"],
            safe_line(
                f'{tool} #{occurrence} has status = "skipped" while the run\'s status is "ok"'
            ),
        )
        for call_id, tool, status, occurrence in calls
        if status == "skipped"
    ]


def detect_missing_calls(
    run_id: str,
    tools: Iterable[str],
    baseline_run: str,
    baseline_tools: Iterable[str],
    run_status: str,
) -> list[Finding]:
    """``partial_step`` (with no call id) for each tool the run called fewer times than its
    last known-good run did, while the run claims success."""
    if run_status != "ok":
        return []
    have, had = Counter(tools), Counter(baseline_tools)
    out: list[Finding] = []
    for tool, count in had.items():
        if have[tool] < count:
            missing = ", ".join(f"#{n}" for n in range(have[tool] + 1, count + 1))
            evidence = (
                f"run made {have[tool]} {tool} call(s); last known-good run {baseline_run} made "
                f'{count} (missing {missing}) while the run\'s status is "ok"'
            )
            out.append(
                Finding("partial_step", run_id, None, tool, "high", safe_line(evidence, 300))
            )
    return out
