"""How one call or one run becomes one line of styled text in the line-API panes.

Every fixture-derived string goes through ``safe_line`` and into ``Text`` as plain text, so a
tool named ``[@click=app.quit]`` or one holding ESC bytes is shown, escaped, and nothing else.
Status is carried by icon, colour *and* weight: a failure's icon is bold and reversed and its
row is never dim, so under ``NO_COLOR`` and in every theme failures are the most visible thing
on screen while an ok row stays quiet.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from forensics_tui.core.model import BROKEN, STATUS_COLORS, STATUS_ICONS, Call
from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.clock import (
    UTC_ZONE,
    Zone,
    elapsed_s,
    format_age,
    format_clock,
    format_duration,
)
from forensics_tui.ui.labels import run_label
from forensics_tui.ui.view_model import RunSummary

__all__ = [
    "FAILED",
    "RUN_COLORS",
    "RUN_ICONS",
    "all_runs_lines",
    "call_line",
    "format_elapsed",
    "is_stale",
    "run_label",
    "run_lines",
]

RUN_ICONS: dict[str, str] = {"running": "●", "ok": "✓", "failed": "✗", "crashed": "‼"}
RUN_COLORS: dict[str, str] = {
    "running": "cyan",
    "ok": "green",
    "failed": "red",
    "crashed": "bright_red",
}
FAILED = frozenset({"error", "timeout", BROKEN})
_COUNT_ORDER = ("ok", "error", "timeout", "skipped", "pending", BROKEN)
_OUTCOME_WORDS = {"silent_failure": "claims ok", "incomplete": "incomplete", "empty": "empty"}
_RECENT_S = 7 * 86400.0  # older runs show no age: their label says when


def status_style(status: str, mono: bool = False) -> str:
    """A status icon's style: failures bold and reversed, everything else plain colour.

    ``mono`` (``NO_COLOR``): no colour at all, because a monochrome terminal maps red to a dark
    grey; a reversed cell in the default colours is the brightest thing it can draw.
    """
    if status in FAILED:
        return "bold reverse" if mono else f"bold reverse {STATUS_COLORS.get(status, 'white')}"
    return "" if mono else STATUS_COLORS.get(status, "white")


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d"


def is_stale(call: Call, now: datetime, stale_after_s: float, run_crashed: bool) -> bool:
    """A pending call whose writer is gone, or that has waited longer than the limit."""
    if call.status != "pending":
        return False
    if run_crashed:
        return True
    waited = elapsed_s(call.ts, now)
    return waited is not None and waited > stale_after_s


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(0, width - 1)] + "…"


def _fit_tail(text: str, width: int) -> str:
    """Like ``_fit`` but keeps the end (run ids differ in their last characters)."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text.ljust(width)
    return "…" + text[len(text) - width + 1 :]


def call_line(
    call: Call,
    *,
    width: int,
    now: datetime,
    stale: bool = False,
    badge: Text | None = None,
    show_run: bool = False,
    run_name: str | None = None,
    zone: Zone = UTC_ZONE,
    mono: bool = False,
) -> Text:
    """One row of the calls pane, ``width`` cells wide (without the cursor gutter).

    ``show_run`` adds a run column (the interleaved stream); ``run_name`` is what it shows
    (``run_label(..., short=True)``), else the end of the run id.
    """
    icon = STATUS_ICONS.get(call.status, "?")
    failed = call.status in FAILED
    quiet = "" if failed else "dim"
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(f"{call.seq:>5} " if call.seq else "    - ", style=quiet)
    line.append(format_clock(call.ts, zone), style=quiet)
    line.append(" ")
    if call.status == "pending" and stale:
        line.append("◌", style="yellow")
    else:
        line.append(icon, style=status_style(call.status, mono))
    line.append(" ")

    fixed = 5 + 1 + 8 + 3 + 10 + 3
    run_width = 0
    if show_run:
        run_width = min(16, max(0, (width - fixed) // 3))
    if run_width < 8:
        run_width = 0  # too narrow to tell runs apart: the runs pane says which run
    tool_room = max(8, min(28, width - fixed - run_width))
    if show_run and run_width:
        name = run_name if run_name is not None else safe_line(call.run_id)
        line.append(_fit_tail(name, run_width - 1), style="blue")
        line.append(" ")
    label = safe_line(call.name) if call.status == BROKEN else safe_line(call.tool)
    tool_style = "strike dim" if call.deleted else ("bold" if call.status != "ok" else "")
    line.append(_fit(label, tool_room), style=tool_style)
    line.append(" ")

    if call.status == "pending":
        waited = elapsed_s(call.ts, now)
        shown = "stale" if stale else "…"
        if waited is not None:
            shown = f"{'stale ' if stale else ''}{format_elapsed(waited)}"
            if len(shown) > 9:
                shown = "stale" if stale else shown[:9]
        line.append(shown.rjust(9), style="yellow" if stale else "cyan")
    else:
        line.append(format_duration(call.duration_ms).rjust(9), style=quiet)
    line.append(" ")
    if badge is not None and badge.cell_len:
        line.append_text(badge)
        line.append(" ")
    else:
        line.append("   ")

    room = width - line.cell_len
    if room >= 8:
        if call.deleted:
            line.append(_fit("deleted", room), style="italic yellow")
        elif call.status == BROKEN:
            line.append(_fit(safe_line(call.problem or "unreadable"), room), style="bold red")
        elif call.preview:
            line.append(_fit(safe_line(call.preview), room), style="red" if failed else "dim")
    line.truncate(width, pad=True)
    return line


def _counts(counts: dict[str, int], mono: bool = False) -> Text:
    text = Text(no_wrap=True, end="")
    for status in _COUNT_ORDER:
        n = counts.get(status, 0)
        if n:
            if text:
                text.append(" ")
            text.append(STATUS_ICONS[status], style=status_style(status, mono))
            text.append(str(n))
    return text


def run_lines(
    run: RunSummary,
    width: int,
    findings: int = 0,
    *,
    label: str | None = None,
    outcome: str | None = None,
    now: datetime | None = None,
    mono: bool = False,
) -> tuple[Text, Text]:
    """Two lines per run: outcome icon + label; counts, findings, outcome word, age.

    ``outcome`` is the core analysis model's verdict (None until it is in: the run's own claim
    is shown meanwhile).  A run the core calls a ``silent_failure`` (it claims ok but has
    failed, skipped or broken calls, or findings) gets ⚠ and "claims ok", never a ✓.
    """
    icon = RUN_ICONS.get(run.status, "?")
    color = RUN_COLORS.get(run.status, "white")
    word = "LIVE" if run.is_live else run.status
    if outcome == "silent_failure":
        icon, color, word = "⚠", "yellow", "claims ok"
    elif outcome in _OUTCOME_WORDS and not run.is_live:
        word = _OUTCOME_WORDS[outcome]
    bad = run.status in ("failed", "crashed") or outcome in ("silent_failure", "failed")
    first = Text(no_wrap=True, overflow="ellipsis", end="")
    if mono:
        first.append(icon, style="bold reverse" if bad else "")
    else:
        first.append(icon, style=f"bold reverse {color}" if bad else f"bold {color}")
    first.append(" ")
    first.append(label or run_label(run.run_id, run.started_at), style="bold")
    first.truncate(width, pad=True)

    second = Text("  ", no_wrap=True, overflow="ellipsis", end="")
    second.append_text(_counts(run.counts, mono))
    if findings:
        second.append(" ")
        second.append(f"⚑{findings}", style="bold yellow")
    second.append("  ")
    second.append(word, style=f"bold {color}" if run.is_live or bad else color)
    if run.problem:
        second.append(" run.json!", style="bold red")
    elif run.is_reexec:
        second.append(" ↻ re-execution", style="cyan")
    if now is not None and run.started_at:
        age = elapsed_s(run.started_at, now)
        if age is not None and age < _RECENT_S:
            second.append(f" {format_age(run.started_at, now)}", style="italic")
    if not run.problem and not run.is_reexec and (run.task or run.agent):
        second.append(" " + safe_line(run.task or run.agent or ""), style="dim")
    second.truncate(width, pad=True)
    return first, second


def all_runs_lines(runs: int, calls: int, live: int, width: int) -> tuple[Text, Text]:
    first = Text(no_wrap=True, end="")
    first.append("≡ ", style="bold")
    first.append("All runs", style="bold")
    first.truncate(width, pad=True)
    second = Text(f"  {runs} runs · {calls} calls", no_wrap=True, style="dim", end="")
    if live:
        second.append(f" · {live} live", style="bold cyan")
    second.truncate(width, pad=True)
    return first, second
