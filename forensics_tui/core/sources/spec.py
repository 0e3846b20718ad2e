"""Parsing ``--source`` / ``$FORENSICS_SOURCE``: a path, ``nats://HOST:PORT[/STREAM]`` or
``ssh://[USER@]HOST[/ROOT]``.

Credentials never belong in a source string: a ``nats://user:pass@host`` is refused with a
pointer to ``--creds``, so a secret cannot end up in shell history, process lists or logs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from forensics_tui.core.sources.wire import DEFAULT_STREAM

__all__ = ["SourceSpec", "SourceSpecError", "parse_source"]

_STREAM = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SSH_HOST = re.compile(r"^[A-Za-z0-9._-]{1,253}$")
_SSH_USER = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class SourceSpecError(ValueError):
    """A ``--source`` value that cannot be used; the message says why and what works."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    kind: str  # "local", "nats" or "ssh"
    text: str  # the value as given (safe to show: it never holds credentials)
    path: Path | None = None  # local root, or remote root for ssh
    host: str | None = None
    port: int | None = None
    stream: str = DEFAULT_STREAM
    user: str | None = None

    @property
    def url(self) -> str:
        """``nats://host:port`` for a NATS source."""
        return f"nats://{self.host}:{self.port}"

    @property
    def label(self) -> str:
        if self.kind == "nats":
            return f"{self.url}/{self.stream}"
        return self.text


def parse_source(text: str) -> SourceSpec:
    """Parse one ``--source`` value; raises :class:`SourceSpecError` with a clear message."""
    text = text.strip()
    if not text:
        raise SourceSpecError("empty --source")
    if text.startswith("nats://") or text.startswith("tls://"):
        return _nats(text)
    if text.startswith("ssh://"):
        return _ssh(text)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise SourceSpecError(
            f"unknown source scheme {scheme!r}: use a path, nats://HOST:PORT[/STREAM] "
            "or ssh://[USER@]HOST[/ROOT]"
        )
    return SourceSpec("local", text, path=Path(os.path.expanduser(text)))


def _nats(text: str) -> SourceSpec:
    parts = urlsplit(text)
    if parts.username or parts.password:
        raise SourceSpecError(
            "credentials in a nats:// URL are refused (they would show in process lists); "
            "use --creds FILE or $FORENSICS_NATS_CREDS"
        )
    try:
        port = parts.port or 4222
    except ValueError:
        raise SourceSpecError(f"bad port in {text!r}") from None
    if not parts.hostname:
        raise SourceSpecError(f"no host in {text!r}: use nats://HOST:PORT[/STREAM]")
    stream = parts.path.strip("/") or DEFAULT_STREAM
    if not _STREAM.match(stream):
        raise SourceSpecError(f"bad stream name {stream!r}: letters, digits, '-' and '_'")
    return SourceSpec("nats", text, host=parts.hostname, port=port, stream=stream)


def _ssh(text: str) -> SourceSpec:
    rest = text[len("ssh://") :]
    authority, _, root = rest.partition("/")
    user, _, host = authority.rpartition("@")
    if ":" in host:
        host, _, port_text = host.partition(":")
        if not port_text.isdigit():
            raise SourceSpecError(f"bad port in {text!r}")
        port: int | None = int(port_text)
    else:
        port = None
    if not _SSH_HOST.match(host) or host.startswith("-"):
        raise SourceSpecError(f"bad host in {text!r}: use ssh://[USER@]HOST[/ROOT]")
    if user and (not _SSH_USER.match(user) or user.startswith("-")):
        raise SourceSpecError(f"bad user in {text!r}")
    path = Path("/" + root) if root else None
    return SourceSpec("ssh", text, path=path, host=host, port=port, user=user or None)
