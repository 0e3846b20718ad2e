"""The fleet wire format: what a shipper puts on JetStream and what a reader accepts from it.

Shipper and reader share this module so the two ends cannot drift.  Everything a reader takes
from a message is untrusted: names are decoded from ASCII tokens and checked again before
they touch the mirror, and sizes are capped.

* Subject ``fx.<host>.<run>`` for a fixture or a run manifest, ``fx.<host>`` for a heartbeat.
  Tokens keep ``[A-Za-z0-9_-]`` and write every other byte of the UTF-8 text as ``~XX``, so
  the mapping is reversible and a host or run id can never add a subject level or a wildcard.
* Headers (ASCII tokens only, as few as possible: each costs the client time per message):
  ``Nats-Msg-Id`` = ``<host>.<call id>.<state>`` (state ``pending``/``final`` for calls, a
  content hash for manifests), which JetStream uses to drop a resend inside its duplicate
  window and the reader parses back; ``Fx-Kind`` (``call``, ``run`` or ``heartbeat``);
  ``Fx-Name`` (file name in the run); ``Fx-Object`` and ``Fx-Size`` when the body went to the
  object store.
* Body: the (redacted) fixture bytes; for a large fixture its summary, the payload being in
  the object store bucket ``<STREAM>_BODIES`` under the ``Fx-Object`` name.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_STREAM",
    "HEARTBEAT",
    "INLINE_MAX",
    "MESSAGE_CAP",
    "SUBJECT_ROOT",
    "Envelope",
    "WireError",
    "bodies_bucket",
    "decode_token",
    "encode_token",
    "heartbeat_subject",
    "msg_id",
    "parse_headers",
    "safe_host",
    "safe_name",
    "safe_run",
    "subject_for",
]

DEFAULT_STREAM = "FORENSICS"
SUBJECT_ROOT = "fx"
HEARTBEAT = "heartbeat"
INLINE_MAX = 128 * 1024
"""Fixtures up to this size travel inside the message; bigger ones go to the object store."""
MESSAGE_CAP = 1024 * 1024
"""A reader refuses message bodies bigger than this (NATS' default max_payload)."""
NAME_MAX = 255

_SAFE = re.compile(r"[A-Za-z0-9_-]+\Z")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_TOKEN = re.compile(r"^(?:[A-Za-z0-9_-]|~[0-9A-F]{2})+$")
_STATE = re.compile(r"^(pending|final|m[0-9a-f]{16})$")
_BAD_CHAR = re.compile(r"[/\\\x00-\x1f\x7f]")  # a path separator or a control character


class WireError(ValueError):
    """A message that does not follow the wire format (the reader turns it into an error row)."""


def encode_token(text: str) -> str:
    """``text`` as one subject token: ``[A-Za-z0-9_-]`` kept, every other byte as ``~XX``."""
    if _SAFE.match(text):
        return text
    return _UNSAFE.sub(_escape, text) or "~00"


def _escape(match: re.Match[str]) -> str:
    return "".join(f"~{byte:02X}" for byte in match.group().encode("utf-8", "surrogatepass"))


def decode_token(token: str) -> str:
    """Inverse of :func:`encode_token`; raises :class:`WireError` on anything else."""
    if not _TOKEN.match(token):
        raise WireError(f"not a wire token: {token[:60]!r}")
    if "~" not in token:
        return token  # the common case: nothing was escaped
    raw = bytearray()
    i = 0
    while i < len(token):
        if token[i] == "~":
            raw.append(int(token[i + 1 : i + 3], 16))
            i += 3
        else:
            raw.append(ord(token[i]))
            i += 1
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WireError("token is not UTF-8") from None


def bodies_bucket(stream: str) -> str:
    return f"{stream}_BODIES"


@functools.lru_cache(maxsize=4096)
def subject_for(host: str, run: str) -> str:
    return f"{SUBJECT_ROOT}.{encode_token(host)}.{encode_token(run)}"


def heartbeat_subject(host: str) -> str:
    return f"{SUBJECT_ROOT}.{encode_token(host)}"


def msg_id(host: str, call_id: str, state: str) -> str:
    """The de-duplication id: one per (host, call, state); a resend of it is dropped."""
    return f"{encode_token(host)}.{encode_token(call_id)}.{state}"


def _plain(text: str, what: str) -> str:
    if not text or len(text) > NAME_MAX:
        raise WireError(f"{what} is empty or longer than {NAME_MAX} characters")
    if text in (".", "..") or text.startswith("."):
        raise WireError(f"{what} {text[:60]!r} starts with a dot")
    if _BAD_CHAR.search(text):
        raise WireError(f"{what} {text[:60]!r} has a path separator or a control character")
    return text


def safe_host(text: str) -> str:
    """A host name usable as the first part of a mirror run directory (``host:run``)."""
    if ":" in text:
        raise WireError(f"host {text[:60]!r} contains ':'")
    return _plain(text, "host")


def safe_run(text: str) -> str:
    return _plain(text, "run id")


def safe_name(text: str) -> str:
    name = _plain(text, "file name")
    if not name.endswith(".json"):
        raise WireError(f"file name {name[:60]!r} is not a .json file")
    return name


@dataclass(frozen=True, slots=True)
class Envelope:
    """What a message says about itself once its headers and subject have been checked."""

    kind: str  # "call", "run" or "heartbeat"
    host: str
    run: str | None = None
    name: str | None = None  # file name under the run ("run.json" for a manifest)
    call_id: str | None = None
    state: str | None = None
    object_name: str | None = None
    size: int | None = None


def _header(headers: dict[str, Any], key: str) -> str | None:
    value = headers.get(key)
    return value if isinstance(value, str) and value else None


def parse_headers(subject: str, headers: dict[str, Any] | None) -> Envelope:
    """Check subject and headers of one message; raises :class:`WireError` with the reason."""
    parts = subject.split(".")
    if len(parts) not in (2, 3) or parts[0] != SUBJECT_ROOT:
        raise WireError(f"unexpected subject {subject[:80]!r}")
    host = safe_host(decode_token(parts[1]))
    headers = headers or {}
    kind = _header(headers, "Fx-Kind")
    if len(parts) == 2:
        if kind != HEARTBEAT:
            raise WireError("a two-token subject must carry a heartbeat")
        return Envelope(HEARTBEAT, host)
    run = safe_run(decode_token(parts[2]))
    if kind not in ("call", "run"):
        raise WireError(f"unknown message kind {kind!r}")
    name_tok, dedup = _header(headers, "Fx-Name"), _header(headers, "Nats-Msg-Id")
    if name_tok is None or dedup is None:
        raise WireError("missing Fx-Name or Nats-Msg-Id header")
    id_parts = dedup.split(".")
    if len(id_parts) != 3 or id_parts[0] != parts[1] or not _STATE.match(id_parts[2]):
        raise WireError("Nats-Msg-Id is not <host>.<call id>.<state> for this subject")
    call_id, state = decode_token(id_parts[1]), id_parts[2]
    name = safe_name(decode_token(name_tok))
    if (kind == "run") != (name == "run.json"):
        raise WireError(f"kind {kind} does not match file name {name!r}")
    object_tok = _header(headers, "Fx-Object")
    size_text = _header(headers, "Fx-Size")
    size = None
    if size_text is not None:
        if not size_text.isdigit() or len(size_text) > 15:
            raise WireError(f"bad Fx-Size {size_text[:20]!r}")
        size = int(size_text)
    if object_tok is not None and not _TOKEN.match(object_tok.replace(".", "")):
        raise WireError("bad Fx-Object header")
    return Envelope(kind, host, run, name, call_id, state, object_tok, size)


def call_headers(
    *,
    kind: str,
    host: str,
    name: str,
    call_id: str,
    state: str,
    object_name: str | None = None,
    size: int | None = None,
) -> dict[str, str]:
    """Headers for one fixture or manifest message (see the module docstring)."""
    headers = {
        "Nats-Msg-Id": msg_id(host, call_id, state),
        "Fx-Kind": kind,
        "Fx-Name": encode_token(name),
    }
    if object_name is not None:
        headers["Fx-Object"] = object_name
        headers["Fx-Size"] = str(size or 0)
    return headers
