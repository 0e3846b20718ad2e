"""Deferred ``pending`` fixtures: an HTTP exchange still running after a delay is written as
``pending`` by a background thread; one that ends first is written once, as its final fixture.

Most exchanges end within milliseconds of starting, and the pending write would cost the caller
as much as the rest of the capture.  A hung exchange still shows up as ``pending``: at most
1.25 × ``delay`` (plus the thread's wake-up) after it started, and at interpreter exit.  One
daemon thread per process, started at the first deferred exchange; it sleeps while nothing is
queued and wakes about four times per ``delay`` while exchanges keep coming (one wake-up per
exchange would cost the caller a third of the capture in thread switches).  A forked child starts its
own.
"""

from __future__ import annotations

import atexit
import contextlib
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
    """Queue of (due time, exchange), in due order: every exchange gets the same delay."""

    def __init__(self) -> None:
        self._queue: deque[tuple[float, Deferred]] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._idle = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._delay = 0.0  # the latest delay asked for

    def add(self, item: Deferred, delay: float) -> None:
        """Write ``item``'s pending fixture in ``delay`` seconds unless it finished by then."""
        queue = self._queue
        self._delay = delay
        if queue and queue[-1][0] > monotonic() + delay:  # a shorter delay than the last one
            item.write_pending()  # keeps the queue in due order: write it now
            return
        queue.append((monotonic() + delay, item))
        if self._thread is None:
            self._start()
        elif self._idle:  # read after the append: the thread sets it before looking
            with self._cond:
                self._cond.notify()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(
                    target=self._run, name="forensics-http-pending", daemon=True
                )
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        queue, cond = self._queue, self._cond
        while True:
            with cond:
                self._idle = True
                while not queue:
                    cond.wait()
                self._idle = False
            due, _ = queue[0]
            wait = due - monotonic()
            if wait > 0:
                with cond:
                    cond.wait(wait)
                continue
            gap = self._drain(monotonic())
            if queue and gap > 0:  # coalesce: the next wake-up serves every item due by then
                with cond:
                    cond.wait(gap)

    def _drain(self, now: float) -> float:
        """Write the pending fixtures of every item due by ``now``; the pause before the next
        wake-up: a quarter of the delay, so a busy client (thousands of exchanges a second,
        each due at its own instant) costs a few wake-ups a second, not one per exchange, and
        a pending fixture lands at most a quarter of the delay late."""
        queue = self._queue
        while queue and queue[0][0] <= now:
            _, item = queue.popleft()
            with contextlib.suppress(Exception):  # never let one exchange stop the thread
                item.write_pending()
        return self._delay / 4

    def flush(self) -> None:
        """Write every queued exchange's pending fixture now (those not finished)."""
        while True:
            try:
                _, item = self._queue.popleft()
            except IndexError:
                return
            with contextlib.suppress(Exception):
                item.write_pending()


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
