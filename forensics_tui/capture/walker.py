"""The full conversion of an arbitrary payload into JSON-able values, with redaction.

Bytes, datetimes, sets, Decimals, dataclasses, pydantic-like models, enums and arbitrary
objects are tagged or converted; cycles become ``"<cycle>"``; values too deep or too big become
truncation markers.  With a redactor, secret keys and secret parts of strings are replaced and
their dotted paths collected.  Everything here is defensive: a hostile ``__repr__`` or
``items()`` degrades to a tagged repr, never to an exception.
"""

from __future__ import annotations

import base64
import datetime as _dt
import enum
import json
import math
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any, Protocol

from forensics_tui.capture.jsonio import PREVIEW_CHARS, REDACTED, dumps, truncated_marker

__all__ = ["SCAN_MIN", "RedactorLike", "Walker", "type_name"]

REPR_CHARS = 1000
SCAN_MIN = 8  # no secret shape we detect is shorter than this
_NAME_FIELDS = frozenset({"name", "key", "header"})
_VALUE_FIELDS = frozenset({"value", "val"})
_BIG_INT = 10**4000  # CPython refuses int -> str beyond 4300 digits


class RedactorLike(Protocol):
    """What the walker needs from ``redact.Redactor`` (kept structural to avoid a cycle)."""

    key_cache: dict[str, bool]

    def is_secret_key(self, key: str) -> bool: ...

    def suspicious(self, text: str) -> bool: ...

    def suspicious_any(self, strings: Sequence[str]) -> bool: ...

    def scrub(self, text: str) -> str: ...


def _loaded(module: str, name: str) -> Any:
    """A class from ``module`` if that module is loaded, else None.  An instance of a class
    from a module nobody imported cannot exist, so there is no need to import it ourselves."""
    mod = sys.modules.get(module)
    return getattr(mod, name, None) if mod is not None else None


def type_name(obj: Any) -> str:
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
        return f"<unrepresentable {type_name(obj)}>"
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


class Walker:
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
            return {"__repr__": _safe_repr(obj)[:REPR_CHARS], "type": type_name(obj)}

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

    def _container(self, obj: Any, path: str, depth: int, items: Any = None) -> Any:
        """A mapping, a sequence, or (with ``items(obj)`` giving its pairs) an object walked
        as a mapping; under the depth cap and the cycle guard either way."""
        if depth >= self.max_depth:
            return self._too_deep(obj, path)
        oid = id(obj)
        if oid in self._active:
            return "<cycle>"
        self._active.add(oid)
        try:
            if items is not None:
                return self._mapping(items(obj), path, depth)
            if isinstance(obj, Mapping):
                return self._mapping(obj.items(), path, depth)
            if self.redactor is not None:  # headers as [name, value] pairs
                return [self._item(v, f"{path}[{i}]", depth) for i, v in enumerate(obj)]
            return [self.walk(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(obj)]
        finally:
            self._active.discard(oid)

    def _item(self, v: Any, path: str, depth: int) -> Any:
        """A list item; ``[secret-name, value]`` (a header pair) has its value redacted."""
        if (
            type(v) in (list, tuple)
            and len(v) == 2
            and type(v[0]) is str
            and self.redactor is not None
            and self.redactor.is_secret_key(v[0])
            and _redactable(v[1])
        ):
            self.paths.append(f"{path}[1]")
            return [v[0], REDACTED]
        return self.walk(v, path, depth + 1)

    def _mapping(self, items: Any, path: str, depth: int) -> dict:
        red = self.redactor
        out: dict[str, Any] = {}
        named_secret = False  # {"name": "X-Api-Key", "value": ...} (HAR, MCP arguments)
        if red is not None:
            items = list(items)
            named_secret = any(
                k in _NAME_FIELDS and type(v) is str and red.is_secret_key(v) for k, v in items
            )
        for k, v in items:
            key = _key(k)
            if red is not None and len(key) >= SCAN_MIN:  # a secret used as a key
                clean = red.scrub(key)
                if clean != key:
                    key = clean if clean not in out else f"{clean}#{len(out)}"
                    self.paths.append(_path_key(path, key))
            sub = _path_key(path, key)
            if (named_secret and key in _VALUE_FIELDS and _redactable(v)) or (
                red is not None and red.is_secret_key(key) and _redactable(v)
            ):
                out[key] = REDACTED
                self.paths.append(sub)
            else:
                out[key] = self.walk(v, sub, depth + 1)
        return out

    def _too_deep(self, obj: Any, path: str) -> dict:
        # The preview goes through a shallow walker of its own so that it is redacted too.
        inner = Walker(self.redactor, 8, self.max_str)
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
            fields = obj._fields  # type: ignore[attr-defined]
            return self._container(dict(zip(fields, obj, strict=False)), path, depth)
        if isinstance(obj, (Mapping, list, tuple)):
            return self._container(obj, path, depth)
        if hasattr(type(obj), "__dataclass_fields__") and not isinstance(obj, type):
            return self._container(obj, path, depth, _dataclass_items)
        dump = getattr(type(obj), "model_dump", None)  # pydantic v2, duck-typed
        if callable(dump) and not isinstance(obj, type):
            return self._container(obj, path, depth, lambda o: o.model_dump().items())
        if isinstance(obj, deque):
            return self._container(list(obj), path, depth)
        return {"__repr__": _safe_repr(obj)[:REPR_CHARS], "type": type_name(obj)}

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
