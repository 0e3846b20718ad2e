"""The exact request a re-execution would send, rendered three ways.

A ``Request`` holds templated strings: every filled secret appears as a placeholder.  The wire
rendering substitutes the real value (only when sending); ``describe()`` shows it masked with
the environment variable it comes from; ``curl_line()`` writes ``"${VAR}"`` so the equivalent
command is runnable without ever printing the secret.  Fixture text is untrusted, so the
human renderings go through ``safe_text``.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from forensics_tui.core.reexec.secrets_fill import SecretFill, secret_forms
from forensics_tui.core.sanitize import safe_text

__all__ = ["NON_IDEMPOTENT_METHODS", "SAFE_METHODS", "Request"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NON_IDEMPOTENT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # the usual suspects
_Mode = Literal["wire", "mask", "shell", "url", "json"]


@dataclass(slots=True)
class Request:
    """One re-execution request of any kind (``target`` is the URL, or ``module:function``)."""

    kind: str
    method: str
    target: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None  # JSON text when ``body_is_json``
    body_is_json: bool = False
    fills: tuple[SecretFill, ...] = ()
    host: str | None = None  # the fixture's own host; secrets go nowhere else
    notes: tuple[str, ...] = ()

    @property
    def idempotent(self) -> bool:
        """True only for GET, HEAD and OPTIONS over http; anything else (POST, PURGE, a custom
        verb, code) needs a typed confirmation because sending twice can change something
        twice."""
        return self.kind == "http" and self.method.upper() in SAFE_METHODS

    @property
    def needs_typed_confirmation(self) -> bool:
        return not self.idempotent

    @property
    def confirmation_word(self) -> str:
        """What a typed confirmation asks for: the method (``POST``), or ``yes`` for code."""
        return self.method if self.kind == "http" else "yes"

    def confirmed_by(self, typed: str) -> bool:
        """Whether ``typed`` confirms sending: the confirmation word in any case, surrounding
        spaces ignored (one rule for the TUI dialog and the CLI prompt)."""
        return typed.strip().casefold() == self.confirmation_word.casefold()

    @property
    def secret_sources(self) -> list[dict[str, str]]:
        """Which secret goes where: its path, the variable it comes from, and (http) the
        ``host:port`` it is sent to."""
        to = {"to": self.host} if self.host else {}
        return [{"path": f.path, "env": f.env_var, **to} for f in self.fills]

    def render(self, text: str, mode: _Mode) -> str:
        """``text`` with each placeholder replaced for ``mode`` (``wire``/``url``/``json`` give
        the real value: raw, percent-encoded, or JSON-escaped)."""
        for fill in self.fills:
            if fill.placeholder not in text:
                continue
            if mode == "mask":
                shown = f"<secret ${fill.env_var}>"
            elif mode == "shell":
                shown = "${" + fill.env_var + "}"
            elif mode == "url":
                shown = quote(fill.value, safe="")
            elif mode == "json":
                shown = json.dumps(fill.value, ensure_ascii=False)[1:-1]
            else:
                shown = fill.value
            text = text.replace(fill.placeholder, shown)
        return text

    # -- the wire (real secrets; never stored) -------------------------------------------

    def wire_url(self) -> str:
        return self.render(self.target, "url")

    def wire_headers(self) -> list[tuple[str, str]]:
        return [(k, self.render(v, "wire")) for k, v in self.headers]

    def wire_body(self) -> bytes | None:
        if self.body is None:
            return None
        return self.render(self.body, "json" if self.body_is_json else "wire").encode("utf-8")

    def secret_values(self) -> list[str]:
        """Every form of every filled value (raw, escaped, encoded: ``secret_forms``), longest
        first, so results can be scrubbed of any echo before anyone sees them."""
        values: set[str] = set()
        for fill in self.fills:
            values |= secret_forms(fill.value)
        return sorted(values, key=len, reverse=True)

    # -- what people see (masked, sanitised) ---------------------------------------------

    def describe(self) -> str:
        """Multi-line masked description for a confirmation dialog or a dry run."""
        if self.kind == "http":
            lines = [f"{self.method} {self.render(self.target, 'mask')}"]
            lines += [f"{k}: {self.render(v, 'mask')}" for k, v in self.headers]
        else:
            lines = [f"{self.kind} {self.render(self.target, 'mask')}"]
        if self.body is not None:
            lines += ["", self.render(self.body, "mask")]
        extra = [f"# {note}" for note in self.notes]
        where = f" -> sent to {self.host}" if self.host else ""
        extra += [f"# secret {f.path} from ${f.env_var}{where}" for f in self.fills]
        if not self.idempotent:
            extra.append(f"# NOT idempotent: sending this {self.method} may change state again")
        text = "\n".join(lines + (["", *extra] if extra else []))
        return safe_text(text, keep_newlines=True)

    def _shell_word(self, text: str) -> str:
        out: list[str] = []
        rest = text
        while rest:
            hits = [(rest.find(f.placeholder), f) for f in self.fills if f.placeholder in rest]
            if not hits:
                out.append(shlex.quote(rest))
                break
            at, fill = min(hits, key=lambda h: h[0])
            if at:
                out.append(shlex.quote(rest[:at]))
            out.append('"${' + fill.env_var + '}"')
            rest = rest[at + len(fill.placeholder) :]
        return "".join(out) or "''"

    def curl_line(self, *, timeout_s: float | None = None, max_bytes: int | None = None) -> str:
        """An equivalent ``curl`` command (secrets as ``"${VAR}"``); empty for non-http kinds."""
        if self.kind != "http":
            return ""
        words = ["curl", "-sS", "-i", "--proto", "=http,https", "-X", shlex.quote(self.method)]
        for key, value in self.headers:
            words += ["-H", self._shell_word(f"{key}: {value}")]
        if self.body is not None:
            words += ["--data-binary", self._shell_word(self.body)]
        if timeout_s is not None:
            total = timeout_s * 3  # as the http executor's total deadline
            words += ["--connect-timeout", f"{timeout_s:g}", "--max-time", f"{total:g}"]
        if max_bytes is not None:
            words += ["--max-filesize", str(max_bytes)]
        words.append(self._shell_word(self.target))
        return safe_text(" ".join(words))

    def to_json(self) -> dict[str, Any]:
        """Masked, JSON-ready description (for ``--json``, the audit log and the TUI)."""
        return {
            "kind": self.kind,
            "method": self.method,
            "target": self.render(self.target, "mask"),
            "headers": [[k, self.render(v, "mask")] for k, v in self.headers],
            "body": None if self.body is None else self.render(self.body, "mask"),
            "secrets": self.secret_sources,
            "idempotent": self.idempotent,
            "notes": list(self.notes),
        }
