"""Findings for the UI: badges in the calls pane and the Diff tab's text, from core analysis.

``core.analysis.Analysis`` does the work (in worker threads only; ``ui.answers`` copies its
per-call answers); this module turns them into what the widgets draw: a one-cell badge per
flagged call and styled lines for the Diff tab.  Plain status failures (``error``/``timeout``)
get no badge: their icon says it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from forensics_tui.core.model import Call
from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.diff_lines import diff_lines, wrap

__all__ = ["badge", "detail_lines", "finding_line"]

_SEVERITY_STYLE = {"high": "bold red", "medium": "bold yellow", "low": "cyan"}
_RANK = {"high": 3, "medium": 2, "low": 1}


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
    header: str = "Diff against the last known-good run",
    width: int = 100,
) -> list[Text]:
    """The Diff tab (worker thread): findings of ``call``, then its diff against its baseline
    (or run ``against``, as ``header`` says), in ``mode``, wrapped to ``width``."""
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
    for part in wrap(safe_line(f"{header} · {mode}"), width, "bold"):
        lines.append(part)
    lines.extend(wrap("d: unified / side by side   D: pick a run for this call", width, "dim"))
    try:
        diff = analysis.diff(call, against=against)
    except AnalysisError as exc:
        lines.extend(wrap(safe_line(str(exc)), width, "dim italic"))
        return lines
    lines.extend(diff_lines(diff, mode, width))
    return lines
