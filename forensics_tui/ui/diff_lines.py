"""A ``CallDiff`` as coloured lines for the Diff tab and the re-execution result: unified or
side by side, wrapped to the pane's width so a long verdict is read, not cut.

Everything here is built in worker threads from strings the core has already sanitised
(``CallDiff.text_lines``, ``render_value``); lines go into ``Text`` as plain text, never markup.
"""

from __future__ import annotations

import textwrap
from typing import Any

from rich.text import Text

from forensics_tui.core.analysis.diff import diff_line_style, render_value
from forensics_tui.core.sanitize import safe_line

__all__ = ["DIFF_MODES", "diff_lines", "side_by_side_lines", "unified_lines", "wrap"]

DIFF_MODES = ("unified", "side-by-side")
_VALUE_LIMIT = 400
_MAX_ROWS = 300  # changes shown side by side; the CLI's --json lists them all
_KIND_WORD = {
    "changed": "changed",
    "type_changed": "type changed",
    "added": "added",
    "removed": "removed",
    "item_added": "item added",
    "item_removed": "item removed",
}
_ABSENT = "(absent)"


def wrap(text: str, width: int, style: str = "", indent: int = 2) -> list[Text]:
    """``text`` (already sanitised, one line) as lines of at most ``width`` cells."""
    width = max(20, width)
    if len(text) <= width:
        return [Text(text, style=style, end="")]
    parts = textwrap.wrap(
        text,
        width,
        subsequent_indent=" " * indent,
        break_long_words=True,
        break_on_hyphens=False,
    )
    return [Text(part, style=style, end="") for part in parts] or [Text("", end="")]


def _verdict(diff: Any, width: int) -> list[Text]:
    return wrap(f"[forensics] Root cause: {safe_line(diff.verdict)}", width, "bold yellow")


def unified_lines(diff: Any, width: int) -> list[Text]:
    """The CLI's text form, coloured by prefix, long lines wrapped with a hanging indent.

    The verdict comes first (the CLI prints it last): in a pane, the answer should be on screen
    before the evidence scrolls it away.
    """
    raw_lines = [safe_line(raw) for raw in diff.text_lines(_VALUE_LIMIT)]
    if raw_lines and raw_lines[-1].startswith("[forensics]"):
        raw_lines.pop()
    out = _verdict(diff, width)
    for line in raw_lines:
        out.extend(wrap(line, width, diff_line_style(line), indent=4))
    return out


def _columns(left: str, right: str, col: int, left_style: str, right_style: str) -> list[Text]:
    lefts = textwrap.wrap(left, col, break_long_words=True, break_on_hyphens=False) or [""]
    rights = textwrap.wrap(right, col, break_long_words=True, break_on_hyphens=False) or [""]
    rows: list[Text] = []
    for i in range(max(len(lefts), len(rights))):
        row = Text(end="")
        row.append((lefts[i] if i < len(lefts) else "").ljust(col), style=left_style)
        row.append(" │ ", style="dim")
        row.append(rights[i] if i < len(rights) else "", style=right_style)
        rows.append(row)
    return rows


def _change_rows(changes: list[Any], prefix: str, col: int, width: int) -> list[Text]:
    out: list[Text] = []
    for change in changes[:_MAX_ROWS]:
        path = ".".join(p for p in (prefix, change.path) if p) or "(output)"
        if change.path.startswith("["):
            path = f"{prefix}{change.path}"
        head = Text(end="")
        head.append(safe_line(path, width - 16), style="bold")
        head.append(f"  {_KIND_WORD.get(change.kind, change.kind)}", style="dim")
        out.append(head)
        has_old = change.kind in ("changed", "type_changed", "removed", "item_removed")
        has_new = change.kind in ("changed", "type_changed", "added", "item_added")
        old = render_value(change.old, _VALUE_LIMIT) if has_old else _ABSENT
        new = render_value(change.new, _VALUE_LIMIT) if has_new else _ABSENT
        out.extend(
            _columns(old, new, col, "red" if has_old else "dim", "green" if has_new else "dim")
        )
    hidden = len(changes) - _MAX_ROWS
    if hidden > 0:
        out.append(Text(f"… {hidden} more changes (forensics-tui diff --json lists them all)"))
    return out


def side_by_side_lines(diff: Any, width: int) -> list[Text]:
    """Baseline on the left, this call on the right; one block per changed field."""
    width = max(40, width)
    col = (width - 3) // 2
    out: list[Text] = _verdict(diff, width)
    if getattr(diff, "baseline_reason", None):  # why this baseline: the analysis model's rule
        out.extend(wrap(f"# baseline: {safe_line(diff.baseline_reason)}", width, "dim"))
    out.extend(
        _columns(
            f"baseline: run {safe_line(diff.baseline_run)}",
            f"this call: run {safe_line(diff.run)}",
            col,
            "bold red",
            "bold green",
        )
    )
    out.append(Text("─" * width, style="dim", end=""))
    if diff.status_changed:
        out.append(Text("status", style="bold", end=""))
        out.extend(
            _columns(safe_line(diff.status_old), safe_line(diff.status_new), col, "red", "green")
        )
    out.extend(_change_rows(diff.changes, "", col, width))
    if not diff.changes and not diff.status_changed:
        out.append(Text("output: no change outside the ignored volatile fields", style="dim"))
    if diff.input_changes:
        out.append(Text('"input": changed', style="bold cyan", end=""))
        out.extend(_change_rows(diff.input_changes, "input", col, width))
    else:
        out.append(Text('"input": unchanged', style="bold cyan", end=""))
    for note in diff.notes:
        out.extend(wrap(f"# {safe_line(note)}", width, "dim italic"))
    return out


def diff_lines(diff: Any, mode: str, width: int) -> list[Text]:
    """``diff`` rendered in ``mode`` (one of ``DIFF_MODES``) for a view ``width`` cells wide."""
    if mode == "side-by-side":
        return side_by_side_lines(diff, width)
    return unified_lines(diff, width)
