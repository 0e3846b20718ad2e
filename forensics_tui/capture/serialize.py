"""Turn whatever an agent hands us into JSON, without ever raising.

Tool payloads are rarely clean JSON: bytes, datetimes, sets, Decimals, dataclasses, pydantic
models, cycles, NaN, megabyte blobs.  This module converts them (tagging what it had to change)
and, when given a redactor, replaces secrets on the way.  Plain JSON payloads without secrets
take a fast path that only inspects them; everything else goes through ``_Walker``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import enum
import json
import math
import os
import sys
from collections import deque
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, Protocol

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

REDACTED = "[REDACTED]"
DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_BYTES = 1_000_000
PREVIEW_CHARS = 1000
REPR_CHARS = 1000
SCAN_MIN = 8  # no secret shape we detect is shorter than this
_BIG_INT = 10**4000  # CPython refuses int -> str beyond 4300 digits

# Values reaching the encoder are acyclic: plain ones passed a depth-limited walk, the rest
# came out of the walker, which breaks cycles.  So the circular check can go.
_ENCODER = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":"), check_circular=False
)
# "auto" uses orjson if it is installed; it is imported at the first write, not at import
# time (it pulls in uuid, dataclasses, inspect...), so that importing capture stays cheap.
_backend = "json" if os.environ.get("FORENSICS_CAPTURE_JSON") == "json" else "auto"
_orjson: Any = None


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
        text = _dt.datetime.fromtimestamp(sec, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second_cache = (sec, text)
    return f"{text}.{micros:06d}+00:00"


def set_json_backend(name: str) -> str:
    """Choose ``"json"`` (stdlib) or ``"orjson"``/``"auto"``; returns the backend in use."""
    global _backend
    _backend = "json" if name == "json" else "auto"
    if _backend == "auto" and (_orjson or _load_orjson()) is None:
        return "json"
    return "json" if _backend == "json" else "orjson"


class RedactorLike(Protocol):
    """What the walker needs from ``redact.Redactor`` (kept structural to avoid a cycle)."""

    key_cache: dict[str, bool]

    def is_secret_key(self, key: str) -> bool: ...

    def suspicious(self, text: str) -> bool: ...

    def scrub(self, text: str) -> str: ...


class _Slow(Exception):
    """Raised by the fast check when a payload needs the full walker."""


_SLOW = _Slow()


def check_plain(
    obj: Any, depth: int, limit: int, strings: list[str], red: RedactorLike | None
) -> None:
    """Raise unless ``obj`` is plain JSON within ``limit`` levels with no secret-looking key;
    collect the strings long enough to hold a secret value (the fast path)."""
    t = type(obj)
    if t is dict:
        if depth >= limit:
            raise _SLOW
        cache = red.key_cache if red is not None else None
        for k, v in obj.items():
            if type(k) is not str:
                raise _SLOW
            if cache is not None:
                hit = cache.get(k)
                if hit is None:
                    hit = red.is_secret_key(k)  # type: ignore[union-attr]
                if hit:
                    raise _SLOW
            tv = type(v)
            if tv is str:
                if len(v) >= SCAN_MIN:
                    strings.append(v)
            elif tv is int or tv is bool or v is None:
                pass
            elif tv is float:
                if v - v != 0.0:  # NaN or infinity
                    raise _SLOW
            else:
                check_plain(v, depth + 1, limit, strings, red)
    elif t is list or t is tuple:
        if depth >= limit:
            raise _SLOW
        for v in obj:
            tv = type(v)
            if tv is str:
                if len(v) >= SCAN_MIN:
                    strings.append(v)
            elif tv is int or tv is bool or v is None:
                pass
            elif tv is float:
                if v - v != 0.0:
                    raise _SLOW
            else:
                check_plain(v, depth + 1, limit, strings, red)
    elif t is str:
        if len(obj) >= SCAN_MIN:
            strings.append(obj)
    elif t is int or t is bool or obj is None:
        pass
    elif t is float:
        if obj - obj != 0.0:
            raise _SLOW
    else:
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
    return redactor is None or not redactor.suspicious("\x00".join(strings))


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
    walker = _Walker(redactor, max_depth, max_str)
    try:
        value = walker.walk(obj, base_path, 0)
    except Exception as exc:  # last resort: never raise into the agent
        value = {"__unserializable__": _type_name(exc)}
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
        return {"__unserializable__": _type_name(obj)}
    if len(data) > max_bytes:
        return truncated_marker(data, reason="size")
    return value


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (orjson when available, else stdlib); raises on failure."""
    if _backend != "json":
        fast = _orjson or _load_orjson()
        if fast is not None:
            try:
                return fast.dumps(value)
            except Exception:  # big ints, lone surrogates: the stdlib copes
                pass
    return _ENCODER.encode(value).encode("ascii")


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


def _loaded(module: str, name: str) -> Any:
    """A class from ``module`` if that module is loaded, else None.  An instance of a class
    from a module nobody imported cannot exist, so there is no need to import it ourselves."""
    mod = sys.modules.get(module)
    return getattr(mod, name, None) if mod is not None else None


def _type_name(obj: Any) -> str:
    try:
        cls = type(obj)
        mod = getattr(cls, "__module__", "") or ""
        name = getattr(cls, "__qualname__", None) or cls.__name__
        return name if mod in ("builtins", "") else f"{mod}.{name}"
    except Exception:
        return "object"


def _safe_repr(obj: Any) -> str:
    try:
        text = repr(obj)
    except Exception:
        return f"<unrepresentable {_type_name(obj)}>"
    return text if isinstance(text, str) else "<repr returned non-str>"


def _float(x: float) -> Any:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _key(k: Any) -> str:
    """Dict keys the way ``json.dumps`` would write them, or their repr."""
    if isinstance(k, str):
        return str.__str__(k)
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if isinstance(k, enum.Enum):
        return _key(k.value)
    if isinstance(k, int):
        return int.__repr__(k) if -_BIG_INT < k < _BIG_INT else "<big int>"
    if isinstance(k, float):
        v = _float(k)
        return v if isinstance(v, str) else float.__repr__(k)
    return _safe_repr(k)[:REPR_CHARS]


def _path_key(path: str, key: str) -> str:
    if key and not any(c in key for c in ".[]"):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


class _Walker:
    """Full conversion: odd types, cycles, depth and size caps, redaction with paths."""

    def __init__(self, redactor: RedactorLike | None, max_depth: int, max_str: int) -> None:
        self.redactor = redactor
        self.max_depth = max_depth
        self.max_str = max_str
        self.paths: list[str] = []
        self._active: set[int] = set()

    def walk(self, obj: Any, path: str, depth: int) -> Any:
        t = type(obj)
        if t is str:
            return self._str(obj, path)
        if obj is None or t is bool:
            return obj
        if t is int:
            return obj if -_BIG_INT < obj < _BIG_INT else f"<int of {obj.bit_length()} bits>"
        if t is float:
            return _float(obj)
        if t is dict or t is list or t is tuple:
            return self._container(obj, path, depth)
        try:
            return self._odd(obj, path, depth)
        except Exception:
            return {"__repr__": _safe_repr(obj)[:REPR_CHARS], "type": _type_name(obj)}

    def _str(self, s: str, path: str) -> Any:
        if len(s) > self.max_str // 4:
            data = s.encode("utf-8", "surrogatepass")
            if len(data) > self.max_str:
                return self._big(data, path, s[:PREVIEW_CHARS])
        red = self.redactor
        if red is not None and len(s) >= SCAN_MIN:
            clean = red.scrub(s)
            if clean is not s and clean != s:
                self.paths.append(path)
                return clean
        return s

    def _big(self, data: bytes, path: str, preview: str) -> dict:
        red = self.redactor
        if red is not None:
            clean = red.scrub(preview)
            if clean != preview:
                self.paths.append(path)
                preview = clean
        return truncated_marker(data, reason="size", preview=preview)

    def _container(self, obj: Any, path: str, depth: int) -> Any:
        if depth >= self.max_depth:
            return self._too_deep(obj, path)
        oid = id(obj)
        if oid in self._active:
            return "<cycle>"
        self._active.add(oid)
        try:
            if isinstance(obj, Mapping):
                return self._mapping(obj.items(), path, depth)
            return [self.walk(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(obj)]
        finally:
            self._active.discard(oid)

    def _mapping(self, items: Any, path: str, depth: int) -> dict:
        red = self.redactor
        out: dict[str, Any] = {}
        for k, v in items:
            key = _key(k)
            sub = _path_key(path, key)
            if red is not None and red.is_secret_key(key) and _redactable(v):
                out[key] = REDACTED
                self.paths.append(sub)
            else:
                out[key] = self.walk(v, sub, depth + 1)
        return out

    def _too_deep(self, obj: Any, path: str) -> dict:
        # The preview goes through a shallow walker of its own so that it is redacted too.
        inner = _Walker(self.redactor, 8, self.max_str)
        try:
            preview = dumps(inner.walk(obj, path, 0)).decode("utf-8", "replace")
        except Exception:
            preview = ""
        self.paths.extend(inner.paths)
        try:
            data: bytes | None = json.dumps(obj, default=_safe_repr).encode("utf-8", "replace")
        except Exception:  # RecursionError for very deep values, cycles
            data = None
        return truncated_marker(data, reason="depth", preview=preview)

    def _odd(self, obj: Any, path: str, depth: int) -> Any:
        if isinstance(obj, enum.Enum):
            return self.walk(obj.value, path, depth)
        if isinstance(obj, str):
            return self._str(str.__str__(obj), path)
        if isinstance(obj, bool):
            return bool(obj)
        if isinstance(obj, int):
            return self.walk(int(obj), path, depth)
        if isinstance(obj, float):
            return _float(float(obj))
        decimal_cls = _loaded("decimal", "Decimal")
        if decimal_cls is not None and isinstance(obj, decimal_cls):
            return str(obj)
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return self._bytes(bytes(obj), path)
        if isinstance(obj, (_dt.datetime, _dt.date, _dt.time)):
            return obj.isoformat()
        if isinstance(obj, _dt.timedelta):
            return obj.total_seconds()
        uuid_cls = _loaded("uuid", "UUID")
        if isinstance(obj, PurePath) or (uuid_cls is not None and isinstance(obj, uuid_cls)):
            return str(obj)
        if isinstance(obj, (set, frozenset)):
            return self._container(_sorted(obj), path, depth)
        if isinstance(obj, tuple) and hasattr(obj, "_asdict"):  # namedtuple
            return self._container(dict(zip(obj._fields, obj, strict=False)), path, depth)
        if isinstance(obj, (Mapping, list, tuple)):
            return self._container(obj, path, depth)
        if hasattr(type(obj), "__dataclass_fields__") and not isinstance(obj, type):
            return self._object(obj, path, depth, _dataclass_items)
        dump = getattr(type(obj), "model_dump", None)  # pydantic v2, duck-typed
        if callable(dump) and not isinstance(obj, type):
            return self._object(obj, path, depth, lambda o: o.model_dump().items())
        if isinstance(obj, deque):
            return self._container(list(obj), path, depth)
        return {"__repr__": _safe_repr(obj)[:REPR_CHARS], "type": _type_name(obj)}

    def _object(self, obj: Any, path: str, depth: int, items: Any) -> Any:
        if depth >= self.max_depth:
            return self._too_deep(obj, path)
        oid = id(obj)
        if oid in self._active:
            return "<cycle>"
        self._active.add(oid)
        try:
            return self._mapping(items(obj), path, depth)
        finally:
            self._active.discard(oid)

    def _bytes(self, data: bytes, path: str) -> Any:
        if len(data) > self.max_str:
            return self._big(data, path, data[:PREVIEW_CHARS].decode("utf-8", "replace"))
        red = self.redactor
        if red is not None and len(data) >= SCAN_MIN:
            text = data.decode("utf-8", "surrogateescape")
            clean = red.scrub(text)
            if clean != text:
                self.paths.append(path)
                data = clean.encode("utf-8", "surrogateescape")
        return {"__bytes__": base64.b64encode(data).decode("ascii"), "len": len(data)}


def _redactable(value: Any) -> bool:
    """A secret key's value is replaced unless it cannot hold a secret (None, bool, "")."""
    return not (value is None or isinstance(value, bool) or (type(value) is str and not value))


def _dataclass_items(obj: Any) -> list[tuple[str, Any]]:
    import dataclasses  # loaded already: ``obj`` is a dataclass instance

    return [(f.name, getattr(obj, f.name, None)) for f in dataclasses.fields(obj)]


def _sorted(items: Any) -> list:
    try:
        return sorted(items)
    except Exception:
        try:
            return sorted(items, key=_safe_repr)
        except Exception:
            return list(items)
