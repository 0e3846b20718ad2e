"""Encode a payload once and prove from its JSON bytes that it needs no walk.

The walk (``serialize.check_plain`` and a secret scan of its strings) visits every value in
Python; this check lets C code do nearly all of it.  A payload is *plain* when the walker would
write it unchanged, which holds when:

* it encodes with a strict encoder: only exact JSON types (``marshal`` refuses subclasses and
  namedtuples for the stdlib encoder; orjson refuses them by its options), finite floats, no
  cycle;
* its bytes are at most ``max_bytes`` (so is every string: an escape is never shorter than
  the character it stands for) and hold no escaped quote, so that splitting at ``"`` yields
  the strings at the odd positions;
* its *shape* (the bytes between the strings, numbers removed) nests at most ``max_depth``
  levels; a shape is analysed once and cached: where the keys, values, first items of lists
  and ``name``/``key``/``header`` fields are;
* the redactor's anchors occur in none of its string values (one regex search of their lowered
  bytes, the same anchors the string scan uses) and every key and name is a known safe name,
  or is judged now by the redactor's own rules and remembered.

Anything else answers "unsure" and the caller takes the full check; this never decides that a
payload needs redaction, only that it certainly does not.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from itertools import accumulate, compress
from operator import itemgetter
from typing import Any

from forensics_tui.capture import jsonio

__all__ = ["EncodedCheck"]

SHAPES_MAX = 512
SAFE_NAMES_MAX = 10_000
_NUMBER_BYTES = b"0123456789.+-eE"  # a shape is the same whatever the numbers in it
_ALNUM = b"".join(bytes([c]) for c in range(256) if chr(c).isascii() and chr(c).isalnum())
_NOT_ALNUM = bytes(c for c in range(1, 256) if bytes([c]) not in _ALNUM)  # keeps \x00
_NOT_BRACKET = bytes(c for c in range(256) if c not in b"[]{}")
_DELTA = [0] * 256
for _c in b"[{":
    _DELTA[_c] = 1
for _c in b"]}":
    _DELTA[_c] = -1
_NAME_FIELDS = frozenset({b"name", b"key", b"header"})  # ``walker._NAME_FIELDS``, encoded
_SCAN_MIN = 8  # ``walker.SCAN_MIN``: shorter keys are never scrubbed as values


def _getter(positions: list[int]) -> Callable[[list[bytes]], tuple[bytes, ...]]:
    if not positions:
        return lambda parts: ()
    if len(positions) == 1:
        only = positions[0]
        return lambda parts: (parts[only],)
    return itemgetter(*positions)


class _Shape:
    """Where the strings of one payload shape are, and how deep it nests."""

    __slots__ = ("depth", "field_keys", "field_values", "firsts", "has_null", "keys", "values")

    def __init__(self, parts: list[bytes], skeleton: bytes) -> None:
        seps = parts[0::2]  # seps[i] comes before string i, seps[i + 1] after it
        keys: list[int] = []
        values: list[int] = []
        firsts: list[int] = []
        field_keys: list[int] = []
        field_values: list[int] = []
        for i in range(len(seps) - 1):
            at = 2 * i + 1
            if seps[i + 1][:1] == b":":
                keys.append(at)
                continue
            values.append(at)
            before = seps[i][-1:]
            if before == b"[":
                firsts.append(at)  # maybe a [name, value] header pair
            elif before == b":":
                field_keys.append(at - 2)
                field_values.append(at)
        brackets = b"".join(seps).translate(None, _NOT_BRACKET)
        self.depth = max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)
        self.has_null = b"null" in skeleton
        self.keys = _getter(keys)
        self.values = _getter(values)
        self.firsts = _getter(firsts)
        self.field_keys = _getter(field_keys)
        self.field_values = _getter(field_values)


class EncodedCheck:
    """One recorder's check: ``plain(value)`` is the JSON bytes to write, or None (unsure).

    ``redactor`` must be a ``redact.Redactor`` itself (a subclass may judge differently) or
    None for no redaction.
    """

    def __init__(self, redactor: Any, max_depth: int, max_bytes: int) -> None:
        self.redactor = redactor
        self.max_depth = max_depth
        self.max_bytes = max_bytes
        self._shapes: dict[bytes, _Shape] = {}

    def plain(self, value: Any) -> bytes | None:
        try:
            data = self._encode(value)
        except Exception:  # not exact JSON, NaN, a cycle, a hostile object: the walker decides
            return None
        if len(data) > self.max_bytes or b'\\"' in data:
            return None
        parts = data.split(b'"')
        skeleton = b'"'.join(parts[0::2]).translate(None, _NUMBER_BYTES)
        shape = self._shapes.get(skeleton)
        if shape is None:
            shape = _Shape(parts, skeleton)
            if len(self._shapes) < SHAPES_MAX:
                self._shapes[skeleton] = shape
        if shape.depth > self.max_depth or (shape.has_null and jsonio.orjson_active()):
            return None  # too deep; or orjson, which writes NaN as null
        red = self.redactor
        if red is None:
            return data
        red.refresh()
        rx = red.anchor_bytes_rx
        if rx is None:
            return None
        values = shape.values(parts)
        if values and rx.search(b"\x00".join(values).lower()):
            return None
        names = set(shape.keys(parts))
        names.update(shape.firsts(parts))
        names.update(
            compress(shape.field_values(parts), map(_NAME_FIELDS.__contains__, shape.field_keys(parts)))
        )
        safe: set[bytes] = red.safe_names
        if safe.issuperset(names) or _judge(red, names - safe):
            return data
        return None

    def _encode(self, value: Any) -> bytes:
        if jsonio.orjson_active():
            return jsonio.strict_orjson(value)
        marshal.dumps(value)  # refuses anything but exact builtin types, in C
        return jsonio.encode_strict(value)


def _judge(red: Any, names: set[bytes]) -> bool:
    """True when none of ``names`` (JSON-encoded strings) is a secret key or holds a secret;
    the safe ones are remembered.  One scan clears the usual case: no name anchor and no value
    anchor occurs in any of them."""
    joined = b"\x00".join(names)
    lowered = joined.lower()
    if (
        b"\\" not in joined
        and not red.name_bytes_rx.search(lowered.translate(None, _NOT_ALNUM))
        and not red.anchor_bytes_rx.search(lowered)
    ):
        _remember(red.safe_names, names)
        return True
    for name in names:
        text = _decoded(name)
        if text is None or red.is_secret_key(text):
            return False
        if len(text) >= _SCAN_MIN and red.scrub(text) != text:
            return False
    _remember(red.safe_names, names)
    return True


def _remember(safe: set[bytes], names: set[bytes]) -> None:
    if len(safe) + len(names) <= SAFE_NAMES_MAX:
        safe.update(names)


def _decoded(name: bytes) -> str | None:
    try:
        if b"\\" not in name:
            return name.decode("utf-8")
        import json  # loaded already: jsonio imports it

        text = json.loads(b'"' + name + b'"')
        return text if isinstance(text, str) else None
    except ValueError:
        return None

