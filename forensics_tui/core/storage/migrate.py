"""Fixture format migrations: a table of converters from each old format to the next.

Readers accept every format ever written; they upgrade an object step by step
(``0 → 1 → ...``) to the current shape, as mitmproxy does for its flow files.  Format 0 is
the legacy snippet: ``run_id, tool, input, output, status, ts`` in ``<tool>_<NNN>.json``, with
a naive ``ts`` meaning UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from forensics_tui.capture.format import FORMAT_VERSION as CURRENT_FORMAT
from forensics_tui.capture.format import LEGACY_FORMAT

__all__ = ["CURRENT_FORMAT", "LEGACY_FORMAT", "MIGRATIONS", "migrate", "utc_iso"]


Migration = Callable[[dict[str, Any], str], dict[str, Any]]


def utc_iso(ts: Any) -> Any:
    """A naive ISO timestamp made explicit UTC (``+00:00``); anything else unchanged."""
    if not isinstance(ts, str) or not ts:
        return ts
    try:
        parsed = datetime.fromisoformat(ts)
    except ValueError:
        return ts
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC).isoformat()
    return ts


def _legacy_to_v1(obj: dict[str, Any], stem: str) -> dict[str, Any]:
    """Format 0 → 1.  ``seq`` is provisional (0): the store numbers legacy calls by ``ts``."""
    out = dict(obj)
    out["format"] = 1
    run_id = out.get("run_id")
    out.setdefault("call_id", f"{run_id}-{stem}")
    out.setdefault("seq", 0)
    out["ts"] = utc_iso(out.get("ts"))
    for key in ("error", "ended_at", "duration_ms", "replay"):
        out.setdefault(key, None)
    out.setdefault("redacted", [])
    out.setdefault("meta", {})
    return out


MIGRATIONS: dict[int, Migration] = {LEGACY_FORMAT: _legacy_to_v1}
"""``MIGRATIONS[n]`` converts a format-``n`` object to format ``n + 1``."""


def migrate(obj: dict[str, Any], fmt: int, stem: str) -> dict[str, Any]:
    """Upgrade ``obj`` (of format ``fmt``) to :data:`CURRENT_FORMAT`; ``stem`` is the file stem."""
    while fmt < CURRENT_FORMAT:
        obj = MIGRATIONS[fmt](obj, stem)
        fmt += 1
    return obj
