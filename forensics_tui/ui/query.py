"""The filter bar's small language, parsed once and matched against call summaries.

``status:error,timeout tool:send_* run:2026* -status:ok some words`` — terms are ANDed, values
inside one term are ORed, ``-`` negates a term, ``tool``/``run`` take shell globs, and bare words
must all appear (case-insensitively) in the tool, run id, call id, file name or preview.
Status aliases: ``fail``/``failed``/``failures`` = error, timeout and broken files.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from forensics_tui.core.model import Call

__all__ = ["FAILURE_STATUSES", "Query", "QueryError", "parse_query"]

FAILURE_STATUSES: frozenset[str] = frozenset({"error", "timeout", "broken"})
_ALIASES: dict[str, frozenset[str]] = {
    "fail": FAILURE_STATUSES,
    "failed": FAILURE_STATUSES,
    "failure": FAILURE_STATUSES,
    "failures": FAILURE_STATUSES,
    "err": frozenset({"error"}),
    "bad": frozenset({"broken"}),
}
_KNOWN = frozenset({"ok", "error", "skipped", "timeout", "pending", "broken"})
_FIELDS = ("status", "tool", "run")


class QueryError(ValueError):
    """The filter text cannot be understood; the message says which part."""


@dataclass(frozen=True, slots=True)
class _Term:
    field: str
    values: tuple[str, ...]
    negate: bool = False

    def matches(self, call: Call) -> bool:
        if self.field == "status":
            hit = call.status in self.values
        elif self.field == "tool":
            tool = call.tool.lower()
            hit = any(fnmatchcase(tool, pattern) for pattern in self.values)
        else:
            run = call.run_id.lower()
            hit = any(fnmatchcase(run, pattern) for pattern in self.values)
        return hit != self.negate


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed filter; the empty query matches everything."""

    text: str = ""
    terms: tuple[_Term, ...] = ()
    words: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.terms and not self.words

    def statuses(self) -> frozenset[str] | None:
        """The positive status set of the query, if it has exactly one status term."""
        found = [t for t in self.terms if t.field == "status" and not t.negate]
        return frozenset(found[0].values) if len(found) == 1 else None

    def matches(self, call: Call) -> bool:
        for term in self.terms:
            if not term.matches(call):
                return False
        if self.words:
            hay = " ".join(
                (
                    call.tool,
                    call.run_id,
                    call.call_id,
                    call.path.name,
                    call.preview,
                    call.problem or "",
                )
            ).lower()
            return all(word in hay for word in self.words)
        return True


def _statuses(raw: str) -> tuple[str, ...]:
    out: set[str] = set()
    for part in raw.lower().split(","):
        part = part.strip()
        if not part:
            continue
        if part in _ALIASES:
            out |= _ALIASES[part]
        elif part in _KNOWN:
            out.add(part)
        else:
            raise QueryError(f"unknown status {part!r} (try ok, error, timeout, skipped, pending)")
    if not out:
        raise QueryError("status: needs a value, e.g. status:error,timeout")
    return tuple(sorted(out))


def parse_query(text: str) -> Query:
    """Parse filter-bar text; raises ``QueryError`` with a one-line reason."""
    try:
        tokens = shlex.split(text)
    except ValueError:
        tokens = text.split()
    terms: list[_Term] = []
    words: list[str] = []
    for token in tokens:
        negate = token.startswith("-") and ":" in token
        body = token[1:] if negate else token
        name, sep, value = body.partition(":")
        if sep and name.lower() in _FIELDS:
            name = name.lower()
            if name == "status":
                values = _statuses(value)
            else:
                values = tuple(v.strip().lower() for v in value.split(",") if v.strip())
                if not values:
                    raise QueryError(f"{name}: needs a value, e.g. {name}:send_*")
            terms.append(_Term(name, values, negate))
        else:
            words.append(token.lower())
    return Query(text=text, terms=tuple(terms), words=tuple(words))
