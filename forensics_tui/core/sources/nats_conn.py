"""Connecting to NATS the same way for shipper and reader: reconnect forever, credentials and
TLS from flags or the environment, and nothing secret in a log line or an error message.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import sys
from dataclasses import dataclass
from typing import Any

__all__ = ["NatsOptions", "connect", "describe", "import_nats", "reachable"]

log = logging.getLogger(__name__)


def import_nats() -> Any:
    """The ``nats`` package, or a clear error naming the extra that brings it.

    The client imports aiohttp, when installed, for its websocket transport, which costs ~0.7 s
    of a fleet view's start on a busy machine; only ``nats://`` is used here, so the first
    import of the client is made with aiohttp hidden from it (and only from it).
    """
    hide = "aiohttp" not in sys.modules and "nats" not in sys.modules
    if hide:
        sys.modules["aiohttp"] = None  # type: ignore[assignment]  # makes ``import`` fail
    try:
        import nats
    except ImportError:
        from forensics_tui.core.sources.base import SourceError

        raise SourceError(
            "NATS support needs the 'fleet' extra: pip install 'forensics-tui[fleet]'"
        ) from None
    finally:
        if hide:
            del sys.modules["aiohttp"]
    return nats


@dataclass(frozen=True, slots=True)
class NatsOptions:
    """Connection settings.  ``creds`` and ``tls_ca`` are file paths; their contents are never
    read here, only handed to the client, and ``__repr__`` hides them."""

    url: str
    creds: str | None = None
    tls_ca: str | None = None
    name: str = "forensics-tui"
    connect_timeout: float = 5.0

    @classmethod
    def from_env(
        cls,
        url: str,
        creds: str | None = None,
        tls_ca: str | None = None,
        name: str = "forensics-tui",
    ) -> NatsOptions:
        return cls(
            url,
            creds or os.environ.get("FORENSICS_NATS_CREDS") or None,
            tls_ca or os.environ.get("FORENSICS_NATS_TLS_CA") or None,
            name,
        )

    def __repr__(self) -> str:
        return f"NatsOptions(url={self.url!r}, creds={'set' if self.creds else None})"


async def reachable(options: NatsOptions) -> None:
    """Raise ``OSError`` unless the server's port accepts a TCP connection.

    The client retries a first connect forever when told to reconnect forever; a reader wants
    a clear error instead, so it asks this first.
    """
    from urllib.parse import urlsplit

    parts = urlsplit(options.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 4222
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), options.connect_timeout
        )
    except TimeoutError:
        raise OSError(f"no answer in {options.connect_timeout:g}s") from None
    writer.close()


async def connect(options: NatsOptions, **callbacks: Any) -> Any:
    """A connected client that reconnects forever (every 0.25 s) after the first connect."""
    nats = import_nats()

    async def quiet_error(exc: Exception) -> None:
        log.debug("nats: %s", type(exc).__name__)

    kwargs: dict[str, Any] = {
        "servers": [options.url],
        "name": options.name,
        "connect_timeout": options.connect_timeout,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 0.25,
        "allow_reconnect": True,
        "error_cb": callbacks.pop("error_cb", quiet_error),
        **callbacks,
    }
    if options.creds:
        kwargs["user_credentials"] = options.creds
    if options.tls_ca:
        kwargs["tls"] = ssl.create_default_context(cafile=options.tls_ca)
    return await nats.connect(**kwargs)


def describe(exc: BaseException) -> str:
    """``Type: message`` of an exception, for a line a user reads (no secrets pass through:
    the client's errors name the server, never the credentials)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
