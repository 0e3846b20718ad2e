"""Bytes out and in: the JSON encoder capture writes with, the decoder integrations read
bodies and arguments with, truncation markers and timestamps.

The stdlib is always there; orjson is used when it is installed (imported at the first
use, not at import time) and reads or writes the value the same way.
``FORENSICS_CAPTURE_JSON=json`` forces the stdlib.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "PREVIEW_CHARS",
    "REDACTED",
    "dumps",
    "iso_utc",
    "loads",
    "set_json_backend",
    "truncated_marker",
    "uses_orjson",
]

REDACTED = "[REDACTED]"
DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_BYTES = 1_000_000
PREVIEW_CHARS = 1000

# Values reaching the encoder are acyclic: plain ones passed a depth-limited walk, the rest
# came out of the walker, which breaks cycles.  So the circular check can go.
_ENCODER = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":"), check_circular=False
)
# "auto" uses orjson if it is installed; it is imported at the first write, not at import
# time (it pulls in uuid, dataclasses, inspect...), so that importing capture stays cheap.
_backend = "json" if os.environ.get("FORENSICS_CAPTURE_JSON") == "json" else "auto"
_orjson: Any = None


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# What ``_ENCODER.encode`` runs, built once: ``JSONEncoder.encode`` builds it on every call.
_C_ENCODER = (
    json.encoder.c_make_encoder(  # type: ignore[attr-defined]
        None, _refuse, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, False
    )
    if getattr(json.encoder, "c_make_encoder", None) is not None
    else None
)


def _load_orjson() -> Any:
    global _orjson, _backend
    try:
        import orjson
    except ImportError:
        _backend = "json"
        return None
    _orjson = orjson
    return orjson


_second_cache: tuple[int, str] = (-1, "")


def iso_utc(epoch: float) -> str:
    """ISO-8601 UTC with microseconds and ``+00:00``, the fixture timestamp format."""
    global _second_cache
    sec = math.floor(epoch)
    micros = round((epoch - sec) * 1_000_000)
    if micros >= 1_000_000:
        sec, micros = sec + 1, micros - 1_000_000
    cached_sec, text = _second_cache
    if cached_sec != sec:  # the date part changes once a second: format it once
        text = _civil(sec)
        _second_cache = (sec, text)
    return f"{text}.{micros:06d}+00:00"


def _civil(sec: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` (UTC) of a Unix second by integer arithmetic (the proleptic
    Gregorian calendar, as ``datetime``).  It runs once a second, so in an agent calling a
    tool every few seconds on every call, with cold caches: ``datetime`` + ``strftime`` cost
    ~80 µs there, this ~35 µs.  Years outside 1..9999 raise ``ValueError``, as ``datetime``."""
    days, rem = divmod(sec, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, seconds = divmod(rem, 60)
    z = days + 719468  # days since 0000-03-01
    era = z // 146097
    doe = z - era * 146097  # day of the 400-year era
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)  # day of the year, from March 1st
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is out of range")
    return f"{year:04d}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}"


def set_json_backend(name: str) -> str:
    """Choose ``"json"`` (stdlib) or ``"orjson"``/``"auto"``; returns the backend in use."""
    global _backend
    _backend = "json" if name == "json" else "auto"
    if _backend == "auto" and (_orjson or _load_orjson()) is None:
        return "json"
    return "json" if _backend == "json" else "orjson"


def uses_orjson() -> bool:
    """True once ``dumps`` writes with orjson (it is loaded at the first write)."""
    return _backend != "json" and _orjson is not None


# orjson reads integers past 64 bits as floats: a text with a run of 19+ digits is parsed by
# the stdlib, which keeps them exact.  Found by mapping digits to "0" and the rest to " " and
# looking for 19 zeros: a tenth of the cost of the regex ``\d{19}`` over a typical body.
_DIGITS_AS_ZEROS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * 19


def loads(raw: bytes | bytearray | str) -> Any:
    """``json.loads(raw)``, through orjson when it is in use and reads ``raw`` the same way
    (UTF-8, no NaN/Infinity, no integer past 64 bits: anything else goes to the stdlib).
    Raises ``ValueError`` for text that is not JSON."""
    if _backend != "json":
        fast = _orjson or _load_orjson()
        if fast is not None:
            try:
                data = raw.encode() if isinstance(raw, str) else raw
                if _LONG_RUN not in data.translate(_DIGITS_AS_ZEROS):
                    return fast.loads(data)
            except ValueError:  # orjson's error, or a lone surrogate: the stdlib decides
                pass
    return json.loads(raw)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (orjson when available, else stdlib); raises on failure."""
    if _backend != "json":
        fast = _orjson or _load_orjson()
        if fast is not None:
            try:
                return fast.dumps(value)
            except Exception:  # big ints, lone surrogates: the stdlib copes
                pass
    if _C_ENCODER is None:  # pragma: no cover - CPython always has the C encoder
        return _ENCODER.encode(value).encode("ascii")
    return "".join(_C_ENCODER(value, 0)).encode("ascii")


def truncated_marker(data: bytes | None, *, reason: str, preview: str | None = None) -> dict:
    """The marker that stands in for a value too big or too deep to keep."""
    if preview is None:
        preview = "" if data is None else data[:PREVIEW_CHARS].decode("utf-8", "replace")
    return {
        "truncated": True,
        "reason": reason,
        "original_bytes": None if data is None else len(data),
        "sha256": None if data is None else _sha256(data),
        "preview": preview[:PREVIEW_CHARS],
    }


def _sha256(data: bytes) -> str:
    import hashlib  # only for truncation markers: keep the import of capture cheap

    return hashlib.sha256(data).hexdigest()
