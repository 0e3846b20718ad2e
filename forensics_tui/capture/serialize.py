"""Turn whatever an agent hands us into JSON, without ever raising.

Plain JSON payloads without anything secret-looking take a fast path that only inspects them
(``check_plain`` plus one anchor scan of their strings) and are written as they are; anything
else goes through ``walker.Walker``, which converts odd types, breaks cycles, applies the caps
and redacts.  ``dumps`` and the other byte-level helpers live in ``jsonio`` and are re-exported.
"""

from __future__ import annotations

from typing import Any

from forensics_tui.capture.jsonio import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    REDACTED,
    dumps,
    iso_utc,
    set_json_backend,
    truncated_marker,
)
from forensics_tui.capture.walker import (
    SCAN_MIN,
    RedactorLike,
    Walker,
    type_name,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "REDACTED",
    "check_plain",
    "clean",
    "dumps",
    "is_plain",
    "iso_utc",
    "prepare",
    "set_json_backend",
    "to_jsonable",
    "truncated_marker",
    "walk",
]


_NAME_FIELDS = ("name", "key", "header")  # as ``walker._NAME_FIELDS``


class _Slow(Exception):
    """Raised by the fast check when a payload needs the full walker."""


_SLOW = _Slow()


def _safe_keys(red: RedactorLike) -> set[str]:
    """The keys ``red`` has already judged not secret: one C-level subset test per dict."""
    safe: set[str] | None = getattr(red, "_fast_safe_keys", None)
    if safe is None:
        safe = set()
        try:
            red._fast_safe_keys = safe  # type: ignore[attr-defined]
        except AttributeError:  # a redactor with __slots__: no shortcut, still correct
            return set()
    return safe


def _check_keys(obj: dict, red: RedactorLike, safe: set[str]) -> None:
    """Raise for a non-string or secret-looking key; remember the keys found safe."""
    is_secret = red.is_secret_key
    for k in obj:
        if type(k) is not str or is_secret(k):
            raise _SLOW
        if len(safe) < 10_000:
            safe.add(k)


def check_plain(
    obj: Any, depth: int, limit: int, strings: list[str], red: RedactorLike | None
) -> None:
    """Raise unless ``obj`` is plain JSON within ``limit`` levels with no secret-looking key;
    collect the strings long enough to hold a secret value (the fast path).

    One loop over an explicit stack of containers, scalars checked inline: a Python call per
    container (and its bookkeeping) cost more than the checks themselves."""
    safe = _safe_keys(red) if red is not None else None
    add = strings.append
    stack: list[tuple[Any, int]] = [(obj, depth)]
    push = stack.append
    pop = stack.pop
    while stack:
        obj, depth = pop()
        t = type(obj)
        if t is dict:
            if depth >= limit:
                raise _SLOW
            if safe is not None:
                if not safe.issuperset(obj):  # only keys never seen before are looked at
                    _check_keys(obj, red, safe)  # type: ignore[arg-type]
                if "value" in obj or "val" in obj:  # {"name": "X-Api-Key", "value": ...}
                    _check_named_value(obj, red)  # type: ignore[arg-type]
            else:
                for k in obj:
                    if type(k) is not str:
                        raise _SLOW
            items: Any = obj.values()
        elif t is list or t is tuple:
            if depth >= limit:
                raise _SLOW
            items = obj
        else:
            items = (obj,)  # a scalar at the top: checked like a container's only item
        depth += 1
        for v in items:
            tv = type(v)
            if tv is str:
                if len(v) >= SCAN_MIN:
                    add(v)
            elif tv is int or tv is bool or v is None:
                pass
            elif tv is dict:
                push((v, depth))
            elif tv is list or tv is tuple:
                if (
                    safe is not None
                    and len(v) == 2
                    and type(v[0]) is str
                    and red.is_secret_key(v[0])  # type: ignore[union-attr]
                ):
                    raise _SLOW  # a [secret-name, value] header pair
                push((v, depth))
            elif tv is float:
                if v - v != 0.0:  # NaN or infinity
                    raise _SLOW
            else:
                raise _SLOW


def _check_named_value(obj: dict, red: RedactorLike) -> None:
    """Raise when a name field of ``obj`` names a secret (the walker's test): its value or
    val is then redacted."""
    for field in _NAME_FIELDS:
        name = obj.get(field)
        if type(name) is str and red.is_secret_key(name):
            raise _SLOW


def is_plain(
    obj: Any,
    redactor: RedactorLike | None,
    strings: list[str],
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> bool:
    """True when ``obj`` is plain JSON within ``max_depth`` and has no secret-looking key;
    its strings worth scanning for secret values are appended to ``strings``."""
    try:
        check_plain(obj, 0, max_depth, strings, redactor)
    except Exception:  # _Slow, or a hostile key's __hash__, or a container mutated under us
        return False
    return True


def clean(strings: list[str], redactor: RedactorLike | None, max_str: int) -> bool:
    """True when none of ``strings`` is too long or could hold a secret value."""
    if not strings:
        return True
    if max(map(len, strings)) > max_str // 4:  # maybe over the cap in UTF-8: walk it
        return False
    return redactor is None or not redactor.suspicious_any(strings)


def prepare(
    obj: Any,
    redactor: RedactorLike | None = None,
    base_path: str = "",
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_str: int = DEFAULT_MAX_BYTES,
) -> tuple[Any, list[str]]:
    """``obj`` as a JSON-able value (secrets replaced when ``redactor`` is given) and the
    dotted paths that were redacted.  Never raises."""
    strings: list[str] = []
    if is_plain(obj, redactor, strings, max_depth) and clean(strings, redactor, max_str):
        return obj, []
    return walk(obj, redactor, base_path, max_depth=max_depth, max_str=max_str)


def walk(
    obj: Any,
    redactor: RedactorLike | None = None,
    base_path: str = "",
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_str: int = DEFAULT_MAX_BYTES,
) -> tuple[Any, list[str]]:
    """The full conversion of ``prepare`` without its fast path.  Never raises."""
    walker = Walker(redactor, max_depth, max_str)
    try:
        value = walker.walk(obj, base_path, 0)
    except Exception as exc:  # last resort: never raise into the agent
        value = {"__unserializable__": type_name(exc)}
    return value, walker.paths


def to_jsonable(
    obj: Any, *, max_depth: int = DEFAULT_MAX_DEPTH, max_bytes: int = DEFAULT_MAX_BYTES
) -> Any:
    """A JSON-able copy of ``obj`` (no redaction), capped in depth and size.  Never raises.

    Strings and bytes over ``max_bytes`` become truncation markers in place; if the whole value
    still encodes to more than ``max_bytes``, the whole value becomes one marker.
    """
    value, _ = walk(obj, None, max_depth=max_depth, max_str=max_bytes)
    try:
        data = dumps(value)
    except Exception:
        return {"__unserializable__": type_name(obj)}
    if len(data) > max_bytes:
        return truncated_marker(data, reason="size")
    return value
