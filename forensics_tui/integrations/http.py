"""Record every HTTP exchange made through httpx, httpx2, requests, aiohttp, urllib.request or
urllib3 as a fixture.

    from forensics_tui.integrations import http
    http.install()                  # process-wide, until http.uninstall()
    with http.capture_http():       # or just for a block
        ...

Each exchange becomes one fixture named ``http METHOD host/path`` (ids in the path shown as
``{id}``, port and query dropped, so it matches across runs) with the request as ``input``
(method, url, headers, body), the response as ``output`` (status_code, reason, headers, body),
an ``http`` replay spec, and ``meta.parent_call`` linking it to the tool call it ran inside.
Timeouts are ``timeout``, connection errors ``error``, HTTP status >= 400 ``error`` (the code
stays in ``output.status_code``), an exchange cancelled by an enclosing timeout ``timeout``
(``meta.cancelled``).  The response body is recorded as the caller reads it (``_http_tee``):
nothing is read ahead of the caller, a body that stalls or breaks off is the ``timeout`` /
``error`` the caller got, and one closed early or dropped is finished with ``meta.stream``.

Inside a recorded tool call (``@checkpoint``, ``checkpointed``, ``ForensicsMiddleware``,
``ForensicsHooks``, ``ForensicsCallbackHandler``, ``ForensicsTracingProcessor``...), the
exchange is written to that call's recorder and run; elsewhere to ``install()``'s recorder,
else ``get_recorder()``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from forensics_tui.integrations._http_clients import CLIENTS, Patch, patch_client
from forensics_tui.integrations._http_record import Settings, http_tool_name, no_capture

if TYPE_CHECKING:
    from forensics_tui.capture import Recorder

__all__ = ["capture_http", "http_tool_name", "install", "installed", "no_capture", "uninstall"]

_lock = threading.Lock()
_patches: list[Patch] = []
_settings: Settings | None = None


def install(
    recorder: Recorder | None = None,
    *,
    clients: Iterable[str] = CLIENTS,
    max_body: int = 256 * 1024,
    max_buffer: int = 10 * 1024 * 1024,
    pending_after: float = 0.05,
) -> list[str]:
    """Start recording HTTP made through ``clients`` (those installed); returns the patched ones.

    An exchange made inside a recorded tool call goes to that call's recorder; others go to
    ``recorder``, else ``get_recorder()`` at the time of each request, so
    ``FORENSICS_FIXTURE_DIR``/``FORENSICS_RUN_ID`` apply.  ``max_body`` caps the characters of
    a body kept in a fixture (the rest still reaches the caller).  ``max_buffer`` is accepted
    for compatibility and unused: bodies are teed as read, never buffered.  An exchange still
    running ``pending_after`` seconds after it started is written as ``pending`` (by a
    background thread; at once with 0); one that ends sooner is written once, final.  Calling
    it again replaces the settings.
    """
    global _settings
    with _lock:
        _undo_all()
        clients = tuple(clients)
        _settings = Settings(
            recorder,
            clients,
            max_body=max_body,
            max_buffer=max_buffer,
            pending_after=pending_after,
        )
        patched: list[str] = []
        for client in clients:
            found = patch_client(client, _settings)
            if found:
                _patches.extend(found)
                patched.append(client)
        return patched


def uninstall() -> None:
    """Stop recording; the clients' original methods are restored."""
    global _settings
    with _lock:
        _undo_all()
        _settings = None


def installed() -> bool:
    return bool(_patches)


def _undo_all() -> None:
    while _patches:
        _patches.pop().undo()


@contextmanager
def capture_http(
    recorder: Recorder | None = None,
    *,
    clients: Iterable[str] = CLIENTS,
    max_body: int = 256 * 1024,
    pending_after: float = 0.05,
) -> Iterator[list[str]]:
    """``install()`` for the duration of a ``with`` block, then restore what was there before."""
    previous = _settings
    patched = install(recorder, clients=clients, max_body=max_body, pending_after=pending_after)
    try:
        yield patched
    finally:
        if previous is None:
            uninstall()
        else:
            install(
                previous.recorder,
                clients=previous.clients,
                max_body=previous.max_body,
                max_buffer=previous.max_buffer,
                pending_after=previous.pending_after,
            )
