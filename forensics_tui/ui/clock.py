"""Time for the UI, injectable so snapshot tests can freeze "now" and elapsed times.

Fixture timestamps are ISO-8601 strings (legacy ones naive, meaning UTC); parsing them is cached
because the calls pane asks for the same few visible rows on every paint.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

__all__ = [
    "Now",
    "elapsed_s",
    "epoch",
    "fixed_clock",
    "format_clock",
    "format_duration",
    "parse_ts",
    "system_clock",
]

Now = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Now:
    """A clock stuck at ``moment`` (tests, screenshots)."""
    frozen = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return lambda: frozen


@lru_cache(maxsize=65536)
def _parse(ts: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_ts(ts: str | None) -> datetime | None:
    return _parse(ts) if isinstance(ts, str) and ts else None


def epoch(ts: str | None) -> float:
    """Seconds since the epoch for ``ts``; 0.0 when missing or unreadable (sorts first)."""
    value = parse_ts(ts)
    return value.timestamp() if value else 0.0


def format_clock(ts: str | None) -> str:
    """``HH:MM:SS`` in UTC, or blanks."""
    value = parse_ts(ts)
    return value.astimezone(UTC).strftime("%H:%M:%S") if value else "--:--:--"


def format_duration(ms: float | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def elapsed_s(ts: str | None, now: datetime) -> float | None:
    value = parse_ts(ts)
    return max(0.0, (now - value).total_seconds()) if value else None
