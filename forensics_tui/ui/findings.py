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
from forensics_tui.ui.diff_lines import diff_lines, wrap

__all__ = ["BADGE_KINDS", "badge", "detail_lines", "finding_line", "findings_map", "run_counts"]

BADGE_KINDS = frozenset(
    {"auth_expiry", "soft_error", "schema_drift", "partial_step", "rate_limited"}
)
_SEVERITY_STYLE = {"high": "bold red", "medium": "bold yellow", "low": "cyan"}
_RANK = {"high": 3, "medium": 2, "low": 1}


def findings_map(analysis: Any) -> tuple[dict[str, tuple[Any, ...]], dict[str, int]]:
    """call_id -> findings worth a badge, and run_id -> how many (worker thread).

    The per-run count includes findings about missing calls (no call to badge).
    """
    out: dict[str, tuple[Any, ...]] = {}
    counts: dict[str, int] = {}
    for run_analysis in analysis.refresh():
        for call_id, found in run_analysis.by_call.items():
            flagged = tuple(f for f in found if f.kind in BADGE_KINDS)
            if flagged and call_id:
                out[call_id] = flagged
        total = run_counts(run_analysis.findings)
        if total:
            counts[run_analysis.run_id] = total
    return out, counts


def run_counts(findings: Any) -> int:
    return sum(1 for f in findings if f.kind in BADGE_KINDS)


def badge(findings: tuple[Any, ...] | None) -> Text | None:
    if not findings:
        return None
    worst = max(findings, key=lambda f: _RANK.get(f.severity, 0))
    return Text("⚑", style=_SEVERITY_STYLE.get(worst.severity, "yellow"), end="")


def finding_line(finding: Any, width: int) -> list[Text]:
    """``⚑ kind (severity): evidence``, wrapped to ``width``."""
    head = Text("⚑ ", style=_SEVERITY_STYLE.get(finding.severity, "yellow"), end="")
    head.append(safe_line(f"{finding.kind} ({finding.severity}): "), style="bold")
    evidence = safe_line(finding.evidence)
    room = max(20, width - head.cell_len)
    parts = wrap(evidence, room, indent=0)
    head.append_text(parts[0])
    return [head, *(Text("  ").append_text(p) for p in parts[1:])]


def detail_lines(
    analysis: Any,
    call: Call,
    *,
    mode: str = "unified",
    against: str | None = None,
    against_label: str | None = None,
    width: int = 100,
) -> list[Text]:
    """The Diff tab (worker thread): findings of ``call``, then its diff against the last
    known-good run (or run ``against``), in ``mode``, wrapped to ``width``."""
    from forensics_tui.core.analysis.engine import AnalysisError

    lines: list[Text] = []
    try:
        found = analysis.call_findings(call)
    except (AnalysisError, KeyError) as exc:
        found = []
        lines.append(Text(safe_line(f"findings unavailable: {exc}"), style="dim"))
    for finding in found:
        lines.extend(finding_line(finding, width))
    if not found:
        lines.append(Text("no findings for this call", style="dim"))
    lines.append(Text(""))
    target = "last known-good run" if against is None else f"run {against_label or against}"
    head = Text(f"Diff against the {safe_line(target)} · {mode}", style="bold", end="")
    head.append("   d: toggle view  D: pick a run", style="dim")
    lines.append(head)
    try:
        diff = analysis.diff(call, against=against)
    except AnalysisError as exc:
        lines.extend(wrap(safe_line(str(exc)), width, "dim italic"))
        return lines
    lines.extend(diff_lines(diff, mode, width))
    return lines
