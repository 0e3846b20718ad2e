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
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from forensics_tui.capture.calls import epoch_of
from forensics_tui.core.compact_ts import seconds as ts_seconds
from forensics_tui.core.model import BROKEN, Call, Run

__all__ = [
    "assign_legacy_seqs",
    "call_sort_key",
    "call_ts_key",
    "find_by_name",
    "name_key",
    "number_occurrences",
    "placed_by_name",
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


def call_ts_key(call: Call) -> float:
    """``ts_key(call.ts)``, straight from the compact value when the call keeps one."""
    packed = call.ts_packed
    return ts_seconds(packed) if packed is not None else ts_key(call.ts)


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
    return (call.seq if call.seq > 0 else _LAST, call.name)


def name_key(name: str) -> tuple[float, str]:
    """The ``call_sort_key`` of a call named ``name`` whose seq is the one its name starts with.

    That is every call the recorder wrote (``000003_tool.json`` holds seq 3), so a call is
    found by its file name with a bisect of its run's calls; the few others (a seq that is not
    the name's, legacy calls numbered by ts) are in their run's ``odd`` map.
    """
    head, sep, _ = name.partition("_")
    if sep and head.isdecimal():
        try:
            seq = int(head)
        except ValueError:  # more digits than int() converts
            return (_LAST, name)
        if seq > 0:
            return (seq, name)
    return (_LAST, name)


def placed_by_name(call: Call) -> bool:
    """Whether ``name_key`` of the call's file name is its ``call_sort_key``."""
    if call.derived_name and call.seq > 0:  # "<seq:06d>_<tool>.json": the name gives the seq
        return True
    return call_sort_key(call) == name_key(call.name)


def find_by_name(calls: Sequence[Call], name: str) -> Call | None:
    """The call for file ``name`` in ``calls`` (in ``call_sort_key`` order), when
    ``placed_by_name``; O(log n), O(1) for a name past the end (a new file)."""
    if not calls:
        return None
    key = name_key(name)
    if call_sort_key(calls[-1]) < key:
        return None
    i = bisect_left(calls, key, key=call_sort_key)
    while i < len(calls):
        call = calls[i]
        if call.name == name:
            return call
        if call_sort_key(call) != key:
            break
        i += 1
    return None


def assign_legacy_seqs(calls: list[Call]) -> list[Call]:
    """Number legacy (format 0) calls 1..n by ``ts`` (then file name); others are unchanged.

    Returns a new list; a call whose ``seq`` changes is replaced by a copy, never mutated.
    """
    legacy = [c for c in calls if c.format == 0 and c.status != BROKEN]
    if not legacy:
        return calls
    legacy.sort(key=lambda c: (call_ts_key(c), c.name))
    new_seq = {id(c): n for n, c in enumerate(legacy, 1)}
    return [
        c.replace(seq=new_seq[id(c)]) if id(c) in new_seq and c.seq != new_seq[id(c)] else c
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
        out.append(call if call.occurrence == n else call.replace(occurrence=n))
    return out, counts
