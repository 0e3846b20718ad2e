"""Filling redacted values from the environment at send time, never from the fixture.

Each ``"[REDACTED]"`` in the part of a fixture a kind sends gets a source: a mapping in the
config (``[reexec.secrets] "replay.headers.Authorization" = "NOTIFY_TOKEN"``), else
``FORENSICS_SECRET_<NAME>`` where NAME is the path's last part uppercased with every other
character as ``_``.  A marker inside a larger string (a password in a URL) needs a mapping.

The filled structure carries a random placeholder per secret instead of the value, so one
template renders both ways: masked for the screen, the curl line and the audit, real only for
the wire.  The value itself lives in ``SecretFill.value`` (hidden from ``repr``) and is never
written anywhere.
"""

from __future__ import annotations

import json
import re
import secrets as _random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from forensics_tui.core.reexec.kinds import Refused

__all__ = [
    "MARKER",
    "SecretFill",
    "check_secret_hosts",
    "default_env_name",
    "fill_secrets",
    "iter_markers",
    "secret_forms",
]

MARKER = "[REDACTED]"
ENV_PREFIX = "FORENSICS_SECRET_"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class SecretFill:
    """One redacted value, where it is, which env var fills it, and its placeholder."""

    path: str
    env_var: str
    placeholder: str
    value: str = field(repr=False)


def secret_forms(value: str) -> set[str]:
    """Every spelling of ``value`` an error message or an echoing server may show: raw,
    percent-encoded, JSON-escaped, ``repr`` and bytes ``repr``, backslash-escaped, and each
    long word of it alone (the token of ``Bearer <token>``)."""
    forms = {
        value,
        quote(value, safe=""),
        quote_plus(value, safe=""),
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
        repr(value.encode("utf-8"))[2:-1],
        value.encode("unicode_escape").decode("ascii"),
        value.strip(),
    }
    forms.update(word for word in value.split() if len(word) >= 8)
    return {f for f in forms if len(f) >= 4}


def default_env_name(path: str) -> str:
    """``replay.headers.X-Api-Key`` -> ``FORENSICS_SECRET_X_API_KEY``."""
    last = path.rsplit(".", 1)[-1]
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", last.upper())


def _child(path: str, key: Any) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


def iter_markers(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """``(dotted path, string)`` for every string under ``value`` that holds the marker."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        here, item = stack.pop()
        if isinstance(item, str):
            if MARKER in item:
                yield here, item
        elif isinstance(item, dict):
            stack.extend((_child(here, k), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((_child(here, i), v) for i, v in enumerate(item))


def _mapped_env(path: str, mapping: Mapping[str, Any]) -> Any:
    if path in mapping:
        return mapping[path]
    folded = path.casefold()  # header names are case-insensitive
    for key, env_var in mapping.items():
        if key.casefold() == folded:
            return env_var
    return None


def _source(path: str, whole: bool, mapping: Mapping[str, str], env: Mapping[str, str]) -> str:
    env_var = _mapped_env(path, mapping)
    if env_var is None:
        if not whole:
            raise Refused(
                f"{path} has a redacted value inside a larger string; map it to an "
                f'environment variable in the config ([reexec.secrets] "{path}" = "VAR")'
            )
        env_var = default_env_name(path)
    value = env.get(env_var)
    if not value:
        raise Refused(f"{path} was redacted and ${env_var} is not set (no source for the secret)")
    bad = _CONTROL.search(value)
    if bad:  # never sent, and never echoed back in an error message either
        raise Refused(
            f"${env_var} (for {path}) contains a control character ({bad.group()!r} at "
            f"position {bad.start()}; a stray \\r from a .env line?); refusing to send it"
        )
    return env_var


def _replace(value: Any, path: str, by_path: Mapping[str, SecretFill]) -> Any:
    if isinstance(value, str):
        fill = by_path.get(path)
        return value.replace(MARKER, fill.placeholder) if fill else value
    if isinstance(value, dict):
        return {k: _replace(v, _child(path, k), by_path) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, _child(path, i), by_path) for i, v in enumerate(value)]
    return value


def check_secret_hosts(fills: list[SecretFill], url: str, bound: Mapping[str, Any]) -> None:
    """``Refused`` when a filled secret is bound (``[reexec.secrets]`` ``hosts = [...]``) to
    hosts that do not include ``url``'s; entries match like the allowlist's."""
    from forensics_tui.core.reexec.policy import host_refusal

    for fill in fills:
        hosts = _mapped_env(fill.path, bound)
        if hosts is None:
            continue
        if host_refusal(url, hosts) is not None:
            allowed = ", ".join(hosts) or "no host"
            raise Refused(
                f"secret {fill.path} (${fill.env_var}) may only be sent to {allowed}; "
                "this request goes elsewhere"
            )


def fill_secrets(
    value: Any, root: str, mapping: Mapping[str, str], env: Mapping[str, str]
) -> tuple[Any, list[SecretFill]]:
    """A copy of ``value`` (the fixture field ``root``) with each marker replaced by a
    placeholder, and the fills that say how to render each placeholder; ``Refused`` when a
    marker has no source."""
    token = _random.token_hex(8)
    fills: dict[str, SecretFill] = {}
    for n, (path, text) in enumerate(sorted(iter_markers(value, root))):
        env_var = _source(path, text == MARKER, mapping, env)
        placeholder = f"\u27e6secret-{token}-{n}\u27e7"
        fills[path] = SecretFill(path, env_var, placeholder, env[env_var])
    return _replace(value, root, fills), list(fills.values())
