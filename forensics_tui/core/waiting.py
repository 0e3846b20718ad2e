"""Waiting on an :class:`asyncio.Event` with a timeout, without losing a cancellation.

``asyncio.wait_for(event.wait(), t)`` on Python 3.11 returns normally when the event is set in
the same loop iteration as the task is cancelled: the cancellation is swallowed and a loop built
on it runs on (a shipper's watch task then never ends, and ``Shipper.run(once=True)`` waits for
it until an outer timeout).  :func:`event_set_within` waits through :func:`asyncio.wait`, which
always lets the cancellation through.
"""

from __future__ import annotations

import asyncio


async def event_set_within(event: asyncio.Event, seconds: float) -> bool:
    """True once ``event`` is set, False after ``seconds``; a cancellation always propagates."""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait((waiter,), timeout=seconds)
    finally:
        if not waiter.done():
            waiter.cancel()
    return event.is_set()
