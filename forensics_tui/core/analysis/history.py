"""A call's history across runs, and the onset of its current failing streak.

"Since when has this been failing, and what changed then?"  Every occurrence of a tool is
listed oldest first with its status, classification, shape fingerprints and duration.  The
*onset* is the first run of the failing streak that ends at the newest run (or at a given run),
compared with the run before it: the input fields, the output shape, the tool's definition
(where the capture recorded it) and the run's labels (agent version, git commit, model, host).
Whether a call is failing is the analysis model's answer (``CallVerdict.flagged``); this
module only walks it in order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from forensics_tui.core.analysis.compare import call_kind
from forensics_tui.core.analysis.diff import render_value
from forensics_tui.core.analysis.engine import Analysis, RunAnalysis
from forensics_tui.core.analysis.ledger import call_flagged
from forensics_tui.core.analysis.shapes import Shape, compare_shapes, output_shape
from forensics_tui.core.analysis.treediff import clip, diff_values
from forensics_tui.core.model import Call, Fixture, Run
from forensics_tui.core.sanitize import safe_line

__all__ = [
    "History",
    "Occurrence",
    "Onset",
    "OnsetChange",
    "call_history",
    "call_onset",
    "change_line",
    "shape_fingerprint",
]

_MAX_CHANGES = 50  # per kind of change; an onset is read by a person


def shape_fingerprint(shape: Shape | None) -> str | None:
    """A short stable digest of a shape: equal shapes, equal fingerprints."""
    if shape is None:
        return None
    text = "\n".join(f"{path}:{','.join(sorted(kinds))}" for path, kinds in sorted(shape.items()))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


@dataclass(slots=True)
class Occurrence:
    call: Call
    kind: str
    good: bool
    input_shape: str | None = None
    output_shape: str | None = None

    @property
    def failing(self) -> bool:
        return not self.good and self.call.status != "pending"

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.call.run_id,
            "seq": self.call.seq,
            "status": self.call.status,
            "kind": self.kind,
            "input_shape": self.input_shape,
            "output_shape": self.output_shape,
            "duration_ms": self.call.duration_ms,
        }


@dataclass(slots=True, frozen=True)
class OnsetChange:
    """One thing that differs between the onset run and the run before it."""

    what: str  # input | output_shape | tool_definition | label
    path: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "path": self.path, "old": clip(self.old), "new": clip(self.new)}


@dataclass(slots=True)
class Onset:
    run_id: str
    previous_run_id: str | None
    call: Call
    changed: list[OnsetChange] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "previous_run_id": self.previous_run_id,
            "changed": [c.to_json() for c in self.changed],
        }


@dataclass(slots=True)
class History:
    tool: str
    occurrences: list[Occurrence] = field(default_factory=list)
    onset: Onset | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "occurrences": [o.to_json() for o in self.occurrences],
            "onset": self.onset.to_json() if self.onset else None,
        }


def _fixture(analysis: Analysis, call: Call) -> Fixture | None:
    if call.status in ("broken", "pending") or call.deleted:
        return None
    loaded = analysis.store.load(call)
    return loaded if isinstance(loaded, Fixture) else None


def _occurrence(analysis: Analysis, ra: RunAnalysis, call: Call) -> Occurrence:
    occ = Occurrence(call, call_kind(analysis, call), not call_flagged(ra, call))
    fixture = _fixture(analysis, call)
    if fixture is not None:
        occ.input_shape = shape_fingerprint(output_shape(fixture.input))
        if fixture.output is not None or fixture.status == "ok":
            occ.output_shape = shape_fingerprint(output_shape(fixture.output))
    return occ


def call_history(analysis: Analysis, tool: str, *, until: str | None = None) -> History:
    """Every occurrence of ``tool`` in agent runs (re-executions excluded), oldest first, and
    the onset of the failing streak that ends at the newest run (or at run ``until``)."""
    history = History(tool)
    for ra in analysis.runs():
        calls = [c for c in ra.run.calls if c.tool == tool and not c.deleted]
        if calls and ra.kind != "reexec":
            history.occurrences.extend(_occurrence(analysis, ra, c) for c in calls)
        if until is not None and ra.run_id == until:
            break
    history.onset = call_onset(analysis, tool, until=until)
    return history


def call_onset(analysis: Analysis, tool: str, *, until: str | None = None) -> Onset | None:
    """The onset of ``tool``'s failing streak that reaches the newest run (or run ``until``):
    the analysis model's streak (``core.analysis.ledger``), with what changed then."""
    streak = analysis.streak(tool, until)
    if streak is None:
        return None
    onset = Onset(streak.run_id, streak.previous_run_id, streak.call)
    if streak.previous_run_id is None or streak.previous_call is None:
        return onset
    old_run = analysis.run_named(streak.previous_run_id)
    new_run = analysis.run_named(streak.run_id)
    if old_run is not None and new_run is not None:
        onset.changed = onset_changes(analysis, old_run, streak.previous_call, new_run, streak.call)
    return onset


def onset_changes(
    analysis: Analysis, old_run: Run, old_call: Call, new_run: Run, new_call: Call
) -> list[OnsetChange]:
    """What differs between a call (and its run) and an earlier one: input fields, output
    shape, tool definition and run labels."""
    old, new = _fixture(analysis, old_call), _fixture(analysis, new_call)
    changes: list[OnsetChange] = []
    ignore = tuple(analysis.config.diff_ignore)
    if old is not None and new is not None:
        for c in diff_values(old.input, new.input, ignore=ignore).changes[:_MAX_CHANGES]:
            changes.append(OnsetChange("input", c.path, c.old, c.new))
        if old.status == new.status == "ok":  # a failure's error body says nothing new
            changes.extend(_shape_changes(old.output, new.output))
    old_def, new_def = _tool_definition(old_run, old), _tool_definition(new_run, new)
    if old_def is not None and new_def is not None:
        for c in diff_values(old_def, new_def).changes[:_MAX_CHANGES]:
            changes.append(OnsetChange("tool_definition", c.path, c.old, c.new))
    changes.extend(_label_changes(old_run, new_run))
    return changes


def _shape_changes(old: Any, new: Any) -> list[OnsetChange]:
    if old is None or new is None:
        return []  # a failure has no output: its status already says so
    drift = compare_shapes(output_shape(old), output_shape(new))
    out = [OnsetChange("output_shape", p, None, t) for p, t in drift.added]
    out += [OnsetChange("output_shape", p, t, None) for p, t in drift.removed]
    out += [OnsetChange("output_shape", p, o, n) for p, o, n in drift.retyped]
    return out[:_MAX_CHANGES]


def _tool_definition(run: Run, fixture: Fixture | None) -> Any:
    """The tool's definition as captured: ``meta.tool_definition`` on the fixture, else the
    manifest's ``tools`` map (MCP ``tools/list``, a framework's tool schema)."""
    if fixture is not None and isinstance(fixture.meta, dict):
        found = fixture.meta.get("tool_definition")
        if found is not None:
            return found
    tools = run.manifest.get("tools") if isinstance(run.manifest, dict) else None
    if isinstance(tools, dict) and fixture is not None:
        return tools.get(fixture.tool)
    return None


_RUN_FIELDS = ("agent", "task", "host")
_NOT_LABELS = frozenset({"reexec_of", "reexec_of_run"})


def run_labels(run: Run) -> dict[str, Any]:
    """A run's labels plus the manifest fields that say who ran it (agent, task, host)."""
    out: dict[str, Any] = {}
    manifest = run.manifest if isinstance(run.manifest, dict) else {}
    for name in _RUN_FIELDS:
        if manifest.get(name) is not None:
            out[name] = manifest[name]
    for key, value in run.labels.items():
        if isinstance(key, str) and key not in _NOT_LABELS:
            out[key] = value
    return out


def _label_changes(old_run: Run, new_run: Run) -> list[OnsetChange]:
    old, new = run_labels(old_run), run_labels(new_run)
    out = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            out.append(OnsetChange("label", key, old.get(key), new.get(key)))
    return out[:_MAX_CHANGES]


def postmortem_onset(analysis: Analysis, run_id: str, tool: str | None) -> dict[str, Any] | None:
    """The post-mortem's "Onset" section: when the failing streak of ``tool`` that includes
    ``run_id`` began, and what changed then (None when the run's first failure has no tool)."""
    if tool is None:
        return None
    onset = call_onset(analysis, tool, until=run_id)
    return {"tool": tool, **onset.to_json()} if onset is not None else None


def onset_markdown(onset: dict[str, Any] | None, md_code: Any) -> list[str]:
    """Markdown lines for the post-mortem's "Onset" section (``md_code`` quotes untrusted text)."""
    out = ["## Onset", ""]
    if onset is None:
        return [*out, "No failing streak reaches this run.", ""]
    where = f"{md_code(onset['tool'], 80)} has failed since run {md_code(onset['run_id'], 120)}"
    if onset["previous_run_id"] is None:
        return [*out, f"{where}, its first recorded run.", ""]
    out += [f"{where}; it last worked in run {md_code(onset['previous_run_id'], 120)}.", ""]
    if not onset["changed"]:
        out.append("Nothing recorded changed between the two (input, output shape, tool")
        out.append("definition, labels): look at the service it calls.")
    for change in onset["changed"]:
        what = change["what"].replace("_", " ")
        out.append(
            f"- {what} {md_code(change['path'] or '(whole value)', 120)}: "
            f"{md_code(_plain(change['old']), 120)} → {md_code(_plain(change['new']), 120)}"
        )
    return [*out, ""]


def _plain(value: Any) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def change_line(change: dict[str, Any]) -> str:
    """One onset change as a sanitised line: ``label agent_version: "1.4.0" → "1.5.0"``."""
    path = safe_line(change["path"] or "(whole value)", 80)
    old, new = change["old"], change["new"]
    if change["what"] == "output_shape":
        if old is None:
            return f"output shape: added {path} ({safe_line(new, 40)})"
        if new is None:
            return f"output shape: removed {path} ({safe_line(old, 40)})"
        return f"output shape: {path} retyped {safe_line(old, 40)} → {safe_line(new, 40)}"
    what = change["what"].replace("_", " ")
    return f"{what} {path}: {render_value(old, 60)} → {render_value(new, 60)}"
