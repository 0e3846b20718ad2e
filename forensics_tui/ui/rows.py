"""How one call or one run becomes one line of styled text in the line-API panes.

Every fixture-derived string goes through ``safe_line`` and into ``Text`` as plain text, so a
tool named ``[@click=app.quit]`` or one holding ESC bytes is shown, escaped, and nothing else.
Status is carried by icon *and* colour, so rows still read under ``NO_COLOR``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rich.text import Text

from forensics_tui.core.model import BROKEN, STATUS_COLORS, STATUS_ICONS, Call
from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.clock import elapsed_s, format_clock, format_duration, parse_ts
from forensics_tui.ui.view_model import RunSummary

__all__ = [
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
_COUNT_ORDER = ("ok", "error", "timeout", "skipped", "pending", BROKEN)
_SILENT = ("error", "timeout", "skipped", BROKEN)  # in a run that says ok: a silent failure
_SHORT_ID = 16
_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,15}$")
_ID_TIME = re.compile(r"^(\d{4})(\d{2})(\d{2})[_T-]?(\d{2})(\d{2})(\d{2})")


def _id_suffix(run_id: str) -> str:
    tail = re.split(r"[_\-.]", run_id)[-1] or run_id
    return tail[:4] if len(tail) >= 4 else run_id[-4:]


def run_label(run_id: str, started_at: str | None = None, *, short: bool = False) -> str:
    """A compact, still distinctive name for a run (the full id is in the detail header).

    Ids up to 16 characters are shown as they are.  Longer ones (``20261127_145633_914877_7a3b2c``)
    become the start time plus the first characters of their random suffix: ``11-27 14:56:33
    7a3b`` (``short``: ``14:56:33 7a3b``, for the calls pane's run column).  Sanitised.
    """
    run_id = safe_line(run_id)
    if len(run_id) <= _SHORT_ID:
        return run_id
    host, sep, rest = run_id.partition(":")  # a fleet run (HOST:RUN): keep the host in front
    if sep and _HOST.match(host) and rest and ":" not in rest:
        return f"{host} {run_label(rest, started_at, short=short)}"
    moment = parse_ts(started_at)
    if moment is not None:
        moment = moment.astimezone(UTC)
        stamp = moment.strftime("%H:%M:%S" if short else "%m-%d %H:%M:%S")
    else:
        found = _ID_TIME.match(run_id)
        if found is None:
            return run_id[:7] + "…" + run_id[-6:]
        _year, mo, d, h, mi, sec = found.groups()
        stamp = f"{h}:{mi}:{sec}" if short else f"{mo}-{d} {h}:{mi}:{sec}"
    return f"{stamp} {_id_suffix(run_id)}"


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
) -> Text:
    """One row of the calls pane, ``width`` cells wide (without the cursor gutter).

    ``show_run`` adds a run column (the interleaved stream); ``run_name`` is what it shows
    (``run_label(..., short=True)``), else the end of the run id.
    """
    color = STATUS_COLORS.get(call.status, "white")
    icon = STATUS_ICONS.get(call.status, "?")
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(f"{call.seq:>5} " if call.seq else "    - ", style="dim")
    line.append(format_clock(call.ts), style="dim")
    line.append(" ")
    if call.status == "pending" and stale:
        line.append("◌", style="yellow")
    else:
        line.append(icon, style=f"bold {color}")
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
    label = safe_line(call.path.name) if call.status == BROKEN else safe_line(call.tool)
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
        line.append(format_duration(call.duration_ms).rjust(9), style="dim")
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
            line.append(_fit(safe_line(call.problem or "unreadable"), room), style="red")
        elif call.preview:
            line.append(_fit(safe_line(call.preview), room), style="dim")
    line.truncate(width, pad=True)
    return line


def _counts(counts: dict[str, int]) -> Text:
    text = Text(no_wrap=True, end="")
    for status in _COUNT_ORDER:
        n = counts.get(status, 0)
        if n:
            if text:
                text.append(" ")
            text.append(STATUS_ICONS[status], style=STATUS_COLORS[status])
            text.append(str(n))
    return text


def run_lines(run: RunSummary, width: int, findings: int = 0) -> tuple[Text, Text]:
    """Two lines per run: outcome icon + compact run name; counts, findings, outcome word.

    A run that claims ``ok`` while it has failed, skipped or broken calls, or findings, is the
    silent failure this tool exists for: it gets ⚠ and "claims ok", never a reassuring ✓.
    """
    icon = RUN_ICONS.get(run.status, "?")
    color = RUN_COLORS.get(run.status, "white")
    word = "LIVE" if run.is_live else run.status
    if run.status == "ok" and (findings or any(run.counts.get(s) for s in _SILENT)):
        icon, color, word = "⚠", "yellow", "claims ok"
    first = Text(no_wrap=True, overflow="ellipsis", end="")
    first.append(icon, style=f"bold {color}")
    first.append(" ")
    first.append(run_label(run.run_id, run.started_at), style="bold")
    first.truncate(width, pad=True)

    second = Text("  ", no_wrap=True, overflow="ellipsis", end="")
    second.append_text(_counts(run.counts))
    if findings:
        second.append(" ")
        second.append(f"⚑{findings}", style="bold yellow")
    second.append("  ")
    second.append(word, style=f"bold {color}" if run.is_live else color)
    if run.problem:
        second.append(" run.json!", style="red")
    elif run.is_reexec:
        second.append(" ↻ re-execution", style="cyan")
    elif run.task or run.agent:
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
