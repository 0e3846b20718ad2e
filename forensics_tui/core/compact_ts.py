"""Fixture timestamps kept as one int instead of an ISO string (32 bytes instead of ~81).

A ``Call`` keeps ``ts`` and ``ended_at`` for every call in the root.  The recorder writes them
as ``2026-03-01T10:00:00.123456+00:00``; :func:`pack` turns such a string into one int
(microseconds since the epoch, times 16, plus a 4-bit code saying how it was written: a
fraction of 0, 3 or 6 digits; ``+00:00``, ``Z`` or no offset) and :func:`unpack` gives the
string back.

Fixture content is untrusted and may say anything, so :func:`pack` only packs a string that
:func:`unpack` turns back into exactly the same characters (it checks); anything else (another
offset, a leap second, a space for the ``T``, garbage) is kept as the string it was.
:func:`seconds` is the epoch time of a packed value, equal to ``ordering.ts_key`` of its string.
"""

from __future__ import annotations

from datetime import date, datetime

__all__ = ["pack", "seconds", "unpack"]

# len(ts) -> layout code (fraction kind * 4 + suffix kind); every layout has its own length
_LAYOUTS = {
    32: 2 * 4 + 0,  # 2026-03-01T10:00:00.123456+00:00  (the recorder's)
    29: 1 * 4 + 0,  # 2026-03-01T10:00:00.123+00:00
    25: 0 * 4 + 0,  # 2026-03-01T10:00:00+00:00
    27: 2 * 4 + 1,  # 2026-03-01T10:00:00.123456Z
    24: 1 * 4 + 1,  # 2026-03-01T10:00:00.123Z
    20: 0 * 4 + 1,  # 2026-03-01T10:00:00Z
    26: 2 * 4 + 2,  # 2026-03-01T10:00:00.123456  (naive)
    23: 1 * 4 + 2,  # 2026-03-01T10:00:00.123
    19: 0 * 4 + 2,  # 2026-03-01T10:00:00
}
_SUFFIXES = ("+00:00", "Z", "")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MINUTE_US = 60_000_000
_US = 1_000_000
_TWO = [f"{n:02d}" for n in range(60)]
_parse = datetime.fromisoformat
_prefixes: dict[int, str] = {}  # minute since the epoch -> "YYYY-MM-DDTHH:MM:" (bounded)


_SECONDS = {f"{n:02d}": n for n in range(60)}
_minutes: dict[str, int] = {}  # "YYYY-MM-DDTHH:MM:" -> minute since the epoch (bounded)


def pack(ts: str | None) -> int | str | None:
    """``ts`` as an int when that round-trips exactly, else ``ts`` unchanged."""
    if type(ts) is not str:
        return ts
    code = _LAYOUTS.get(len(ts))
    if code is None:
        return ts
    minute = _minutes.get(ts[:17])
    if minute is None:
        return _pack_slow(ts, code)
    # the minute's text was packed and checked before: check the rest piece by piece
    second = _SECONDS.get(ts[17:19])
    if second is None:
        return ts
    frac = code >> 2
    micros = 0
    if frac:
        digits = ts[20:26] if frac == 2 else ts[20:23]
        if ts[19] != "." or not (digits.isascii() and digits.isdigit()):
            return ts
        micros = int(digits) if frac == 2 else int(digits) * 1000
    if not ts.endswith(_SUFFIXES[code & 3]):
        return ts
    return (minute * _MINUTE_US + second * _US + micros) * 16 + code


def _pack_slow(ts: str, code: int) -> int | str:
    try:
        dt = _parse(ts)
    except ValueError:
        return ts
    naive = code & 3 == 2
    if (dt.tzinfo is None) != naive or (not naive and dt.utcoffset()):
        return ts
    minute = (dt.toordinal() - _EPOCH_ORDINAL) * 1440 + dt.hour * 60 + dt.minute
    packed = (minute * _MINUTE_US + dt.second * _US + dt.microsecond) * 16 + code
    if unpack(packed) != ts:
        return ts
    if len(_minutes) >= 4096:
        _minutes.clear()
    _minutes[ts[:17]] = minute
    return packed


def _prefix(minute: int) -> str:
    days, in_day = divmod(minute, 1440)
    d = date.fromordinal(days + _EPOCH_ORDINAL)
    text = f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{_TWO[in_day // 60]}:{_TWO[in_day % 60]}:"
    if len(_prefixes) >= 4096:
        _prefixes.clear()
    _prefixes[minute] = text
    return text


def unpack(value: int | str | None) -> str | None:
    """The string :func:`pack` was given."""
    if type(value) is not int:
        return value  # type: ignore[return-value]
    code = value & 15
    minute, rest = divmod(value >> 4, _MINUTE_US)
    prefix = _prefixes.get(minute) or _prefix(minute)
    second, micros = divmod(rest, _US)
    frac = code >> 2
    if frac == 2:
        return prefix + _TWO[second] + "." + str(micros + _US)[1:] + _SUFFIXES[code & 3]
    if frac == 1:
        return prefix + _TWO[second] + "." + str(micros // 1000 + 1000)[1:] + _SUFFIXES[code & 3]
    return prefix + _TWO[second] + _SUFFIXES[code & 3]


def seconds(value: int) -> float:
    """Epoch seconds of a packed timestamp (what ``datetime.timestamp()`` gives, exactly)."""
    return (value >> 4) / _US
