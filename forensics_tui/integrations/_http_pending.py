"""Deferred ``pending`` fixtures: an HTTP exchange (or a framework's tool call) still running
after a delay is written as ``pending`` by a background thread; one that ends first is written
once, as its final fixture.

Most exchanges end within milliseconds of starting, and the pending write would cost the caller
as much as the rest of the capture.  Items may have different delays (each integration has its
own ``pending_after``): one queue per delay.  A hung exchange still shows up as ``pending``: at
most 1.25 × ``delay`` (plus the thread's wake-up) after it started, and at interpreter exit.
One daemon thread per process, started at the first deferred item; it sleeps while nothing is
queued and wakes about four times per ``delay`` while items keep coming (one wake-up per item
would cost the caller a third of the capture in thread switches).  A forked child starts its
own.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import threading
from collections import deque
from time import monotonic
from typing import Protocol

__all__ = ["DEFAULT_DELAY", "PendingTimer", "defer", "flush"]

DEFAULT_DELAY = 0.05  # seconds a call may run before its pending fixture is written


class Deferred(Protocol):
    def write_pending(self) -> None: ...


class PendingTimer:
    """One queue per delay (each in due order: its items came in time order), and one thread
    that wakes when the earliest head is a quarter of its delay overdue."""

    def __init__(self) -> None:
        self._queues: dict[float, deque[tuple[float, Deferred]]] = {}
        self._cond = threading.Condition(threading.Lock())
        self._wake_at = math.inf  # when the thread looks next (inf: when told)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def add(self, item: Deferred, delay: float) -> None:
        """Write ``item``'s pending fixture in ``delay`` seconds unless it finished by then."""
        due = monotonic() + delay
        with self._cond:
            queue = self._queues.get(delay)
            if queue is None:
                queue = self._queues[delay] = deque()
            queue.append((due, item))
            if due + delay / 4 < self._wake_at:  # the thread would look too late for this one
                self._wake_at = due + delay / 4
                self._cond.notify()
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(
                    target=self._run, name="forensics-http-pending", daemon=True
                )
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        cond = self._cond
        while True:
            with cond:
                wake = min((q[0][0] + d / 4 for d, q in self._queues.items()), default=math.inf)
                self._wake_at = wake
                now = monotonic()
                if wake > now:
                    cond.wait(None if wake == math.inf else wake - now)
                    continue
            self._drain(monotonic())

    def _take(self, now: float) -> list[Deferred]:
        """Remove and return every item due by ``now`` (everything when ``now`` is inf)."""
        taken: list[Deferred] = []
        with self._cond:
            for delay, queue in list(self._queues.items()):
                while queue and queue[0][0] <= now:
                    taken.append(queue.popleft()[1])
                if not queue:
                    del self._queues[delay]
        return taken

    def _drain(self, now: float) -> None:
        """Write the pending fixtures of every item due by ``now``.  The thread comes here when
        the earliest item is a quarter of its delay overdue, so a busy client (thousands of
        exchanges a second, each due at its own instant) costs a few wake-ups a second, not one
        per exchange, and a pending fixture lands at most a quarter of its delay late."""
        for item in self._take(now):  # written outside the lock: ``add`` never waits on I/O
            with contextlib.suppress(Exception):  # never let one exchange stop the thread
                item.write_pending()

    def flush(self) -> None:
        """Write every queued exchange's pending fixture now (those not finished)."""
        self._drain(math.inf)


_timer = PendingTimer()


def defer(item: Deferred, delay: float) -> None:
    """``item.write_pending()`` after ``delay`` seconds (it does nothing if it finished)."""
    _timer.add(item, delay)


def flush() -> None:
    """Write the pending fixtures of every exchange still waiting for its delay."""
    _timer.flush()


def _after_fork() -> None:
    global _timer
    _timer = PendingTimer()  # the parent's thread does not exist here; its queue is its own


atexit.register(lambda: _timer.flush())
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
