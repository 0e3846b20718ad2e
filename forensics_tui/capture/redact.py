"""Redaction: secrets never reach a fixture file.

Three rules, applied before anything is written: values under secret-looking keys
(``Authorization``, ``api_key``, ``client_secret``, ... but never token counters such as
``max_tokens``), secret-looking values anywhere in a string (bearer/basic credentials, JWTs,
cloud and vendor key shapes, PEM private keys, ``user:pass@`` in URLs, ``password=...``), and the
exact values of secret-named environment variables.  Inside a longer string only the secret part
becomes ``[REDACTED]``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from forensics_tui.capture.serialize import REDACTED, prepare

__all__ = ["REDACTED", "Redactor", "redactor_from_env"]

# Last word(s) of a key that make it secret: "github_token", "X-Api-Key", "clientSecret".
_SECRET_TAILS = frozenset(
    {
        "authorization",
        "cookie",
        "cookies",
        "token",
        "secret",
        "secrets",
        "password",
        "passwords",
        "passwd",
        "passphrase",
        "credential",
        "credentials",
        "creds",
        "apikey",
        "privatekey",
        "secretkey",
        "accesskey",
        "signingkey",
        "encryptionkey",
        "masterkey",
        "clientkey",
        "authkey",
        "sessionkey",
        "webhookkey",
        "licensekey",
        "sessionid",
        "sessiontoken",
        "jwt",
    }
)
# Whole keys that are secret on their own.
_SECRET_EXACT = frozenset({"auth", "session", "bearer", "apikey", "setcookie", "xapikey"})
# Tails that are secret only after another word ("db_pwd"), never bare ("PWD" is a directory).
_QUALIFIED_TAILS = frozenset({"pwd", "pass"})
# Any of these words makes a key a lookalike: counters, pagination, flags, descriptions.
_NOT_SECRET_WORDS = frozenset(
    {
        "max",
        "min",
        "num",
        "count",
        "total",
        "used",
        "limit",
        "prompt",
        "completion",
        "cached",
        "reasoning",
        "input",
        "output",
        "page",
        "next",
        "prev",
        "previous",
        "continuation",
        "pagination",
        "cursor",
        "sync",
        "is",
        "has",
        "use",
        "require",
        "requires",
        "required",
    }
)
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_TRAILING_DIGITS = re.compile(r"\d+$")


def _words(key: str) -> list[str]:
    words = [w.lower() for w in _WORD_SPLIT.split(key) if w]
    if words:
        words[-1] = _TRAILING_DIGITS.sub("", words[-1]) or words[-1]
    return words


def _normal(key: str) -> str:
    return "".join(_words(key))


def _basic_credential(token: str) -> bool:
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in raw


# (pattern, group to replace or 0 for the whole match, case-sensitive anchors, lowercase
# anchors).  A rule runs on a string only if one of its anchors occurs in it: the anchors make
# the common case (no secret anywhere) a couple of substring searches instead of regex scans.
_VALUE_RULES: list[tuple[str, int, tuple[str, ...], tuple[str, ...]]] = [
    (
        r"(?i:bearer)\s+([A-Za-z0-9\-._~+/]*[0-9\-._~+/][A-Za-z0-9\-._~+/]*=*)",
        1,
        (),
        ("bearer",),
    ),
    (r"(?i:basic)\s+([A-Za-z0-9+/]{4,}={0,2})", 1, (), ("basic",)),
    (r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", 0, ("eyJ",), ()),
    (r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", 0, ("AKIA", "ASIA"), ()),
    (
        r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
        0,
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        (),
    ),
    (r"\bxox[abposr]-[A-Za-z0-9-]{10,}", 0, ("xox",), ()),
    (r"\bsk-[A-Za-z0-9_-]{20,}", 0, ("sk-",), ()),
    (r"\bAIza[0-9A-Za-z_-]{30,}", 0, ("AIza",), ()),
    (r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}", 0, ("k_live_", "k_test_"), ()),
    (
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?"
        r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)",
        0,
        ("PRIVATE KEY",),
        (),
    ),
    (r"\b[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s\x00]+:([^@/?#\s\x00]+)@", 1, ("@",), ()),
]
# name=value, "name": "value" and header-style "Name: value" pairs whose name is secret.
_PAIR_RULES = [
    re.compile(r"(?<![A-Za-z0-9_.-])([A-Za-z_][A-Za-z0-9_.-]{0,63})=([^&\s;,\"'<>\x00]+)"),
    re.compile(r"\"([A-Za-z_][A-Za-z0-9_.-]{0,63})\"\s*:\s*\"((?:[^\"\\\x00]|\\.)+)\""),
    re.compile(r"'([A-Za-z_][A-Za-z0-9_.-]{0,63})'\s*:\s*'([^'\\\x00]+)'"),
    re.compile(r"(?m)^[ \t]*([A-Za-z_][A-Za-z0-9_.-]{0,63})[ \t]*:[ \t]*([^\r\n\x00]+)"),
]
_PAIR_ANCHORS: tuple[str, ...] = (
    "auth",
    "cookie",
    "token",
    "secret",
    "pass",
    "pwd",
    "key",
    "session",
    "cred",
)
_PAIR_ANCHORS += ("jwt",)
_SECRET_ENV_MIN = 8


class Redactor:
    """Replaces secrets in payloads; ``redact(obj, base_path) -> (obj, paths)``.

    ``extra_keys`` are more secret key names (matched like the built-in ones: case- and
    separator-insensitively, as a whole key or its last words); ``extra_patterns`` are regexes
    whose match (or first group, if they have one) is a secret.  ``enabled=False`` turns it off.
    ``env`` is scanned once for secret-named variables whose values are then redacted anywhere.
    """

    def __init__(
        self,
        extra_keys: Iterable[str] = (),
        extra_patterns: Iterable[str | re.Pattern[str]] = (),
        enabled: bool = True,
        env: Mapping[str, str] | None = os.environ,
    ) -> None:
        self.enabled = enabled
        self.key_cache: dict[str, bool] = {}
        self._extra_keys = frozenset(n for n in (_normal(k) for k in extra_keys) if n)
        # (regex, group, case-sensitive anchors, lowercase anchors); no anchors: always run.
        rules: list[tuple[re.Pattern[str], int, tuple[str, ...], tuple[str, ...]]] = [
            (re.compile(p), g, cs, ci) for p, g, cs, ci in _VALUE_RULES
        ]
        self.env_values = self._secret_env_values(env or {})
        if self.env_values:
            alt = "|".join(re.escape(v) for v in self.env_values)
            rules.append((re.compile(f"(?:{alt})"), 0, tuple(self.env_values), ()))
        extra = [p if isinstance(p, re.Pattern) else re.compile(p) for p in extra_patterns]
        rules += [(rx, 1 if rx.groups else 0, (), ()) for rx in extra]
        self._rules = rules
        cs = sorted({a for _, _, anchors, _ in rules for a in anchors}, key=len, reverse=True)
        ci = sorted({a for *_, anchors in rules for a in anchors} | set(_PAIR_ANCHORS))
        self._cs_rx = re.compile("|".join(map(re.escape, cs)))
        self._ci_rx = re.compile("|".join(map(re.escape, ci)))
        self._extra_rx = (
            re.compile("|".join(f"(?:{rx.pattern})" for rx in extra)) if extra else None
        )

    def suspicious(self, text: str) -> bool:
        """Cheap test: could ``text`` hold a secret?  False means it certainly does not."""
        if not self.enabled:
            return False
        return bool(
            self._cs_rx.search(text)
            or self._ci_rx.search(text.lower())
            or (self._extra_rx is not None and self._extra_rx.search(text))
        )

    # -- keys ---------------------------------------------------------------------------

    def is_secret_key(self, key: str) -> bool:
        """True when values under ``key`` are secrets (cached per key)."""
        hit = self.key_cache.get(key)
        if hit is None:
            hit = self.enabled and self._key_rule(key)
            if len(self.key_cache) < 10_000:
                self.key_cache[key] = hit
        return hit

    def _key_rule(self, key: str, *, anywhere: bool = False) -> bool:
        words = _words(key)
        if not words or any(w in _NOT_SECRET_WORDS for w in words):
            return False
        whole = "".join(words)
        if whole in _SECRET_EXACT or whole in self._extra_keys:
            return True
        ends = range(len(words), 0, -1) if anywhere else (len(words),)
        for end in ends:
            for size in (1, 2, 3):
                if size > end:
                    break
                tail = "".join(words[end - size : end])
                if tail in _SECRET_TAILS or tail in self._extra_keys:
                    return True
                if tail in _QUALIFIED_TAILS and end - size > 0:
                    return True
        return False

    def _secret_env_values(self, env: Mapping[str, str]) -> list[str]:
        values = set()
        for name, value in env.items():
            if (
                len(value) >= _SECRET_ENV_MIN
                and "\x00" not in value
                and self._key_rule(name, anywhere=True)
            ):
                values.add(value)
        return sorted(values, key=len, reverse=True)

    # -- values -------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """``text`` with every secret part replaced; the same object when nothing matched."""
        if not self.enabled or len(text) < 8:
            return text
        low = text.lower()
        out = text
        for rx, group, cs, ci in self._rules:
            if (cs or ci) and not (any(a in text for a in cs) or any(a in low for a in ci)):
                continue
            out = rx.sub(lambda m, g=group: _replace(m, g), out)  # type: ignore[misc]
        if any(a in low for a in _PAIR_ANCHORS):
            for rx in _PAIR_RULES:
                out = rx.sub(self._pair, out)
        return text if out == text else out

    def _pair(self, m: re.Match[str]) -> str:
        if REDACTED in m.group(2) or not self.is_secret_key(m.group(1)):
            return m.group(0)
        whole, base = m.group(0), m.start()
        return whole[: m.start(2) - base] + REDACTED + whole[m.end(2) - base :]

    def redact(self, obj: Any, base_path: str = "") -> tuple[Any, list[str]]:
        """``obj`` JSON-able with secrets replaced, and the dotted paths that were redacted.

        A plain-JSON ``obj`` with nothing to redact comes back as itself, not as a copy.
        """
        return prepare(obj, self if self.enabled else None, base_path)


def _replace(m: re.Match[str], group: int) -> str:
    if group == 0:
        return REDACTED
    value = m.group(group)
    if value == REDACTED or (m.group(0)[:5].lower() == "basic" and not _basic_credential(value)):
        return m.group(0)
    whole = m.group(0)
    start, end = m.start(group) - m.start(), m.end(group) - m.start()
    return whole[:start] + REDACTED + whole[end:]


def _config_redaction() -> dict[str, Any]:
    """The ``[redaction]`` table of the config file, or {} (missing or unusable file).

    Capture must never fail because of a config file, so problems here are ignored; the CLI
    reports them through ``core.config``.
    """
    from forensics_tui.capture.paths import config_path

    try:
        import tomllib

        with open(config_path(), "rb") as handle:
            table = tomllib.load(handle).get("redaction", {})
    except Exception:
        return {}
    return table if isinstance(table, dict) else {}


def _str_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def redactor_from_env(env: Mapping[str, str] | None = None) -> Redactor:
    """The default recorder's redactor.

    ``[redaction]`` in the config file gives ``enabled``, ``extra_keys`` and
    ``extra_patterns``; ``FORENSICS_REDACT=0`` turns redaction off and
    ``FORENSICS_REDACT_KEYS`` (comma-separated) adds secret key names.
    """
    env = os.environ if env is None else env
    table = _config_redaction()
    enabled = table.get("enabled", True) is not False
    if env.get("FORENSICS_REDACT", "1").strip().lower() in ("0", "false", "no", "off"):
        enabled = False
    extra = [k.strip() for k in env.get("FORENSICS_REDACT_KEYS", "").split(",") if k.strip()]
    extra += _str_list(table.get("extra_keys"))
    patterns = []
    for pattern in _str_list(table.get("extra_patterns")):
        try:
            re.compile(pattern)
        except re.error:
            continue  # a bad pattern must not cost the agent its fixtures
        patterns.append(pattern)
    return Redactor(extra_keys=extra, extra_patterns=patterns, enabled=enabled, env=env)
