"""Output shapes (keys and value types, recursively) for schema-drift detection.

A shape maps each path (``body.items[].qty``) to the set of JSON types seen there; list items
are merged under ``[]``, and objects that are really maps (numeric/uuid-like keys, or very many
keys) are merged under ``{}`` so ids in keys do not read as drift.  ``null`` is compatible with
any type, and nothing is claimed under an empty list or map, so optional and empty data do not
produce false alarms.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from forensics_tui.core.analysis.treediff import json_type

__all__ = ["Drift", "Shape", "compare_shapes", "output_shape"]

Shape = dict[str, frozenset[str]]
_IDENT = re.compile(r"^[A-Za-z_$@-][\w$@-]*$")
_ID_KEY = re.compile(
    r"^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,})$",
    re.IGNORECASE,
)
_MAP_KEYS = 50
_MAX_NODES = 50_000
_MAX_DEPTH = 40
_EMPTY = "empty"  # marker type: a list or map with no items (nothing known below it)


_CHILDREN: dict[tuple[str, str], str] = {}
_CHILDREN_KEPT = 16_384  # the paths of a root's outputs repeat from call to call
_TYPES = {
    dict: "object",
    list: "array",
    tuple: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "bool",
    type(None): "null",
}  # exact types; anything else (a subclass) asks ``json_type``


def _child(path: str, key: str) -> str:
    child = _CHILDREN.get((path, key))
    if child is not None:
        return child
    if _IDENT.match(key):
        child = f"{path}.{key}" if path else key
    else:
        child = f"{path}[{json.dumps(key, ensure_ascii=False)}]"
    if len(_CHILDREN) < _CHILDREN_KEPT and len(child) <= 256:
        _CHILDREN[(path, key)] = child
    return child


def _is_map(value: dict[Any, Any]) -> bool:
    if len(value) > _MAP_KEYS:
        return True
    if not value:
        return False
    match = _ID_KEY.match
    return all(isinstance(k, str) and match(k) for k in value)


def output_shape(value: Any) -> Shape:
    """The shape of ``value`` (bounded: huge or deep payloads are shaped partially)."""
    seen: dict[str, set[str]] = {}
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    nodes = 0
    while stack and nodes < _MAX_NODES:
        path, node, depth = stack.pop()
        nodes += 1
        kind = _TYPES.get(type(node)) or json_type(node)
        kinds = seen.get(path)
        if kinds is None:
            seen[path] = {kind}
        else:
            kinds.add(kind)
        if depth >= _MAX_DEPTH:
            continue
        if kind == "object":
            room = _MAX_NODES - nodes  # never stack more than can still be visited
            if _is_map(node):
                seen[path].add("map")
                inner = f"{path}{{}}"
                stack.extend((inner, item, depth + 1) for item in islice(node.values(), room))
            else:
                items = islice(node.items(), room)
                stack.extend(
                    (_child(path, k if type(k) is str else str(k)), v, depth + 1) for k, v in items
                )
            if not node:
                seen[path].add(_EMPTY)
        elif kind == "array":
            if not node:
                seen[path].add(_EMPTY)
            inner = f"{path}[]"
            stack.extend((inner, item, depth + 1) for item in islice(node, _MAX_NODES - nodes))
    return {path: frozenset(kinds) for path, kinds in seen.items()}


def _types(kinds: frozenset[str]) -> frozenset[str]:
    return kinds - {"null", _EMPTY, "map"}


@dataclass(slots=True)
class Drift:
    """How a shape changed: paths added, removed, and retyped ``(path, old, new)``."""

    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    retyped: list[tuple[str, str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.retyped)

    def describe(self, limit: int = 6) -> str:
        parts = [f"added {p} ({t})" for p, t in self.added]
        parts += [f"removed {p} ({t})" for p, t in self.removed]
        parts += [f"retyped {p} {o} → {n}" for p, o, n in self.retyped]
        more = len(parts) - limit
        return "; ".join(parts[:limit]) + (f"; and {more} more" if more > 0 else "")


def _parent(path: str) -> str | None:
    """The parent path of ``path`` (None for the root)."""
    if not path:
        return None
    if path.endswith(("[]", "{}")):
        return path[:-2]
    if path.endswith('"]'):
        return path[: path.rfind('["')]
    cut = path.rfind(".")
    return path[:cut] if cut >= 0 else ""


def _reportable(path: str, here: Shape, there: Shape) -> bool:
    """A path only on one side counts when its parent is the same kind of container on both
    sides, neither empty nor a map (a missing parent is reported itself instead)."""
    parent = _parent(path)
    if parent is None or parent not in there:
        return False
    mine, other = here.get(parent, frozenset()), there[parent]
    if _EMPTY in mine or _EMPTY in other or "map" in mine or "map" in other:
        return False
    container = "array" if path.endswith("[]") else "object"
    return container in mine and container in other


def _name(kinds: frozenset[str]) -> str:
    return "|".join(sorted(_types(kinds))) or "null"


def compare_shapes(old: Shape, new: Shape) -> Drift:
    """Fields added, removed and retyped from ``old`` to ``new`` (topmost paths only)."""
    drift = Drift()
    for path, kinds in new.items():
        if path not in old:
            if _reportable(path, new, old):
                drift.added.append((path, _name(kinds)))
        else:
            before, after = _types(old[path]), _types(kinds)
            if before and after and before != after:
                drift.retyped.append((path, _name(old[path]), _name(kinds)))
    for path, kinds in old.items():
        if path not in new and _reportable(path, old, new):
            drift.removed.append((path, _name(kinds)))
    drift.added.sort()
    drift.removed.sort()
    drift.retyped.sort()
    return drift
