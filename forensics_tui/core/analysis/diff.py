"""Diff of one call against its match in another run, with a one-line root-cause verdict.

This is the answer to "what changed since it last worked?": the output's changed fields, the
input's changed fields, the status change, and a verdict that tells an on-call engineer where
to look (upstream, the agent's own input, or a transient failure).  The structural work is done
by :mod:`forensics_tui.core.analysis.treediff`; this module adds the call-level meaning and the text form
shared by the CLI and the post-mortem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from forensics_tui.core.analysis.classify import Classification, classify, error_text
from forensics_tui.core.analysis.signals import is_error_key, is_status_key, quote
from forensics_tui.core.analysis.treediff import Change, DiffLimits, clip, diff_values
from forensics_tui.core.config import DEFAULT_VOLATILE_FIELDS
from forensics_tui.core.model import Fixture
from forensics_tui.core.sanitize import safe_line

__all__ = [
    "CallDiff",
    "diff_calls",
    "diff_line_style",
    "explain",
    "render_value",
    "run_name",
    "wildcard",
]


@dataclass(slots=True)
class CallDiff:
    """The difference between a call (``run``) and its match in ``baseline_run``."""

    run: str
    baseline_run: str
    tool: str
    index: int
    status_old: str
    status_new: str
    changes: list[Change] = field(default_factory=list)
    input_changes: list[Change] = field(default_factory=list)
    verdict: str = ""
    call_id: str | None = None
    baseline_call_id: str | None = None
    error_old: Any = None
    error_new: Any = None
    notes: list[str] = field(default_factory=list)  # limits hit: the diff is incomplete
    baseline_reason: str | None = None  # why the baseline is that call (analysis model)

    @property
    def input_changed(self) -> bool:
        return bool(self.input_changes)

    @property
    def status_changed(self) -> bool:
        return self.status_old != self.status_new

    def to_json(self) -> dict[str, Any]:
        """The issue's JSON shape (``forensics-tui diff --json``)."""
        return {
            "run": self.run,
            "baseline_run": self.baseline_run,
            "tool": self.tool,
            "index": self.index,
            "input_changed": self.input_changed,
            "input_changes": [c.to_json() for c in self.input_changes],
            "status": {"old": self.status_old, "new": self.status_new},
            "changes": [c.to_json() for c in self.changes],
            "verdict": self.verdict,
            "call_id": self.call_id,
            "baseline_call_id": self.baseline_call_id,
            "baseline_reason": self.baseline_reason,
        }

    def text_lines(self, width: int = 160) -> list[str]:
        """The plain-text form; every fixture string is already sanitised.

        Starts with ``Comparing: run_<baseline> vs run_<run>`` and ends with the verdict line;
        lines starting ``-``/``+`` are old/new values (the CLI colours them by that prefix).
        """
        lines = [f"Comparing: {run_name(self.baseline_run)} vs {run_name(self.run)}"]
        if self.baseline_reason:
            lines.append(f"# baseline: {safe_line(self.baseline_reason, width)}")
        if self.status_changed:
            lines.append(f"- status: {safe_line(self.status_old)}")
            lines.append(f"+ status: {safe_line(self.status_new)}")
        lines.extend(_change_lines(self.changes, "", width))
        if self.input_changes:
            names = safe_line(_fields(self.input_changes, 8), width)
            lines.append(f'"input": changed ({names})')
            lines.extend(_change_lines(self.input_changes, "input", width))
        else:
            lines.append('"input": unchanged')
        lines.extend(f"# {safe_line(note, width)}" for note in self.notes)
        lines.append(f"[forensics] Root cause: {safe_line(self.verdict)}")
        return lines

    def text(self, width: int = 160) -> str:
        return "\n".join(self.text_lines(width))


def run_name(run_id: str) -> str:
    """``run_<id>`` as the seed's output names runs, never ``run_run_…`` (sanitised)."""
    text = safe_line(run_id)
    return text if text.startswith("run_") else f"run_{text}"


def render_value(value: Any, limit: int = 160) -> str:
    """A compact, sanitised, single-line JSON rendering of a fixture value."""
    try:
        text = json.dumps(clip(value), ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return safe_line(text, limit)


_GROUP_WORDS = {
    "changed": "changes",
    "type_changed": "type changes",
    "added": "additions",
    "removed": "removals",
    "item_added": "items added",
    "item_removed": "items removed",
}
_SHOWN_PER_GROUP = 2  # the same field changed in many list items: show two, count the rest


def _change_lines(changes: list[Change], prefix: str, width: int) -> list[str]:
    lines: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for change in changes:
        group = (wildcard(change.path), change.kind)
        seen[group] = seen.get(group, 0) + 1
        if seen[group] > _SHOWN_PER_GROUP and len(changes) > 3 * _SHOWN_PER_GROUP:
            continue
        path = ".".join(p for p in (prefix, change.path) if p) or "(output)"
        if change.path.startswith("["):
            path = f"{prefix}{change.path}" if prefix else change.path
        label = safe_line(path, 100)
        suffix = " (type changed)" if change.kind == "type_changed" else ""
        if change.kind in ("changed", "type_changed", "removed", "item_removed"):
            lines.append(f"- {label}: {render_value(change.old, width)}")
        if change.kind in ("changed", "type_changed", "added", "item_added"):
            lines.append(f"+ {label}: {render_value(change.new, width)}{suffix}")
    for (name, kind), count in seen.items():
        hidden = count - _SHOWN_PER_GROUP
        if hidden > 0 and len(changes) > 3 * _SHOWN_PER_GROUP:
            where = ".".join(p for p in (prefix, name) if p) or "(output)"
            what = _GROUP_WORDS.get(kind, "changes")
            lines.append(
                f"# … {hidden} more {what} at {safe_line(where, 100)} (--json lists them all)"
            )
    return lines


def _error_text(error: Any) -> str | None:
    return error_text(error) or None


_INDEX = re.compile(r"\[\d+\]")


def wildcard(path: str) -> str:
    """``records[2].qty`` → ``records[*].qty``: the same field of every list item."""
    return _INDEX.sub("[*]", path)


def _grouped(changes: list[Change]) -> list[tuple[str, int]]:
    """Changed paths with list indices collapsed, in first-seen order, with their counts."""
    counts: dict[str, int] = {}
    for change in changes:
        name = wildcard(change.path) or "(whole value)"
        counts[name] = counts.get(name, 0) + 1
    return list(counts.items())


def _fields(changes: list[Change], limit: int = 3) -> str:
    groups = _grouped(changes)
    names = [f"{name} ×{n}" if n > 1 else name for name, n in groups[:limit]]
    more = len(groups) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def _salient(changes: list[Change]) -> list[str]:
    """Status-code and error-field changes, quoted: what an on-call engineer looks at first."""
    out: list[str] = []
    for change in changes:
        last = change.path.rsplit(".", 1)[-1].split("[", 1)[0]
        if change.kind in ("changed", "type_changed") and is_status_key(last):
            out.append(f"{change.path} {quote(change.old, 30)} → {quote(change.new, 30)}")
        elif change.kind in ("added", "changed") and is_error_key(last) and change.new:
            out.append(f"{change.path} = {quote(change.new, 60)}")
    return out[:2]


def explain(
    input_changes: list[Change],
    changes: list[Change],
    status_old: str,
    status_new: str,
    error_old: Any = None,
    error_new: Any = None,
    *,
    symptom_new: Classification | None = None,
    output_missing: bool = False,
    subject: str | None = None,
) -> str:
    """The one-line verdict: upstream, the agent's input, transient, or no difference.

    ``symptom_new`` is what the call's own data says went wrong (when the baseline did not
    show the same); a timeout, rate limit, rejected credential, 5xx or unreachable service
    points upstream even when the input changed too.
    """
    err_old, err_new = _error_text(error_old), _error_text(error_new)
    status = f"status {status_old} → {status_new}" if status_old != status_new else ""
    if status and err_new and symptom_new is None:
        status += f" ({err_new})"
    error_changed = err_old != err_new and err_new is not None
    if output_missing and status:
        output_part = "no output recorded"
    elif changes:
        output_part = f"{len(changes)} output field(s) changed: {_fields(changes)}"
    else:
        output_part = ""
    if input_changes and not (symptom_new is not None and symptom_new.upstream):
        verdict = f"input changed: the agent sent different {_fields(input_changes)}"
        extra = [status] if status else []
        if symptom_new is not None:
            extra.append(symptom_new.describe(subject))
        if changes:
            extra.append(f"the output changed with it ({len(changes)} field(s))")
        return "; ".join([verdict, *extra])
    if input_changes and symptom_new is not None:
        parts = [f"upstream dependency issue: {symptom_new.describe(subject)}", status, output_part]
        parts.append(f"the input also changed ({_fields(input_changes)}), unlikely to cause this")
        return "; ".join(p for p in parts if p)
    if changes or (status and output_missing):
        if symptom_new is not None:
            head = f"upstream dependency issue: same input, but {symptom_new.describe(subject)}"
            return "; ".join(p for p in (head, status, output_part) if p)
        salient = _salient(changes)
        if salient:
            head = f"upstream dependency issue: same input, but {'; '.join(salient)}"
            return "; ".join(p for p in (head, status, output_part) if p)
        verdict = (
            "upstream dependency issue: same input, but the output changed "
            f"({len(changes)} field(s): {_fields(changes)})"
        )
        return f"{verdict}; {status}" if status else verdict
    if error_changed and not status:
        return f"upstream dependency issue: same input and output, but the error is now {err_new}"
    if status:
        cause = f" ({symptom_new.describe(subject)})" if symptom_new is not None else ""
        return (
            f"transient/flaky: nothing recorded differs but the {status}{cause}; likely a "
            "transient upstream failure (retry with backoff)"
        )
    return "no difference from the baseline (volatile fields ignored)"


def diff_calls(
    baseline: Fixture,
    current: Fixture,
    *,
    ignore: Iterable[str] = DEFAULT_VOLATILE_FIELDS,
    index: int | None = None,
    limits: DiffLimits | None = None,
    subject: str | None = None,
) -> CallDiff:
    """Diff ``current`` against ``baseline`` (its match in another run); never raises."""
    ignore = tuple(ignore)
    out = diff_values(baseline.output, current.output, ignore=ignore, limits=limits)
    inp = diff_values(baseline.input, current.input, ignore=ignore, limits=limits)
    notes = [f"output: {n}" for n in out.notes] + [f"input: {n}" for n in inp.notes]
    now: Classification | None = classify(current)
    before = classify(baseline)
    if now is not None and (not now.problem or now.kind == before.kind):
        now = None  # healthy, or the baseline had the same problem: it explains nothing
    verdict = explain(
        inp.changes,
        out.changes,
        baseline.status,
        current.status,
        baseline.error,
        current.error,
        symptom_new=now,
        output_missing=current.output is None and baseline.output is not None,
        subject=subject,
    )
    if notes:
        verdict += f" (diff incomplete: {notes[0]})"
    return CallDiff(
        run=current.run_id,
        baseline_run=baseline.run_id,
        tool=current.tool,
        index=index if index is not None else 1,
        status_old=baseline.status,
        status_new=current.status,
        changes=out.changes,
        input_changes=inp.changes,
        verdict=verdict,
        call_id=current.call_id,
        baseline_call_id=baseline.call_id,
        error_old=baseline.error,
        error_new=current.error,
        notes=notes,
    )


def diff_line_style(line: str) -> str:
    """The style (a colour name Rich and Textual both understand) of one line of
    ``CallDiff.text_lines()``: one map for the CLI and the TUI alike."""
    if line.startswith("- "):
        return "red"
    if line.startswith("+ "):
        return "green"
    if line.startswith("Comparing:"):
        return "bold"
    if line.startswith("[forensics]"):
        return "bold yellow"
    if line.startswith('"input"'):
        return "bold cyan"
    if line.startswith("#"):
        return "dim"
    return ""
