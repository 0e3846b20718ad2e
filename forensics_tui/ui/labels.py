"""Short run labels that are unique within the view and paste back into the CLI.

A label is a *name* made from the run id, never a clock reading: ids up to 16 characters are
shown whole; longer ones become the timestamp their id starts with (``11-27 14:56:33``, or
``14:56:33`` in the short form) and as much of the id's last part as it takes to tell runs
apart (``7a3b``, ``live`` vs ``live2``, ``000000`` vs ``000001``).  Every label is accepted by
the core's run-name resolver (``forensics-tui diff --run "11-27 14:56:33 7a3b"``).  A fleet
run (``HOST:RUN``) keeps its host in front (``web1 11-27 14:56:33 7a3b``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from forensics_tui.core.sanitize import safe_line

__all__ = ["SHORT_ID", "run_label", "unique_labels"]

SHORT_ID = 16
_MIN_SUFFIX = 4
_ID_TIME = re.compile(r"^(\d{4})(\d{2})(\d{2})[_T-]?(\d{2})(\d{2})(\d{2})")
_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,15}$")
_TS_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})")


def _stamp(run_id: str, started_at: str | None, short: bool) -> str | None:
    found = _ID_TIME.match(run_id) or _TS_TIME.match(started_at or "")
    if found is None:
        return None
    _year, mo, d, h, mi, sec = found.groups()
    return f"{h}:{mi}:{sec}" if short else f"{mo}-{d} {h}:{mi}:{sec}"


def _tail(run_id: str) -> str:
    return re.split(r"[_\-.\s]", run_id)[-1] or run_id


def _host_split(run_id: str) -> tuple[str | None, str]:
    host, sep, rest = run_id.partition(":")
    if sep and _HOST.match(host) and rest and ":" not in rest:
        return host, rest
    return None, run_id


def unique_labels(runs: Iterable[tuple[str, str | None]], *, short: bool = False) -> dict[str, str]:
    """``run_id -> label`` for ``(run_id, started_at)`` pairs; no two runs share a label."""
    by_host: dict[str | None, list[tuple[str, str, str | None]]] = defaultdict(list)
    for run_id, started_at in runs:
        host, rest = _host_split(run_id)
        by_host[host].append((run_id, rest, started_at))
    out: dict[str, str] = {}
    for host, members in by_host.items():
        labels = _unique([(rest, started) for _, rest, started in members], short)
        for run_id, rest, _ in members:
            out[run_id] = f"{safe_line(host)} {labels[rest]}" if host else labels[rest]
    return out


def _unique(runs: list[tuple[str, str | None]], short: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    groups: dict[str, list[str]] = defaultdict(list)
    for raw_id, started_at in runs:
        run_id = safe_line(raw_id)
        if len(run_id) <= SHORT_ID:
            out[raw_id] = run_id
            continue
        stamp = _stamp(run_id, started_at, short)
        groups[stamp or ""].append(raw_id)
    for stamp, members in groups.items():
        tails = {m: _tail(safe_line(m)) for m in members}
        longest = max(len(t) for t in tails.values())
        size = _MIN_SUFFIX
        while size < longest and len({t[:size] for t in tails.values()}) < len(members):
            size += 1
        seen: dict[str, int] = defaultdict(int)
        for tail in tails.values():
            seen[tail[:size]] += 1
        for member, tail in tails.items():
            cut = tail[:size]
            shadowed = any(t != tail and t.startswith(cut) for t in tails.values())
            if seen[cut] > 1 or shadowed:  # "live" vs "live2": only the whole id is unambiguous
                out[member] = safe_line(member)
            elif stamp:
                out[member] = f"{stamp} {cut}"
            else:
                out[member] = cut if len(cut) >= 8 else safe_line(member)[-max(8, len(cut)) :]
    return out


def run_label(run_id: str, started_at: str | None = None, *, short: bool = False) -> str:
    """The label of one run on its own (no other runs to tell apart from)."""
    return unique_labels([(run_id, started_at)], short=short)[run_id]
