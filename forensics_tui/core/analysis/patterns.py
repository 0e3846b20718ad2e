"""Recurring failures ("sprint-match"): the same failure signature across distinct runs.

A signature is ``(tool, kind)``: the same tool failing the same way, whatever the exception
class or the wording (ReadTimeout, ConnectTimeout and TimeoutError are all ``timeout``).  The
normalised message (numbers, ids, timestamps, URL query strings stripped) is detail: the
newest one is shown, every distinct one is kept.  Seen in ``min_runs`` distinct runs a
signature is *promoted*.  ``fixed_since`` is the first run after the last sighting in which the
same call (tool and occurrence) was known-good.  Sightings come from the analysis model's
causes, so a tool call and its failing child calls are one sighting, and re-execution runs are
never sightings.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Pattern", "Sighting", "find_patterns", "normalise_message", "signature"]

_URL_QUERY = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s?#\"'<>]*)[?#][^\s\"'<>]*", re.IGNORECASE)
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b"
)
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"(?<![0-9a-z])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}(?![0-9a-z])", re.I)
_TOKEN = re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]{16,}(?![\w-])", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# An IP address and a port vary between hosts and test servers, not between failures.
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_PORT = re.compile(r"(//[^/\s:@]+):\d{1,5}(?=[/\s?#]|$)")
_SPACE = re.compile(r"\s+")


def normalise_message(text: str, limit: int = 200) -> str:
    """Strip what varies between occurrences of the same failure."""
    text = _URL_QUERY.sub(r"\1", text)
    text = _PORT.sub(r"\1", text)
    text = _IPV4.sub("<ip>", text)
    text = _TIMESTAMP.sub("<ts>", text)
    text = _UUID.sub("<id>", text)
    text = _HEX.sub("<id>", text)
    text = _TOKEN.sub("<id>", text)
    text = _NUMBER.sub("<n>", text)
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def signature(tool: str, kind: str) -> str:
    return f"{tool}:{kind}"


@dataclass(slots=True, frozen=True)
class Sighting:
    """One failing call (or missing call, ``occurrence`` 0) with its finding kind and message."""

    run_id: str
    call_id: str | None
    tool: str
    occurrence: int
    kind: str
    message: str  # raw; normalised by find_patterns


@dataclass(slots=True)
class Pattern:
    signature: str
    tool: str
    kind: str
    message: str
    runs: list[str] = field(default_factory=list)  # distinct run ids, oldest first
    call_ids: list[str] = field(default_factory=list)  # newest last
    occurrences: set[int] = field(default_factory=set)
    promoted: bool = False
    fixed_since: str | None = None
    example: str = ""  # the newest sighting's message as it was (shown by the TUI, not JSON)
    messages: list[str] = field(default_factory=list)  # distinct normalised messages

    @property
    def run_count(self) -> int:
        return len(self.runs)

    @property
    def first_seen(self) -> str:
        return self.runs[0]

    @property
    def last_seen(self) -> str:
        return self.runs[-1]

    @property
    def latest_call_id(self) -> str | None:
        return self.call_ids[-1] if self.call_ids else None

    def to_json(self) -> dict[str, Any]:
        return {
            "signature": self.signature,
            "tool": self.tool,
            "kind": self.kind,
            "message": self.message,
            "run_count": self.run_count,
            "runs": list(self.runs),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "messages": list(self.messages),
            "promoted": self.promoted,
            "fixed_since": self.fixed_since,
        }


def find_patterns(
    run_order: Sequence[str],
    sightings: Iterable[Sighting],
    good: Mapping[tuple[str, int], Sequence[str]],
    *,
    min_runs: int = 3,
) -> list[Pattern]:
    """Every signature, promoted first (then by run count, then most recent).

    ``good`` maps ``(tool, occurrence)`` to the runs (any order) where that call was known-good;
    occurrence 0 (a missing call) is fixed by any known-good call of the tool.
    """
    position = {run_id: i for i, run_id in enumerate(run_order)}
    by_sig: dict[str, Pattern] = {}
    for s in sightings:
        if s.run_id not in position:
            continue
        message = normalise_message(s.message)
        key = signature(s.tool, s.kind)
        pattern = by_sig.get(key)
        if pattern is None:
            pattern = by_sig[key] = Pattern(key, s.tool, s.kind, message)
        if message not in pattern.messages:
            pattern.messages.append(message)
        if not pattern.runs or position[s.run_id] >= position[pattern.runs[-1]]:
            pattern.example = s.message
            pattern.message = message
        if not pattern.runs or pattern.runs[-1] != s.run_id:
            pattern.runs.append(s.run_id)
        if s.call_id:
            pattern.call_ids.append(s.call_id)
        pattern.occurrences.add(s.occurrence)
    good_positions = _good_positions(good, position)
    for pattern in by_sig.values():
        pattern.runs = sorted(set(pattern.runs), key=position.__getitem__)
        pattern.promoted = pattern.run_count >= min_runs
        pattern.fixed_since = _fixed_since(pattern, good_positions, position, run_order)
    return sorted(
        by_sig.values(),
        key=lambda p: (not p.promoted, -p.run_count, -position[p.last_seen], p.signature),
    )


def _good_positions(
    good: Mapping[tuple[str, int], Sequence[str]], position: Mapping[str, int]
) -> dict[tuple[str, int], list[int]]:
    out: dict[tuple[str, int], list[int]] = {}
    for (tool, occurrence), runs in good.items():
        spots = sorted(position[r] for r in runs if r in position)
        out[(tool, occurrence)] = spots
        merged = out.setdefault((tool, 0), [])
        merged.extend(spots)
    for key in [k for k in out if k[1] == 0]:
        out[key].sort()
    return out


def _fixed_since(
    pattern: Pattern,
    good_positions: Mapping[tuple[str, int], list[int]],
    position: Mapping[str, int],
    run_order: Sequence[str],
) -> str | None:
    last = position[pattern.last_seen]
    best: int | None = None
    for occurrence in pattern.occurrences:
        spots = good_positions.get((pattern.tool, occurrence), [])
        i = bisect_right(spots, last)
        if i < len(spots) and (best is None or spots[i] < best):
            best = spots[i]
    return run_order[best] if best is not None else None
