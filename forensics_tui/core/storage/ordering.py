"""Ordering rules for runs and calls, in one place so every view agrees.

docs/ARCHITECTURE.md: runs are ordered by ``started_at``, else by their first call's ``ts``, else by
``run_id``; calls by ``seq`` (legacy calls by ``ts``).  Timestamps are compared as instants:
legacy naive times mean UTC, so ``2026-03-01T10:00:00`` and ``2026-03-01T10:00:00+00:00`` are
equal, and ``+02:00`` offsets are honoured.  Run ids written by ``new_run_id()`` start with a
``YYYYMMDD_HHMMSS`` stamp, which is used as the time of a run that has no other.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

from forensics_tui.capture.calls import epoch_of
from forensics_tui.core.model import BROKEN, Call, Run

__all__ = [
    "assign_legacy_seqs",
    "call_sort_key",
    "number_occurrences",
    "run_sort_key",
    "ts_key",
]

_RUN_ID_STAMP = re.compile(r"^(\d{4})(\d{2})(\d{2})[_T-]?(\d{2})(\d{2})(\d{2})")
_LAST = math.inf


def ts_key(ts: str | None) -> float:
    """Seconds since the epoch for an ISO-8601 string (naive = UTC); ``inf`` if unknown."""
    if not isinstance(ts, str) or not ts:
        return _LAST
    return _epoch(ts)


@functools.lru_cache(maxsize=8192)
def _epoch(ts: str) -> float:
    """Cached: placing a call among sorted rows compares it with the same few pivots again and
    again (a 25,000-call first open parsed 380,000 timestamps without this)."""
    try:
        return epoch_of(ts)
    except ValueError:
        return _LAST


def _run_id_time(run_id: str) -> float:
    match = _RUN_ID_STAMP.match(run_id)
    if not match:
        return _LAST
    try:
        y, mo, d, h, mi, s = (int(g) for g in match.groups())
        return datetime(y, mo, d, h, mi, s, tzinfo=UTC).timestamp()
    except ValueError:
        return _LAST


def run_sort_key(run: Run) -> tuple[float, str]:
    """Oldest first.  Only a run with nothing in it yet (no manifest, no calls) sorts as newest:
    it is being born.  A run whose times do not parse falls back to its directory's mtime, so
    garbage in a timestamp can never make a run "the newest" for ever (and hijack ``check``)."""
    started = ts_key(run.started_at)  # manifest started_at, else first call's ts
    if started == _LAST:
        started = _run_id_time(run.run_id)
    if started == _LAST and (run.manifest is not None or run.calls):
        with contextlib.suppress(OSError):
            started = os.stat(run.path).st_mtime
    return (started, run.run_id)


def call_sort_key(call: Call) -> tuple[float, str]:
    """Order within a run: by ``seq``; calls without one (broken, unnamed) go last, by name."""
    return (call.seq if call.seq > 0 else _LAST, call.path.name)


def assign_legacy_seqs(calls: list[Call]) -> list[Call]:
    """Number legacy (format 0) calls 1..n by ``ts`` (then file name); others are unchanged.

    Returns a new list; a call whose ``seq`` changes is replaced by a copy, never mutated.
    """
    legacy = [c for c in calls if c.format == 0 and c.status != BROKEN]
    if not legacy:
        return calls
    legacy.sort(key=lambda c: (ts_key(c.ts), c.path.name))
    new_seq = {id(c): n for n, c in enumerate(legacy, 1)}
    return [
        replace(c, seq=new_seq[id(c)]) if id(c) in new_seq and c.seq != new_seq[id(c)] else c
        for c in calls
    ]


def number_occurrences(calls: Iterable[Call]) -> tuple[list[Call], dict[str, int]]:
    """Set ``occurrence`` (nth call of its tool in the run, from 1; 0 for broken files).

    ``calls`` must already be in run order.  Returns the calls (copies where the number changed)
    and the per-tool counts, which let the store number an appended call in O(1).
    """
    counts: dict[str, int] = {}
    out: list[Call] = []
    for call in calls:
        if call.status == BROKEN:
            n = 0
        else:
            n = counts.get(call.tool, 0) + 1
            counts[call.tool] = n
        out.append(call if call.occurrence == n else replace(call, occurrence=n))
    return out, counts
