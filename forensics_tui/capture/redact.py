"""Redaction: secrets never reach a fixture file.

Three rules, applied before anything is written: values under secret-looking keys
(``Authorization``, ``api_key``, ``client_secret``, ... but never token counters such as
``max_tokens``), secret-looking values anywhere in a string (bearer/basic credentials, JWTs,
cloud and vendor key shapes, PEM private keys, ``user:pass@`` in URLs, ``password=...``), and the
exact values of secret-named environment variables (rescanned cheaply, so ones set after start
count).  Inside a longer string only the secret part becomes ``[REDACTED]``; dict keys and tool
names are scrubbed like values, and ``[name, value]`` pairs like keys.  The tables live in
``redact_rules``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from time import monotonic as _monotonic
from typing import Any

from forensics_tui.capture.redact_rules import (
    COUNT_WORDS,
    FLAG_WORDS,
    PAIR_ANCHORS,
    QUALIFIED_TAILS,
    QUALIFIER_WORDS,
    SECRET_EXACT,
    STRONG_TAILS,
    SUFFIX_TAILS,
    VALUE_RULES,
    WEAK_TAILS,
)
from forensics_tui.capture.serialize import REDACTED, prepare

__all__ = ["REDACTED", "Redactor", "redactor_from_env"]

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_PLAIN_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_TRAILING_DIGITS = re.compile(r"\d+$")


def _words(key: str) -> list[str]:
    words = [w.lower() for w in _WORD_SPLIT.split(key) if w]
    if words:
        words[-1] = _TRAILING_DIGITS.sub("", words[-1]) or words[-1]
    return words


def _plain_words(key: str) -> list[str]:
    words = [w.lower() for w in _PLAIN_SPLIT.split(key) if w]
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


# name=value (also ``name = "value"``, INI/TOML spacing), "name": "value" (also JSON escaped
# inside a string), 'name': 'value', header lines and inline ``Name: value`` (curl -H), and
# command-line flags (``--password hunter2``): (regex, name group, value group).
_PAIR_RULES: list[tuple[re.Pattern[str], int, int]] = [
    (
        re.compile(
            r"(?<![A-Za-z0-9_.-])([A-Za-z_][A-Za-z0-9_.-]{0,63})[ \t]*=[ \t]*([\"']?)"
            r"([^&\s;,\"'<>\x00]+)"
        ),
        1,
        3,
    ),
    (re.compile(r"\"([A-Za-z_][A-Za-z0-9_.-]{0,63})\"\s*:\s*\"((?:[^\"\\\x00]|\\.)+)\""), 1, 2),
    (
        re.compile(
            r"\\\"([A-Za-z_][A-Za-z0-9_.-]{0,63})\\\"\s*:\s*\\\"((?:[^\"\\\x00]|\\[^\"])+)\\\""
        ),
        1,
        2,
    ),
    (re.compile(r"'([A-Za-z_][A-Za-z0-9_.-]{0,63})'\s*:\s*'([^'\\\x00]+)'"), 1, 2),
    (re.compile(r"(?m)^[ \t>]*([A-Za-z_][A-Za-z0-9_.-]{0,63})[ \t]*:[ \t]*([^\r\n\x00]+)"), 1, 2),
    (
        re.compile(r"(?<![A-Za-z0-9_-])([A-Za-z][A-Za-z0-9_-]{1,63}):[ \t]*([^\s\"'&;,<>\x00]+)"),
        1,
        2,
    ),
    (
        re.compile(
            r"(?<![\w-])--?([A-Za-z][A-Za-z0-9_-]{1,63})(?:[ \t]+|=)([\"']?)([^\s\"'\x00-]\S*?)\2(?=\s|$)"
        ),
        1,
        3,
    ),
]
_SECRET_ENV_MIN = 8
_ENV_RECHECK_S = 1.0
CLEAN_CACHE_MAX = 4096  # strings remembered as clean (then the set starts over)
CLEAN_CACHE_CHARS = 256  # longer strings (bodies, prose) rarely repeat: not remembered
# When a full set served fewer lookups than a tenth of its size (every call brings new
# strings), nothing is remembered for this many strings: the set's upkeep would cost more
# than it saves.  Then it is filled again, to see whether strings repeat by now.
CLEAN_CACHE_PAUSE = 8 * CLEAN_CACHE_MAX
KEY_SCAN_MIN = 16  # dict keys this long are checked for being a secret themselves


class Redactor:
    """Replaces secrets in payloads; ``redact(obj, base_path) -> (obj, paths)``.

    ``extra_keys`` are more secret key names (matched like the built-in ones: case- and
    separator-insensitively, as a whole key or its last words); ``extra_patterns`` are regexes
    whose match (or first group, if they have one) is a secret.  ``enabled=False`` turns it off.
    ``env`` is scanned for secret-named variables whose values are then redacted anywhere; it is
    scanned again when its size changes or a second has passed, so a secret set after the
    recorder started (``load_dotenv()``) is redacted too.
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
        # Exact strings the fast check found clean under the current rules: cleared when the
        # rules change (``_build``), bounded in count and in the length of a string kept.
        self.clean_strings: set[str] = set()
        self._clean_hits = 0  # lookups the set answered since it was last emptied
        self._clean_pause = 0  # strings still to go before remembering again
        self._name_cache: dict[str, str] = {}
        self._secret_names: dict[Any, bool] = {}  # environment variable name -> secret-named
        self._extra_keys = frozenset(n for n in (_normal(k) for k in extra_keys) if n)
        self._extra = [p if isinstance(p, re.Pattern) else re.compile(p) for p in extra_patterns]
        self._base_rules: list[tuple[re.Pattern[str], int, tuple[str, ...], tuple[str, ...]]] = [
            (re.compile(p), g, cs, ci) for p, g, cs, ci in VALUE_RULES
        ]
        self._extra_rx = (
            re.compile("|".join(f"(?:{rx.pattern})" for rx in self._extra)) if self._extra else None
        )
        self._env = env
        # os.environ's own dict: a C-level len() per call tells a load_dotenv() happened
        self._env_data: Any = getattr(env, "_data", env)
        self._env_len = -1
        self._env_next = 0.0
        self.env_values: list[str] = []
        self._build(self._secret_env_values(env or {}))

    def _build(self, env_values: list[str]) -> None:
        """(Re)compile the value rules and the anchor scans for these environment secrets."""
        rules = list(self._base_rules)
        self.env_values = env_values
        if env_values:
            alt = "|".join(re.escape(v) for v in env_values)
            rules.append((re.compile(f"(?:{alt})"), 0, tuple(env_values), ()))
        rules += [(rx, 1 if rx.groups else 0, (), ()) for rx in self._extra]
        self._rules = rules
        cs = sorted({a for _, _, anchors, _ in rules for a in anchors}, key=len, reverse=True)
        ci = sorted({a for *_, anchors in rules for a in anchors} | set(PAIR_ANCHORS))
        # One scan of the lowered text for every anchor (case-sensitive ones lowered too: a
        # false alarm only costs the per-rule checks, a second scan would cost every call).
        self._any_rx = re.compile(_anchor_scan({a.lower() for a in cs} | set(ci)))
        self._name_cache.clear()
        # Strings found clean under the old rules may hold a new environment secret.
        self.clean_strings.clear()
        self._clean_hits = 0
        # Keys judged before may hold a newly secret environment value: judge them again.
        self.key_cache.clear()
        safe = self.__dict__.get("_fast_safe_keys")
        if safe is not None:
            safe.clear()

    def _check_env(self) -> None:
        """Rescan the environment; callers check cheaply first (a length and a clock read):
        when it grew or shrank, or once a second (a changed value keeps the length)."""
        data = self._env_data
        if data is None:
            return
        now = _monotonic()
        env = self._env
        assert env is not None
        self._env_next = now + _ENV_RECHECK_S
        self._env_len = len(data)
        try:
            values = self._secret_env_values(env)
        except RuntimeError:  # the environment changed while we read it: next time
            return
        if values != self.env_values:
            self._build(values)

    def suspicious(self, text: str) -> bool:
        """Cheap test: could ``text`` hold a secret?  False means it certainly does not."""
        return self.suspicious_any((text,))

    def suspicious_any(self, strings: Sequence[str]) -> bool:
        """``suspicious`` for several strings: one anchor scan of them all, and the extra
        patterns on each string alone (a ``^...$`` pattern must see each string whole)."""
        if not self.enabled or not strings:
            return False
        data = self._env_data  # the environment check inlined: this runs on every call
        if data is not None and (len(data) != self._env_len or _monotonic() >= self._env_next):
            self._check_env()
        known = self.clean_strings
        if known:  # strings found clean before, under the same rules, need no second scan
            count = len(strings)
            strings = [s for s in strings if s not in known]
            self._clean_hits += count - len(strings)
            if not strings:
                return False
        text = strings[0] if len(strings) == 1 else "\x00".join(strings)
        if self._any_rx.search(text.lower()):
            return True
        extra = self._extra_rx
        if extra is not None and any(extra.search(s) for s in strings):
            return True
        if self._clean_pause > 0:  # strings have not been repeating: remember none for now
            self._clean_pause -= len(strings)
            return False
        if len(known) > CLEAN_CACHE_MAX:
            if self._clean_hits * 10 < len(known):  # a full set, hardly ever used
                self._clean_pause = CLEAN_CACHE_PAUSE
            known.clear()
            self._clean_hits = 0
            if self._clean_pause:
                return False
        if max(map(len, strings)) <= CLEAN_CACHE_CHARS:
            known.update(strings)
        else:
            known.update(s for s in strings if len(s) <= CLEAN_CACHE_CHARS)
        return False

    # -- keys ---------------------------------------------------------------------------

    def is_secret_key(self, key: str) -> bool:
        """True when values under ``key`` are secrets, or the key itself holds one (a token
        used as a dict key); cached per key."""
        hit = self.key_cache.get(key)
        if hit is None:
            hit = self.enabled and (
                self._key_rule(key) or (len(key) >= KEY_SCAN_MIN and self.scrub(key) != key)
            )
            if len(self.key_cache) < 10_000:
                self.key_cache[key] = hit
        return hit

    def _key_rule(self, key: str, *, anywhere: bool = False) -> bool:
        # Two splits: camel-case aware ("clientSecret") and separators only ("aPi_KeY").
        return any(self._words_rule(words, anywhere) for words in (_words(key), _plain_words(key)))

    def _words_rule(self, words: list[str], anywhere: bool) -> bool:
        if not words or any(w in FLAG_WORDS or w in COUNT_WORDS for w in words):
            return False
        whole = "".join(words)
        if whole in SECRET_EXACT or whole in self._extra_keys:
            return True
        ends = range(len(words), 0, -1) if anywhere else (len(words),)
        for end in ends:
            for size in (1, 2, 3):
                if size > end:
                    break
                tail = "".join(words[end - size : end])
                if tail in STRONG_TAILS or tail in self._extra_keys:
                    return True
                if tail in WEAK_TAILS and (
                    end - size == 0 or words[end - size - 1] not in QUALIFIER_WORDS
                ):
                    return True
                if tail in QUALIFIED_TAILS and end - size > 0:
                    return True
            if words[end - 1].endswith(SUFFIX_TAILS):
                return True
        return False

    def _secret_env_values(self, env: Mapping[str, str]) -> list[str]:
        """The values of the secret-named variables of ``env``.  Runs once a second while
        calls are made: names are judged once (cached by their raw form), and with
        ``os.environ`` only those values are decoded."""
        raw = getattr(env, "_data", None)
        decode = getattr(env, "decodevalue", None)
        items: Iterable[tuple[Any, Any]]
        if isinstance(raw, dict) and decode is not None:  # os.environ: its raw dict
            items, decode_key = raw.items(), getattr(env, "decodekey", decode)
        else:
            items, decode_key, decode = env.items(), _same, _same
        named = self._secret_names
        if len(named) > 10_000:
            named.clear()
        values = set()
        for key, value in list(items):
            secret = named.get(key)
            if secret is None:
                secret = named[key] = self._key_rule(decode_key(key), anywhere=True)
            if secret and len(value) >= _SECRET_ENV_MIN:
                text = decode(value)
                if len(text) >= _SECRET_ENV_MIN and "\x00" not in text:
                    values.add(text)
        return sorted(values, key=len, reverse=True)

    # -- values -------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """``text`` with every secret part replaced; the same object when nothing matched."""
        if not self.enabled or len(text) < 8:
            return text
        data = self._env_data
        if data is not None and (len(data) != self._env_len or _monotonic() >= self._env_next):
            self._check_env()
        low = text.lower()
        if not (self._any_rx.search(low) or self._extra_rx):
            return text  # the common case: no anchor of any rule occurs
        out = text
        for rx, group, cs, ci in self._rules:
            if (cs or ci) and not (any(a in text for a in cs) or any(a in low for a in ci)):
                continue
            out = rx.sub(functools.partial(_replace, group=group), out)
        if any(a in low for a in PAIR_ANCHORS):
            for rx, name, value in _PAIR_RULES:
                out = rx.sub(functools.partial(self._pair, name=name, value=value), out)
        return text if out == text else out

    def scrub_name(self, name: str) -> str:
        """A tool name with any secret in it replaced (a bot token in a URL path becomes the
        tool name and then the file name); cached, since tool names repeat."""
        hit = self._name_cache.get(name)
        if hit is None:
            hit = self.scrub(name)
            if len(self._name_cache) < 4096:
                self._name_cache[name] = hit
        return hit

    def _pair(self, m: re.Match[str], name: int, value: int) -> str:
        if REDACTED in m.group(value) or not self.is_secret_key(m.group(name)):
            return m.group(0)
        whole, base = m.group(0), m.start()
        return whole[: m.start(value) - base] + REDACTED + whole[m.end(value) - base :]

    def redact(self, obj: Any, base_path: str = "") -> tuple[Any, list[str]]:
        """``obj`` JSON-able with secrets replaced, and the dotted paths that were redacted.

        A plain-JSON ``obj`` with nothing to redact comes back as itself, not as a copy.
        """
        return prepare(obj, self if self.enabled else None, base_path)


# Characters by how often they occur in what tools exchange (prose, ids, numbers), most
# frequent first; anything else (punctuation, other scripts) is rarer than all of them.
_FREQUENT = " etaoinsrhld0123456789cumfpgwybvkxjqz"


def _same(value: Any) -> Any:
    return value


def _rarity(ch: str) -> int:
    i = _FREQUENT.find(ch)
    return len(_FREQUENT) if i < 0 else i


def _anchor_scan(words: set[str]) -> str:
    """A regex that finds any of ``words`` in a text, each entered at its rarest character:
    ``k(?:(?<=tok)en|ey)`` finds "token" and "key".  ``re`` looks for a pattern's possible
    first characters in C and tries the pattern only where one occurs, so first characters
    that are rare in ordinary text ("k", "_", "@") make the every-call "is anything
    suspicious?" scan cheaper than a trie of the words (``s(?:ecret|ession)``), whose first
    characters ("s", "a", "t", "e") are everywhere.  Only presence matters, so a word that
    contains another word is dropped."""
    unique = sorted({w for w in words if w}, key=len)
    kept: list[str] = []
    for word in unique:
        if not any(k in word for k in kept):
            kept.append(word)
    groups: dict[str, list[tuple[str, str]]] = {}
    for word in kept:
        pivot = max(range(len(word)), key=lambda i: _rarity(word[i]))
        groups.setdefault(word[pivot], []).append((word[: pivot + 1], word[pivot + 1 :]))
    alts = []
    for ch, parts in sorted(groups.items()):
        branches = [
            (f"(?<={re.escape(head)})" if len(head) > 1 else "") + re.escape(tail)
            for head, tail in parts
        ]
        alts.append(re.escape(ch) + ("(?:" + "|".join(branches) + ")" if branches != [""] else ""))
    return "|".join(alts) or "(?!)"


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
