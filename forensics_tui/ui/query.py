"""The filter bar's small language, parsed once and matched against call summaries.

``status:error,timeout tool:send_* run:2026* -status:ok some words`` — terms are ANDed, values
inside one term are ORed, ``-`` negates a term, ``tool``/``run`` take shell globs, and bare words
must all appear (case-insensitively) in the tool, run id, call id, file name or preview.
Status aliases: ``fail``/``failed``/``failures`` = error, timeout and broken files.
``finding:auth_expiry`` keeps calls carrying that finding and ``kind:timeout`` calls the core's
analysis gives that kind (a finding's kind, or its classification); both read the analysis
answers the query is bound to.  ``@name`` expands a saved filter (``[filters]`` in the config).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any

from forensics_tui.core.model import Call

__all__ = ["FAILURE_STATUSES", "Query", "QueryError", "expand_saved", "parse_query"]

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
_FIELDS = ("status", "tool", "run", "finding", "kind")
_ANSWER_FIELDS = frozenset({"finding", "kind"})


class QueryError(ValueError):
    """The filter text cannot be understood; the message says which part."""


@dataclass(frozen=True, slots=True)
class _Term:
    field: str
    values: tuple[str, ...]
    negate: bool = False

    def matches(self, call: Call, answers: Any = None) -> bool:
        if self.field in _ANSWER_FIELDS:
            if answers is None:
                hit = False
            elif self.field == "finding":
                hit = bool(answers.finding_kinds(call.call_id) & set(self.values))
            else:
                hit = bool(answers.kinds_of(call.call_id) & set(self.values)) or (
                    call.status in self.values
                )
            return hit != self.negate
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
    answers: Any = field(default=None, compare=False, repr=False)
    """The analysis answers ``finding:`` and ``kind:`` terms read (``bind``)."""

    @property
    def empty(self) -> bool:
        return not self.terms and not self.words

    @property
    def needs_answers(self) -> bool:
        return any(t.field in _ANSWER_FIELDS for t in self.terms)

    def bind(self, answers: Any) -> Query:
        """This query reading ``answers`` (``ui.answers.Answers``) for its analysis terms."""
        return replace(self, answers=answers) if self.needs_answers else self

    def statuses(self) -> frozenset[str] | None:
        """The positive status set of the query, if it has exactly one status term."""
        found = [t for t in self.terms if t.field == "status" and not t.negate]
        return frozenset(found[0].values) if len(found) == 1 else None

    def matches(self, call: Call) -> bool:
        for term in self.terms:
            if not term.matches(call, self.answers):
                return False
        if self.words:
            hay = " ".join(
                (
                    call.tool,
                    call.run_id,
                    call.call_id,
                    call.name,
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


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def expand_saved(text: str, saved: Mapping[str, str]) -> str:
    """Replace each ``@name`` token by the saved filter ``name`` (one level, no recursion)."""
    out = []
    for token in _tokens(text):
        if token.startswith("@") and len(token) > 1:
            name = token[1:]
            if name not in saved:
                known = ", ".join(f"@{n}" for n in sorted(saved)) or "none saved"
                raise QueryError(f"no saved filter {token!r} ({known})")
            out.append(saved[name])
        else:
            out.append(shlex.quote(token) if " " in token else token)
    return " ".join(out)


def parse_query(text: str, saved: Mapping[str, str] | None = None) -> Query:
    """Parse filter-bar text; raises ``QueryError`` with a one-line reason."""
    shown = text
    if saved is not None or "@" in text:
        text = expand_saved(text, saved or {})
    terms: list[_Term] = []
    words: list[str] = []
    for token in _tokens(text):
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
    return Query(text=shown, terms=tuple(terms), words=tuple(words))
