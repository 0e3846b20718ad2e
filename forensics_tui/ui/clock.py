"""Time for the UI, injectable so snapshot tests can freeze "now" and elapsed times.

Fixture timestamps are ISO-8601 strings (legacy ones naive, meaning UTC); parsing them is cached
because the calls pane asks for the same few visible rows on every paint.  Times are shown in
the user's zone (``[ui] timezone`` in the config: ``local`` by default, ``UTC`` or an IANA
name), and the zone's marker is shown next to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "UTC_ZONE",
    "Now",
    "Zone",
    "elapsed_s",
    "epoch",
    "fixed_clock",
    "format_age",
    "format_clock",
    "format_duration",
    "parse_ts",
    "system_clock",
    "zone_named",
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


@dataclass(frozen=True, slots=True)
class Zone:
    """Where times are shown: a ``tzinfo`` and the marker printed next to them."""

    tz: tzinfo | None  # None: the machine's local zone
    marker: str

    def convert(self, value: datetime) -> datetime:
        return value.astimezone(self.tz)


UTC_ZONE = Zone(UTC, "UTC")


def zone_named(name: str, now: datetime | None = None) -> Zone:
    """``local``, ``UTC`` or an IANA zone name; raises ``ValueError`` for an unknown one."""
    moment = now or datetime.now(UTC)
    if name.lower() == "utc":
        return UTC_ZONE
    if name.lower() == "local":
        local = moment.astimezone()
        return Zone(None, local.strftime("%Z") or local.strftime("UTC%z"))
    try:
        tz = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (try local, UTC or Europe/Paris)") from exc
    return Zone(tz, moment.astimezone(tz).strftime("%Z"))


def format_clock(ts: str | None, zone: Zone = UTC_ZONE) -> str:
    """``HH:MM:SS`` in ``zone``, or blanks."""
    value = parse_ts(ts)
    return zone.convert(value).strftime("%H:%M:%S") if value else "--:--:--"


def format_age(ts: str | None, now: datetime) -> str:
    """``just now``, ``3m ago``, ``2h ago``, ``5d ago`` (blank when ``ts`` is unreadable)."""
    value = parse_ts(ts)
    if value is None:
        return ""
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)}h ago"
    return f"{int(seconds // 86400)}d ago"


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
