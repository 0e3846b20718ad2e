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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Pattern", "PatternBook", "Sighting", "find_patterns", "normalise_message", "signature"]

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
    latest_call_id: str | None = None  # the newest sighting's call
    occurrences: set[int] = field(default_factory=set)
    promoted: bool = False
    fixed_since: str | None = None
    example: str = ""  # the newest sighting's message as it was (shown by the TUI, not JSON)
    messages: list[str] = field(default_factory=list)  # distinct normalised messages
    last_position: int = 0  # run position of the newest sighting (orders the list)

    @property
    def run_count(self) -> int:
        return len(self.runs)

    @property
    def first_seen(self) -> str:
        return self.runs[0]

    @property
    def last_seen(self) -> str:
        return self.runs[-1]

    def copy(self) -> Pattern:
        return replace(
            self,
            runs=list(self.runs),
            occurrences=set(self.occurrences),
            messages=list(self.messages),
        )

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


class PatternBook:
    """Signatures folded run by run (call :meth:`add_run` in run order).

    ``fixed_since`` is kept as it goes: a sighting reopens its signature, and the first later
    run with a known-good call of the same tool and occurrence (any occurrence, for a missing
    call's occurrence 0) closes it.
    """

    __slots__ = ("by_sig", "by_tool")

    def __init__(self) -> None:
        self.by_sig: dict[str, Pattern] = {}
        self.by_tool: dict[str, list[Pattern]] = {}

    def copy(self) -> PatternBook:
        out = PatternBook()
        for key, pattern in self.by_sig.items():
            out.by_sig[key] = mine = pattern.copy()
            out.by_tool.setdefault(mine.tool, []).append(mine)
        return out

    def add_run(
        self,
        position: int,
        run_id: str,
        sightings: Iterable[Sighting],
        good: Iterable[tuple[str, int]],
    ) -> None:
        """One run's failures, then its known-good ``(tool, occurrence)`` calls."""
        for s in sightings:
            message = normalise_message(s.message)
            key = signature(s.tool, s.kind)
            pattern = self.by_sig.get(key)
            if pattern is None:
                pattern = self.by_sig[key] = Pattern(key, s.tool, s.kind, message)
                self.by_tool.setdefault(s.tool, []).append(pattern)
            if message not in pattern.messages:
                pattern.messages.append(message)
            pattern.example, pattern.message = s.message, message
            if not pattern.runs or pattern.runs[-1] != run_id:
                pattern.runs.append(run_id)
            if s.call_id:
                pattern.latest_call_id = s.call_id
            pattern.occurrences.add(s.occurrence)
            pattern.last_position, pattern.fixed_since = position, None
        for tool, occurrence in good:
            for pattern in self.by_tool.get(tool, ()):
                if (
                    pattern.fixed_since is None
                    and pattern.last_position < position
                    and (occurrence in pattern.occurrences or 0 in pattern.occurrences)
                ):
                    pattern.fixed_since = run_id

    def patterns(self, min_runs: int) -> list[Pattern]:
        """Every signature, promoted first (then by run count, then most recent)."""
        out = []
        for pattern in self.by_sig.values():
            mine = pattern.copy()
            mine.promoted = mine.run_count >= min_runs
            out.append(mine)
        return sorted(
            out, key=lambda p: (not p.promoted, -p.run_count, -p.last_position, p.signature)
        )


def find_patterns(
    run_order: Sequence[str],
    sightings: Iterable[Sighting],
    good: Mapping[tuple[str, int], Sequence[str]],
    *,
    min_runs: int = 3,
) -> list[Pattern]:
    """Every signature, promoted first (then by run count, then most recent), from sightings
    and known-good calls in any order: they are folded into a :class:`PatternBook` run by run.

    ``good`` maps ``(tool, occurrence)`` to the runs where that call was known-good.
    """
    position = {run_id: i for i, run_id in enumerate(run_order)}
    seen: list[list[Sighting]] = [[] for _ in run_order]
    goods: list[list[tuple[str, int]]] = [[] for _ in run_order]
    for s in sightings:
        if s.run_id in position:
            seen[position[s.run_id]].append(s)
    for key, runs in good.items():
        for run_id in runs:
            if run_id in position:
                goods[position[run_id]].append(key)
    book = PatternBook()
    for n, run_id in enumerate(run_order):
        book.add_run(n + 1, run_id, seen[n], goods[n])
    return book.patterns(min_runs)
