"""A timed wait on an event never swallows the cancellation of the task that waits."""

from __future__ import annotations

import asyncio

import pytest

from forensics_tui.core.waiting import event_set_within


async def _loop_until_stopped(event: asyncio.Event, stop: asyncio.Event) -> None:
    while not stop.is_set():  # the shape of a watch loop: only a cancellation ends it
        if await event_set_within(event, 5.0):
            event.clear()


async def test_cancelled_while_the_event_is_set_in_the_same_step() -> None:
    event, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(_loop_until_stopped(event, stop))
    await asyncio.sleep(0.01)
    event.set()  # wakes the waiter ...
    task.cancel()  # ... in the very step the task is cancelled
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2.0)


async def test_true_when_set_false_after_the_timeout() -> None:
    event = asyncio.Event()
    assert await event_set_within(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await event_set_within(event, 5.0) is True
    assert await event_set_within(event, 0.0) is True  # already set: no wait
    assert len(asyncio.all_tasks()) == 1  # no waiter left behind
