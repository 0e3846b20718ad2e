"""What a failing call's own data says went wrong, for the diff verdict.

A diff knows *what* changed; an on-call engineer also wants to know *which way to look*.  A call
that timed out, was rate limited, had its credential rejected, got a 5xx or could not reach the
service failed because of the other side, whatever the agent sent, while a 400 or a raised
``ValueError`` may well be the agent's own doing.  :func:`symptom` reads one fixture (status,
error, and the signals hidden in its output) and names the most telling problem with the fields
that prove it; :mod:`forensics_tui.core.analysis.diff` turns that into the verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from forensics_tui.core.analysis.signals import AUTH_WORDS, RATE_WORDS, Signals, quote, scan_output
from forensics_tui.core.model import Fixture

__all__ = ["Symptom", "symptom"]

_TIMEOUT = re.compile(r"time[\s_-]?d?[\s_-]?out|deadline[\s_-]*exceeded", re.IGNORECASE)
_UNREACHABLE = re.compile(
    r"connect(?:ion)?[\s_-]*(?:error|refused|reset|aborted)|connecterror|name[\s_-]*resolution"
    r"|no[\s_-]*route[\s_-]*to[\s_-]*host|network[\s_-]*(?:is[\s_-]*)?unreachable"
    r"|getaddrinfo|remotedisconnected",
    re.IGNORECASE,
)
_HTTP_CODE = re.compile(r"(?<![\d.:/])([45]\d\d)(?![\d.])")
_OK_STATUSES = frozenset({"ok", "pending"})


@dataclass(slots=True, frozen=True)
class Symptom:
    """``kind`` is one of timeout, rate_limited, auth, server_error, unreachable, error.

    ``upstream`` says the kind is the other side's doing whatever the input was; ``phrase``
    completes "same input, but ..."; ``proof`` quotes the fields (may be empty).
    """

    kind: str
    phrase: str
    proof: str
    upstream: bool

    def describe(self) -> str:
        return f"{self.phrase} ({self.proof})" if self.proof else self.phrase


def _field(path: str, value: Any) -> str:
    where = f"output.{path}" if path and not path.startswith("[") else f"output{path}"
    return f"{where} = {quote(value, 60)}"


def _error_text(fixture: Fixture) -> str:
    error = fixture.error
    if isinstance(error, dict):
        return ": ".join(str(error.get(k)) for k in ("type", "message") if error.get(k))
    return str(error) if error else ""


def _proof(items: list[str], limit: int = 2) -> str:
    return "; ".join(items[:limit])


def symptom(fixture: Fixture) -> Symptom | None:
    """The most telling problem ``fixture`` shows, or None when it looks healthy."""
    failed = fixture.status not in _OK_STATUSES
    signals = scan_output(fixture.output)
    error = _error_text(fixture)
    error_proof = [f"error = {quote(error, 100)}"] if error else []
    texts = [(p, t) for p, t in signals.texts]
    codes = [c for _, c in signals.codes]
    error_codes = [int(m) for m in _HTTP_CODE.findall(error)] if failed else []

    if fixture.status == "timeout" or (failed and _TIMEOUT.search(error)):
        return Symptom("timeout", "the call timed out", _proof(error_proof), True)
    rate = _rate(signals, texts, error, codes + error_codes)
    if rate:
        return Symptom("rate_limited", "the service rate-limited the call", _proof(rate), True)
    auth = [_field(p, c) for p, c in signals.codes if c in (401, 403)]
    auth += [_field(p, t) for p, t in texts if AUTH_WORDS.search(t)]
    if failed and (AUTH_WORDS.search(error) or {401, 403} & set(error_codes)):
        auth.append(error_proof[0])
    if auth:
        return Symptom("auth", "the service rejected the credential", _proof(auth), True)
    server = [_field(p, c) for p, c in signals.codes if c >= 500]
    if server or any(c >= 500 for c in error_codes):
        server += _errors(signals) + error_proof
        return Symptom(
            "server_error", "the service answered with a server error", _proof(server), True
        )
    if failed and _UNREACHABLE.search(error):
        return Symptom("unreachable", "the service was unreachable", _proof(error_proof), True)
    generic = [_field(p, c) for p, c in signals.codes if c >= 400] + _errors(signals)
    if failed:
        generic += error_proof
    if generic or failed:
        return Symptom("error", "the call returned an error", _proof(generic), False)
    return None


def _errors(signals: Signals) -> list[str]:
    found = [_field(p, v) for p, v in signals.errors]
    found += [_field(p, v) for p, v in signals.flags]
    return found + [_field(p, v) for p, v in signals.bad_status]


def _rate(
    signals: Signals, texts: list[tuple[str, str]], error: str, codes: list[int]
) -> list[str]:
    proof = [_field(p, c) for p, c in signals.codes if c == 429]
    if not proof and 429 in codes:
        proof.append(f"error = {quote(error, 100)}")
    proof += [_field(p, v) for p, v in signals.retry_after]
    proof += [_field(p, t) for p, t in texts if RATE_WORDS.search(t)]
    if error and RATE_WORDS.search(error):
        proof.append(f"error = {quote(error, 100)}")
    return proof
