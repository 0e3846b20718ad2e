"""Bodies on demand: a fixture file may be a *stub* whose payload lives elsewhere.

A fleet source's mirror keeps a large call as its summary plus a reference to the body in the
fleet's object store (the key :data:`STUB_KEY`), so a fleet of any size lists from summaries and
no body crosses the network until someone needs it.  The store resolves a stub when a call is
loaded (:meth:`FixtureStore.load`, and :meth:`FixtureStore.read_fixture` for analysis) through
the :class:`BodyFetcher` of its root: the fetcher brings the body into the root in place of the
stub (so it is fetched once) or says why it could not.

A root's fetcher is given to the store directly, or registered here for the root by whoever
opened the source (the CLI does, so every command's store finds it).  Without one a stub loads
as a problem that says where the body is, never as an empty fixture.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "STUB_KEY",
    "BodyFetcher",
    "bodies_for",
    "register_bodies",
    "stub_ref",
    "unregister_bodies",
]

STUB_KEY = "fleet_body"
"""Top-level key of a stub: ``{"object": NAME, "size": BYTES}``."""


class BodyFetcher(Protocol):
    def fetch(self, path: Path, ref: dict[str, Any]) -> str | None:
        """Bring the body that ``ref`` names into ``path`` (replacing the stub there, unless
        something newer replaced it meanwhile); ``None`` when done, else why not.  Called from
        any thread; may block on the network; never raises."""
        ...


def stub_ref(obj: Any) -> dict[str, Any] | None:
    """The body reference of a decoded fixture that is a stub, else None."""
    if not isinstance(obj, dict):
        return None
    ref = obj.get(STUB_KEY)
    if not isinstance(ref, dict):
        return None
    name, size = ref.get("object"), ref.get("size")
    if not isinstance(name, str) or not name:
        return None
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return None
    return {"object": name, "size": size}


_lock = threading.Lock()
_registry: dict[str, BodyFetcher] = {}


def _key(root: Path | str) -> str:
    return os.path.realpath(root)


def register_bodies(root: Path | str, fetcher: BodyFetcher) -> None:
    """Stores opened on ``root`` from now on resolve stubs with ``fetcher``."""
    with _lock:
        _registry[_key(root)] = fetcher


def unregister_bodies(root: Path | str) -> None:
    with _lock:
        _registry.pop(_key(root), None)


def bodies_for(root: Path | str) -> BodyFetcher | None:
    with _lock:
        return _registry.get(_key(root))
