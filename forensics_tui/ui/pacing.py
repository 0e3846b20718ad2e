"""When to apply the feed's landings: at once while they trickle in, every so often in a flood.

A fleet mirror catching up or a copied tree lands thousands of calls a second.  Applying (and
so painting) them frame by frame takes most of the interpreter lock from the thread that
brings them in, and the flood lasts longer.  The pacer counts landings over a short window; above
``rate`` a second the next batch waits ``gap`` seconds, and landings meanwhile are applied
together.  A live stream (a few hundred a second) stays frame by frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["LandingPacer"]


class LandingPacer:
    """Decides how long the next batch of landings waits (0: apply it now)."""

    def __init__(
        self,
        rate: float = 1000,
        window_s: float = 0.25,
        gap_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.window_s = window_s
        self.gap_s = gap_s
        self._clock = clock
        self._window_start = float("-inf")
        self._window_calls = 0
        self._hold_until = float("-inf")

    def wait_s(self) -> float:
        """Seconds before the next batch may be applied."""
        return max(0.0, self._hold_until - self._clock())

    def applied(self, landed: int) -> None:
        """Note a batch of ``landed`` calls just applied."""
        now = self._clock()
        if now - self._window_start > self.window_s:
            self._window_start, self._window_calls = now, 0
        self._window_calls += landed
        if self._window_calls > self.rate * self.window_s:
            self._hold_until = now + self.gap_s
