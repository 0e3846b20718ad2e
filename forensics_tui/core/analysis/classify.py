"""The one classifier: what kind of failure a call shows, with the fields that prove it.

Findings, the diff verdict, check, patterns and post-mortems all ask this module, so a call is
the same kind everywhere (docs/ARCHITECTURE.md, "Analysis model").  It reads one fixture: its
status, its error (type, message, ``masked_by``), the error signals hidden in its output and
any HTTP status it carries (``output.status_code``, an embedded code, ``HTTP 503`` in the error
text, ``meta.response``), and classifies HTTP statuses by meaning: 408/504 time out, 429 is a
rate limit, 401/403 reject the credential, 5xx is the upstream service's failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from forensics_tui.core.analysis.signals import AUTH_WORDS, RATE_WORDS, Signals, quote, scan_output
from forensics_tui.core.model import Fixture

__all__ = [
    "FAILED_STATUSES",
    "KINDS",
    "PROBLEM_KINDS",
    "Classification",
    "classify",
    "error_text",
    "finding_kind",
    "http_status",
    "is_cancelled",
]

KINDS: tuple[str, ...] = (
    "ok",
    "pending",
    "skipped",
    "timeout",
    "unreachable",
    "auth",
    "rate_limited",
    "upstream",
    "soft_error",
    "error",
)
PROBLEM_KINDS = frozenset(KINDS) - {"ok", "pending", "skipped"}
FAILED_STATUSES = frozenset({"error", "timeout"})

# One timeout rule: exception types (ReadTimeout, ReadTimedOut, ConnectTimeout, TimeoutError,
# asyncio's TimeoutError, DeadlineExceeded) and messages saying the call timed out.
TIMEOUT = re.compile(
    r"time[\s_-]?d?[\s_-]?out|deadline[\s_-]*exceeded|deadlineexceeded", re.IGNORECASE
)
UNREACHABLE = re.compile(
    r"connect(?:ion)?[\s_-]*(?:error|refused|reset|aborted|failed)|connecterror"
    r"|name[\s_-]*(?:resolution|or[\s_-]*service[\s_-]*not[\s_-]*known)"
    r"|no[\s_-]*route[\s_-]*to[\s_-]*host|network[\s_-]*(?:is[\s_-]*)?unreachable"
    r"|getaddrinfo|remotedisconnected|server[\s_-]*disconnected",
    re.IGNORECASE,
)
_HTTP_CODE = re.compile(r"(?<![\d.:/])([45]\d\d)(?![\d.])")
_CANCELLED = re.compile(r"cancel", re.IGNORECASE)

_PHRASES = {  # {call}: the call (or its tool and endpoint), {service}: who answered it
    "timeout": "{call} timed out",
    "unreachable": "the service behind {call} was unreachable",
    "auth": "the service rejected the credential of {call}",
    "rate_limited": "the service rate-limited {call}",
    "upstream": "the service behind {call} answered with a server error",
    "soft_error": "the output of {call} carries an error",
    "error": "{call} returned an error",
}
_UPSTREAM = frozenset({"timeout", "unreachable", "auth", "rate_limited", "upstream"})


@dataclass(slots=True, frozen=True)
class Classification:
    """One call's kind (one of :data:`KINDS`) and the evidence sentence that proves it.

    ``silent`` is a problem in a call whose status says ``ok``; ``upstream`` says the other side
    caused it whatever the agent sent; ``http_status`` is the status code the fixture carries;
    ``masked_by`` names what hid the real exception type (``error.masked_by``), when recorded.
    """

    kind: str
    proof: str = ""  # the fields that prove the kind, quoted
    silent: bool = False
    http_status: int | None = None
    masked_by: str | None = None
    status: str = ""

    @property
    def evidence(self) -> str:
        """The evidence sentence: the call's status, then the proof."""
        if not self.problem:
            return self.proof
        if self.silent:
            return f"status ok but {self.proof}" if self.proof else "status ok"
        head = f"status = {quote(self.status)}"
        return f"{head}; {self.proof}" if self.proof else head

    @property
    def problem(self) -> bool:
        return self.kind in PROBLEM_KINDS

    @property
    def upstream(self) -> bool:
        return self.kind in _UPSTREAM

    def phrase(self, subject: str | None = None) -> str:
        """Completes "same input, but ..." in a diff verdict, naming ``subject`` (the tool
        and endpoint) when given."""
        return _PHRASES.get(self.kind, "{call}: " + self.kind).format(call=subject or "the call")

    def describe(self, subject: str | None = None) -> str:
        phrase = self.phrase(subject)
        return f"{phrase} ({self.proof})" if self.proof else phrase

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "evidence": self.evidence,
            "silent": self.silent,
            "http_status": self.http_status,
            "masked_by": self.masked_by,
        }


def finding_kind(classification: Classification) -> str | None:
    """The finding a classification raises: failed calls keep their kind; an ok call's
    credential problem is ``auth_expiry``, its rate limit ``rate_limited``, anything else in
    it ``soft_error`` (docs/ARCHITECTURE.md, "Silent-failure findings")."""
    if not classification.problem:
        return None
    if not classification.silent:
        return classification.kind
    return {"auth": "auth_expiry", "rate_limited": "rate_limited"}.get(
        classification.kind, "soft_error"
    )


def error_text(error: Any) -> str:
    """``"<type>: <message>"`` for a fixture's ``error`` (empty when there is none)."""
    if isinstance(error, dict):
        return ": ".join(str(error.get(k)) for k in ("type", "message") if error.get(k))
    return str(error) if error else ""


def is_cancelled(fixture: Fixture) -> bool:
    """An error raised because the call was cancelled (by its parent's timeout, typically)."""
    error = fixture.error
    kind = error.get("type") if isinstance(error, dict) else None
    return isinstance(kind, str) and bool(_CANCELLED.search(kind))


def _field(path: str, value: Any, root: str = "output") -> str:
    where = f"{root}.{path}" if path and not path.startswith("[") else f"{root}{path}"
    return f"{where} = {quote(value, 80)}"


def _meta_response(fixture: Fixture) -> dict[str, Any]:
    response = fixture.meta.get("response") if isinstance(fixture.meta, dict) else None
    return response if isinstance(response, dict) else {}


def http_status(fixture: Fixture, signals: Signals | None = None) -> tuple[int, str] | None:
    """The HTTP status the fixture carries and where: the output's own code first, then an
    embedded one, ``meta.response``, and (failed calls only) a code in the error text."""
    signals = signals if signals is not None else scan_output(fixture.output)
    if signals.codes:
        path, code = min(signals.codes, key=lambda pc: (pc[0].count("."), pc[0]))
        return code, _field(path, code)
    response = _meta_response(fixture)
    for key in ("status_code", "status"):
        value = response.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value, _field(key, value, "meta.response")
    if fixture.status in FAILED_STATUSES:
        found = _HTTP_CODE.search(error_text(fixture.error))
        if found:
            return int(found.group(1)), f"error = {quote(error_text(fixture.error), 100)}"
    return None


def _retry_after(fixture: Fixture, signals: Signals) -> list[str]:
    proof = [_field(p, v) for p, v in signals.retry_after]
    headers = _meta_response(fixture).get("headers")
    if isinstance(headers, dict):
        for key, value in headers.items():
            if isinstance(key, str) and key.casefold() == "retry-after" and value:
                proof.append(_field(f"headers.{key}", value, "meta.response"))
    return proof


def _join(items: list[str], limit: int = 2) -> str:
    seen: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return "; ".join(seen[:limit])


def classify(fixture: Fixture) -> Classification:
    """The kind of ``fixture`` with its evidence; never raises."""
    status = fixture.status
    if status == "pending":
        return Classification(status, status=status)
    failed = status != "ok"
    signals = scan_output(fixture.output)
    if not failed and _quiet(signals) and not _meta_response(fixture):
        return _healthy(_plain_code(signals))
    error = error_text(fixture.error) if failed else ""
    masked = fixture.error.get("masked_by") if isinstance(fixture.error, dict) else None
    masked_by = str(masked) if masked else None
    code_at = http_status(fixture, signals)
    code = code_at[0] if code_at else None
    error_proof = [f"error = {quote(error, 120)}"] if error else []
    if masked_by:
        error_proof.append(f"real exception type masked by {quote(masked_by, 60)}")
    code_proof = [code_at[1]] if code_at else []

    def result(kind: str, proof: list[str], limit: int = 2) -> Classification:
        return Classification(kind, _join(proof, limit), not failed, code, masked_by, status)

    error_type = fixture.error.get("type") if isinstance(fixture.error, dict) else None
    if status == "timeout" or (
        failed and (TIMEOUT.search(str(error_type or "")) or TIMEOUT.search(error))
    ):
        return result("timeout", error_proof)
    if code in (408, 504):
        return result("timeout", code_proof + error_proof)
    rate = [p for p in code_proof if code == 429] + _retry_after(fixture, signals)
    rate += [_field(p, t) for p, t in signals.texts if RATE_WORDS.search(t)]
    if error and RATE_WORDS.search(error):
        rate += error_proof
    if rate:
        return result("rate_limited", rate)
    auth = [p for p in code_proof if code in (401, 403)]
    auth += [_field(p, t) for p, t in signals.texts if AUTH_WORDS.search(t)]
    if error and AUTH_WORDS.search(error):
        auth += error_proof
    if auth:
        return result("auth", auth)
    if code is not None and code >= 500:
        return result("upstream", code_proof + _errors(signals) + error_proof)
    if failed and (UNREACHABLE.search(str(error_type or "")) or UNREACHABLE.search(error)):
        return result("unreachable", error_proof)
    if status == "skipped":  # skipped for a reason shown above, or simply skipped
        return Classification(status, status=status)
    if failed:
        return result("error", error_proof + [p for p in code_proof if code and code >= 400])
    soft = [_field(p, v) for p, v in signals.errors][:2]
    soft += [_field(p, v) for p, v in signals.flags][:1]
    soft += [_field(p, t) for p, t in signals.text_errors][:1]
    texts = {p for p, _ in signals.text_errors}
    soft += [_field(p, c) for p, c in signals.codes if c >= 400 and p not in texts][:1]
    soft += [_field(p, v) for p, v in signals.bad_status][:1]
    if soft:
        return result("soft_error", soft, 4)
    return Classification("ok", http_status=code, status=status)


_HEALTHY: dict[int | None, Classification] = {}


def _healthy(code: int | None) -> Classification:
    """The classification of a plain ok call: one shared object per status code (a value,
    and most calls of a big root are these)."""
    hit = _HEALTHY.get(code)
    if hit is None:
        hit = Classification("ok", http_status=code, status="ok")
        if len(_HEALTHY) < 1024:
            _HEALTHY[code] = hit
    return hit


def _quiet(signals: Signals) -> bool:
    """Nothing in the output hints at a problem (the common case, decided without quoting)."""
    return not (
        signals.errors
        or signals.flags
        or signals.bad_status
        or signals.retry_after
        or signals.texts
        or signals.text_errors
        or any(code >= 400 for _, code in signals.codes)
    )


def _plain_code(signals: Signals) -> int | None:
    if not signals.codes:
        return None
    return min(signals.codes, key=lambda pc: (pc[0].count("."), pc[0]))[1]


def _errors(signals: Signals) -> list[str]:
    found = [_field(p, v) for p, v in signals.errors]
    found += [_field(p, v) for p, v in signals.flags]
    return found + [_field(p, v) for p, v in signals.bad_status]
