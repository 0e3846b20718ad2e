"""Which HTTP client libraries can be recorded, and how each is patched (and unpatched).

Each client's lowest public send method is replaced at class level (``_http_httpx``,
``_http_requests``, ``_http_urllib``, ``_http_aiohttp``), so every instance, including ones
built inside SDKs, is covered; ``Patch.undo`` restores the original.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from forensics_tui.integrations._http_record import Settings

__all__ = ["CLIENTS", "Patch", "patch_client"]

CLIENTS = ("httpx", "httpx2", "requests", "aiohttp", "urllib", "urllib3")


class Patch:
    """One replaced attribute, restorable."""

    def __init__(self, owner: type, name: str, replacement: Callable[..., Any]) -> None:
        self.owner = owner
        self.name = name
        self.original = owner.__dict__[name]
        self.replacement = replacement
        setattr(owner, name, replacement)

    def undo(self) -> None:
        if self.owner.__dict__.get(self.name) is self.replacement:
            setattr(self.owner, self.name, self.original)


def _replacements(client: str, settings: Settings) -> list[tuple[type, str, Any]]:
    if client in ("httpx", "httpx2"):
        from forensics_tui.integrations._http_httpx import httpx_patches

        return httpx_patches(importlib.import_module(client), client, settings)
    if client == "requests":
        from forensics_tui.integrations._http_requests import requests_patches

        return requests_patches(settings)
    if client == "aiohttp":
        from forensics_tui.integrations._http_aiohttp import aiohttp_patches

        return aiohttp_patches(settings)
    from forensics_tui.integrations._http_urllib import urllib3_patches, urllib_patches

    return urllib_patches(settings) if client == "urllib" else urllib3_patches(settings)


def patch_client(client: str, settings: Settings) -> list[Patch]:
    """Patch one client library; one that is not installed is skipped (empty list)."""
    if client not in CLIENTS:
        raise ValueError(f"unknown HTTP client {client!r}; expected one of {', '.join(CLIENTS)}")
    try:
        importlib.import_module("urllib.request" if client == "urllib" else client)
    except ImportError:
        return []
    return [Patch(owner, name, fn) for owner, name, fn in _replacements(client, settings)]
