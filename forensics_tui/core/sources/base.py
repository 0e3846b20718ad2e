"""The one interface every source implements: a root the store reads, and the deltas for it.

A source owns a root on local disk.  For the local source it is the fixture root itself; for
the fleet sources (NATS, SSH) it is a *mirror* that the source fills from the network through
the project's safe write helper.  Either way the store is fed exactly what the local watcher
feeds it (``list[tuple[kind, Path]]`` batches for :meth:`FixtureStore.apply_changes`), so every
view, command and analysis works unchanged on any source, and a fleet source's files pass the
same loader checks as local fixtures.
"""

from __future__ import annotations

import abc
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from forensics_tui.core.storage.bodies import BodyFetcher

__all__ = ["Batch", "HostState", "Source", "SourceError"]

Batch = list[tuple[str, Path]]


class SourceError(Exception):
    """A source that cannot be opened or read (server down, no stream, ssh failed...)."""


@dataclass(slots=True)
class HostState:
    """Freshness of one host of the fleet, as a reader saw it (times are this machine's)."""

    host: str
    last_call: float | None = None  # when the newest fixture of the host arrived
    last_heartbeat: float | None = None
    host_clock: str | None = None  # the host's own clock in its last heartbeat
    version: str | None = None
    backlog: int | None = None  # fixtures the shipper had not yet had acknowledged
    calls: int = 0

    def last_seen(self) -> float | None:
        seen = [t for t in (self.last_call, self.last_heartbeat) if t is not None]
        return max(seen) if seen else None

    def silent_for(self, now: float | None = None) -> float | None:
        seen = self.last_seen()
        return None if seen is None else (now if now is not None else time.time()) - seen


class Source(abc.ABC):
    """A feed of fixtures into a root.  Use it from one event loop."""

    kind: str = "?"
    root: Path
    label: str

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect; raises :class:`SourceError` with a message a user can act on."""

    async def catch_up(self) -> int:
        """Bring :attr:`root` up to date with everything available now; how many changes."""
        return 0

    @abc.abstractmethod
    def changes(self) -> AsyncIterator[Batch]:
        """Live deltas after :meth:`catch_up`, until :meth:`close`."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Disconnect and release what :meth:`start` took."""

    def hosts(self) -> list[HostState]:
        """Hosts of a fleet source with their freshness (empty for a local root)."""
        return []

    def bodies(self) -> BodyFetcher | None:
        """What fetches the bodies the root holds as stubs (bodies on demand), if any."""
        return None
