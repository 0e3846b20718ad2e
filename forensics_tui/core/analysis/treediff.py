"""Fast structural diff of two JSON values, used by call diffs and ``assert_replays``.

DeepDiff alone visits every node (about 25 µs each) and reports a one-item insert into a long
list as thousands of shifted changes.  This engine descends with ``==`` (C speed, and equal
subtrees are skipped whole) to the smallest differing subtrees, hands small dict subtrees to
DeepDiff, and aligns lists by item content (difflib over item hashes) so an insert is one
``item_added``.  Depth, change count and time are bounded: past a limit the result carries a
note instead of crashing or hanging.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - optional speed-up; json is the fallback
    orjson = None  # type: ignore[assignment]

__all__ = [
    "KINDS",
    "Change",
    "DiffLimits",
    "DiffResult",
    "clip",
    "diff_values",
    "format_path",
    "json_type",
]

KINDS: tuple[str, ...] = (
    "changed",
    "added",
    "removed",
    "type_changed",
    "item_added",
    "item_removed",
)
_IDENT = re.compile(r"^[A-Za-z_$@-][\w$@-]*$")
_SMALL_NODES = 64  # dict subtrees up to this size (and without lists) go to DeepDiff
_MAX_DEEPDIFF_CALLS = 40  # each call costs ~150 µs; beyond this the own walker is faster


@dataclass(slots=True, frozen=True)
class Change:
    """One changed field: ``path`` is dotted, relative to the compared value, lists as ``[i]``."""

    path: str
    kind: str
    old: Any = None
    new: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "old": clip(self.old), "new": clip(self.new)}


@dataclass(slots=True, frozen=True)
class DiffLimits:
    """Bounds that keep a diff from crashing or hanging on hostile payloads."""

    max_depth: int = 200
    max_changes: int = 5000
    max_list_align: int = 20000  # longer differing list spans are compared position by position
    time_budget_s: float = 5.0


@dataclass(slots=True)
class DiffResult:
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why the diff is incomplete, if it is

    @property
    def complete(self) -> bool:
        return not self.notes


class _Stop(Exception):
    """Raised inside the walk when a limit is reached; the note is already recorded."""


def json_type(value: Any) -> str:
    """JSON type name; ints and floats are both ``number`` (1 → 1.5 is a change, not a retype)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def format_path(parts: Iterable[str | int]) -> str:
    """``["body", "items", 3, "qty"]`` → ``body.items[3].qty``; odd keys as ``["a.b"]``."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENT.match(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return "".join(out)


def _item_key(value: Any, ignore: frozenset[str]) -> Any:
    """A hashable content key for list alignment (top-level volatile keys of dicts dropped)."""
    if ignore and isinstance(value, dict) and any(_ignored(k, ignore) for k in value):
        value = {k: v for k, v in value.items() if not _ignored(k, ignore)}
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except Exception:  # no orjson, or non-JSON values from a replayed tool
        try:
            return json.dumps(value, sort_keys=True, default=repr)
        except (TypeError, ValueError, RecursionError):
            return repr(value)


def _ignored(key: Any, ignore: frozenset[str]) -> bool:
    return isinstance(key, str) and key.casefold() in ignore


def _small(value: Any, budget: int = _SMALL_NODES) -> bool:
    """True when ``value`` is a dict tree of at most ``budget`` nodes with no lists inside."""
    stack = [value]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0 or isinstance(node, list | tuple):
            return False
        if isinstance(node, dict):
            stack.extend(node.values())
    return True


class _Walker:
    def __init__(
        self,
        ignore: frozenset[str],
        ignore_paths: frozenset[str],
        limits: DiffLimits,
        use_deepdiff: bool = True,
    ) -> None:
        self.ignore = ignore
        self.ignore_paths = ignore_paths
        self.limits = limits
        self.result = DiffResult()
        self.deadline = time.monotonic() + limits.time_budget_s
        self.visits = 0
        self.deepdiff_calls = 0 if use_deepdiff else _MAX_DEEPDIFF_CALLS

    def add(self, path: list[str | int], kind: str, old: Any = None, new: Any = None) -> None:
        if len(self.result.changes) >= self.limits.max_changes:
            self.result.notes.append(
                f"more than {self.limits.max_changes} changes; showing the first "
                f"{self.limits.max_changes}"
            )
            raise _Stop
        self.result.changes.append(Change(format_path(path), kind, old, new))

    def tick(self) -> None:
        self.visits += 1
        if self.visits & 1023 == 0 and time.monotonic() > self.deadline:
            self.result.notes.append(
                f"diff stopped after {self.limits.time_budget_s:g} s; the payload is too large "
                "to compare completely"
            )
            raise _Stop

    def skip(self, path: list[str | int]) -> bool:
        if path and _ignored(path[-1], self.ignore):
            return True
        return bool(self.ignore_paths) and format_path(path) in self.ignore_paths

    def walk(self, old: Any, new: Any, path: list[str | int]) -> None:
        if old is new:
            return
        try:
            if old == new and type(old) is type(new):
                return
        except RecursionError:
            pass  # too deep for ==; the depth check below reports it
        self.tick()
        if len(path) >= self.limits.max_depth:
            self.result.notes.append(
                f"payload nested deeper than {self.limits.max_depth} levels at "
                f"{_short(format_path(path))}; not compared further"
            )
            self.add(path, "changed", "<too deep>", "<too deep>")
            return
        told, tnew = json_type(old), json_type(new)
        if told != tnew:
            self.add(path, "type_changed", old, new)
        elif told == "object":
            if self.deepdiff_calls < _MAX_DEEPDIFF_CALLS and _small(old) and _small(new):
                self.deepdiff_calls += 1
                if self.via_deepdiff(old, new, path):
                    return
            self.walk_dict(old, new, path)
        elif told == "array":
            self.walk_list(list(old), list(new), path)
        elif old != new:
            self.add(path, "changed", old, new)

    def walk_dict(self, old: dict[Any, Any], new: dict[Any, Any], path: list[str | int]) -> None:
        for key, value in old.items():
            child = [*path, key]
            if self.skip(child):
                continue
            if key in new:
                self.walk(value, new[key], child)
            else:
                self.add(child, "removed", value, None)
        for key, value in new.items():
            if key not in old:
                child = [*path, key]
                if not self.skip(child):
                    self.add(child, "added", None, value)

    def walk_list(self, old: list[Any], new: list[Any], path: list[str | int]) -> None:
        start, end_old, end_new = 0, len(old), len(new)
        while start < end_old and start < end_new and old[start] == new[start]:
            start += 1
        while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
            end_old -= 1
            end_new -= 1
        a, b = old[start:end_old], new[start:end_new]
        if len(a) == len(b):
            differing = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
            if len(differing) <= max(8, len(a) // 20):
                for i in differing:
                    self.walk(a[i], b[i], [*path, start + i])
                return
        if max(len(a), len(b)) > self.limits.max_list_align:
            self.result.notes.append(
                f"{_short(format_path(path))}: list too long to align "
                f"({max(len(a), len(b))} differing items); compared position by position"
            )
            self.pair(a, b, 0, len(a), 0, len(b), start, path)
            return
        keys_a = [_item_key(x, self.ignore) for x in a]
        keys_b = [_item_key(x, self.ignore) for x in b]
        matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            self.tick()
            if tag == "replace":
                self.pair(a, b, i1, i2, j1, j2, start, path)
            elif tag == "delete":
                for i in range(i1, i2):
                    self.add([*path, start + i], "item_removed", a[i], None)
            elif tag == "insert":
                for j in range(j1, j2):
                    self.add([*path, start + j], "item_added", None, b[j])

    def pair(self, a: list[Any], b: list[Any], i1: int, i2: int, j1: int, j2: int,
             offset: int, path: list[str | int]) -> None:  # fmt: skip
        """Compare a replaced block item by item; extra items are removals or additions."""
        common = min(i2 - i1, j2 - j1)
        for k in range(common):
            self.walk(a[i1 + k], b[j1 + k], [*path, offset + j1 + k])
        for i in range(i1 + common, i2):
            self.add([*path, offset + i], "item_removed", a[i], None)
        for j in range(j1 + common, j2):
            self.add([*path, offset + j], "item_added", None, b[j])

    def via_deepdiff(self, old: dict[Any, Any], new: dict[Any, Any], path: list[str | int]) -> bool:
        """Diff a small list-free dict subtree with DeepDiff; False means "walk it yourself"."""
        try:
            from deepdiff import DeepDiff
        except ImportError:  # pragma: no cover - deepdiff is a dependency
            return False
        old_c, new_c = self.strip(old, path), self.strip(new, path)
        try:
            tree = DeepDiff(
                old_c,
                new_c,
                view="tree",
                threshold_to_diff_deeper=0,
                ignore_numeric_type_changes=True,
            )
        except Exception:
            return False
        found: list[tuple[str, list[str | int], str, Any, Any]] = []
        for report_type, levels in tree.items():
            for level in levels:
                rel = list(level.path(output_format="list"))
                t1 = None if _absent(level.t1) else level.t1
                t2 = None if _absent(level.t2) else level.t2
                if report_type in ("values_changed", "type_changes"):
                    kind = "changed" if json_type(t1) == json_type(t2) else "type_changed"
                elif report_type == "dictionary_item_added":
                    kind = "added"
                elif report_type == "dictionary_item_removed":
                    kind = "removed"
                else:
                    return False  # something this engine does not expect: walk it instead
                full = [*path, *rel]
                found.append((format_path(full), full, kind, t1, t2))
        for _text, full, kind, t1, t2 in sorted(found, key=lambda item: item[0]):
            self.add(full, kind, t1, t2)
        return True

    def strip(self, value: Any, path: list[str | int]) -> Any:
        """A copy of a small dict tree without ignored keys (they must not show as changes)."""
        if not isinstance(value, dict):
            return value
        return {k: self.strip(v, [*path, k]) for k, v in value.items() if not self.skip([*path, k])}


def _short(path: str, limit: int = 80) -> str:
    if not path:
        return "(root)"
    return path if len(path) <= limit else "…" + path[-(limit - 1) :]


def clip(value: Any, max_depth: int = 64) -> Any:
    """``value`` with subtrees nested deeper than ``max_depth`` replaced by a marker string.

    Values from hostile fixtures can be nested thousands deep; clipping keeps JSON encoding
    (and printing) of a diff from hitting the recursion limit.
    """
    if not isinstance(value, dict | list | tuple):
        return value
    try:
        orjson.dumps(value)  # orjson refuses depth > 255 quickly; most values pass here
        return value
    except Exception:
        pass
    return _clip(value, max_depth)


def _clip(value: Any, depth: int) -> Any:
    if isinstance(value, dict):
        if depth <= 0:
            return "<too deep>"
        return {k: _clip(v, depth - 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if depth <= 0:
            return "<too deep>"
        return [_clip(v, depth - 1) for v in value]
    return value


def _absent(value: Any) -> bool:
    return type(value).__name__ == "NotPresent"


def diff_values(
    old: Any,
    new: Any,
    *,
    ignore: Iterable[str] = (),
    limits: DiffLimits | None = None,
    use_deepdiff: bool = True,
) -> DiffResult:
    """Every change from ``old`` to ``new``; never raises on deep or huge input.

    ``ignore`` holds volatile field names (matched case-insensitively against dict keys at any
    depth) and dotted paths (``body.meta.generated``, matched exactly).  ``use_deepdiff=False``
    walks every subtree itself (same results; for tests and benchmarks).
    """
    names = frozenset(i.casefold() for i in ignore if "." not in i and "[" not in i)
    paths = frozenset(i for i in ignore if "." in i or "[" in i)
    walker = _Walker(names, paths, limits or DiffLimits(), use_deepdiff)
    try:
        walker.walk(old, new, [])
    except _Stop:
        pass
    except RecursionError:
        walker.result.notes.append("payload too deeply nested to compare")
    return walker.result
