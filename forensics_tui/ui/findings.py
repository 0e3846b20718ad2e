"""Findings for the UI: badges in the calls pane and the Diff tab's text, from core analysis.

``core.analysis.Analysis`` does the work (in worker threads only); this module turns its
results into what the widgets draw: a one-cell badge per flagged call and styled lines for the
Diff tab.  Plain status failures (``error``/``timeout``) get no badge: their icon says it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from forensics_tui.core.model import Call
from forensics_tui.core.sanitize import safe_line

__all__ = ["BADGE_KINDS", "badge", "detail_lines", "findings_map"]

BADGE_KINDS = frozenset(
    {"auth_expiry", "soft_error", "schema_drift", "partial_step", "rate_limited"}
)
_SEVERITY_STYLE = {"high": "bold red", "medium": "bold yellow", "low": "cyan"}
_RANK = {"high": 3, "medium": 2, "low": 1}


def findings_map(analysis: Any) -> dict[str, tuple[Any, ...]]:
    """call_id -> findings worth a badge, for every run (call in a worker thread)."""
    out: dict[str, tuple[Any, ...]] = {}
    for run_analysis in analysis.refresh():
        for call_id, found in run_analysis.by_call.items():
            flagged = tuple(f for f in found if f.kind in BADGE_KINDS)
            if flagged:
                out[call_id] = flagged
    return out


def badge(findings: tuple[Any, ...] | None) -> Text | None:
    if not findings:
        return None
    worst = max(findings, key=lambda f: _RANK.get(f.severity, 0))
    return Text("⚑", style=_SEVERITY_STYLE.get(worst.severity, "yellow"), end="")


def detail_lines(analysis: Any, call: Call) -> list[Text]:
    """Findings of ``call`` and its diff against the last known-good run (worker thread)."""
    from forensics_tui.core.analysis import AnalysisError

    lines: list[Text] = []
    try:
        found = analysis.call_findings(call)
    except (AnalysisError, KeyError) as exc:
        found = []
        lines.append(Text(safe_line(f"findings unavailable: {exc}"), style="dim"))
    for finding in found:
        line = Text("⚑ ", style=_SEVERITY_STYLE.get(finding.severity, "yellow"), end="")
        line.append(safe_line(f"{finding.kind} ({finding.severity}): "), style="bold")
        line.append(safe_line(finding.evidence))
        lines.append(line)
    if not found:
        lines.append(Text("no findings for this call", style="dim"))
    lines.append(Text(""))
    try:
        diff = analysis.diff(call)
    except AnalysisError as exc:
        lines.append(Text(safe_line(str(exc)), style="dim italic"))
        return lines
    for raw in diff.text_lines():
        text = safe_line(raw)
        if text.startswith("- "):
            lines.append(Text(text, style="red"))
        elif text.startswith("+ "):
            lines.append(Text(text, style="green"))
        elif text.startswith("[forensics]"):
            lines.append(Text(text, style="bold yellow"))
        else:
            lines.append(Text(text, style="bold" if text.startswith("Comparing") else ""))
    return lines
