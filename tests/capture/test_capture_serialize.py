"""Payloads JSON cannot hold are still recorded, tagged, and never make capture raise."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import json
import math
import uuid
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics_tui.capture import Recorder, to_jsonable


def strict_dumps(value: object) -> str:
    return json.dumps(value, allow_nan=False)  # raises on anything JSON cannot hold


class Color(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Mode(enum.StrEnum):
    FAST = "fast"


@dataclasses.dataclass
class Item:
    name: str
    price: decimal.Decimal
    tags: set[str]


class PydanticLike:
    def model_dump(self) -> dict:
        return {"id": 7, "when": dt.date(2026, 3, 1)}


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr explodes")


class HugeRepr:
    def __repr__(self) -> str:
        return "z" * 50_000


Point = collections.namedtuple("Point", "x y")


def test_odd_types_table() -> None:
    cases = [
        (b"\x00\xffhi", {"__bytes__": "AP9oaQ==", "len": 4}),
        (bytearray(b"ab"), {"__bytes__": "YWI=", "len": 2}),
        (memoryview(b"ab"), {"__bytes__": "YWI=", "len": 2}),
        (dt.datetime(2026, 3, 1, 9, 0, 1), "2026-03-01T09:00:01"),
        (dt.datetime(2026, 3, 1, tzinfo=dt.UTC), "2026-03-01T00:00:00+00:00"),
        (dt.date(2026, 3, 1), "2026-03-01"),
        (dt.time(9, 30), "09:30:00"),
        (dt.timedelta(seconds=90), 90.0),
        ({3, 1, 2}, [1, 2, 3]),
        (frozenset({"b", "a"}), ["a", "b"]),
        (decimal.Decimal("1.10"), "1.10"),
        (decimal.Decimal("NaN"), "NaN"),
        (Path("/tmp/x"), "/tmp/x"),
        (PurePosixPath("a/b"), "a/b"),
        (Color.RED, "red"),
        (Level.HIGH, 3),
        (Mode.FAST, "fast"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        ((1, (2, 3)), [1, [2, 3]]),
        (Point(1, 2), {"x": 1, "y": 2}),
        (collections.deque([1, 2]), [1, 2]),
        (collections.OrderedDict(a=1), {"a": 1}),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (-float("inf"), "-Infinity"),
        (
            {1: "a", None: "b", False: "c", 2.5: "d"},
            {"1": "a", "null": "b", "false": "c", "2.5": "d"},
        ),
        (Item("w", decimal.Decimal("2.50"), {"x"}), {"name": "w", "price": "2.50", "tags": ["x"]}),
        (PydanticLike(), {"id": 7, "when": "2026-03-01"}),
        (10**5000, "<int of 16610 bits>"),
    ]
    for value, expected in cases:
        got = to_jsonable(value)
        assert got == expected, (value, got)
        strict_dumps(got)


def test_mixed_set_falls_back_to_a_stable_order() -> None:
    got = to_jsonable({1, "a", None})
    assert sorted(map(str, got)) == ["1", "None", "a"]


def test_arbitrary_objects_are_tagged_reprs() -> None:
    class Thing:
        def __repr__(self) -> str:
            return "<Thing 1>"

    got = to_jsonable({"t": Thing()})
    assert got["t"]["__repr__"] == "<Thing 1>"
    assert got["t"]["type"].endswith("Thing")
    assert to_jsonable(BadRepr())["__repr__"].startswith("<unrepresentable")
    assert len(to_jsonable(HugeRepr())["__repr__"]) == 1000
    assert to_jsonable(ValueError("boom"))["__repr__"] == "ValueError('boom')"


def test_generators_are_not_consumed() -> None:
    consumed = []

    def gen():
        consumed.append(1)
        yield 1

    got = to_jsonable(gen())
    assert "__repr__" in got and consumed == []


def test_cycles() -> None:
    loop: list = [1]
    loop.append(loop)
    assert to_jsonable(loop) == [1, "<cycle>"]
    d: dict = {"a": 1}
    d["self"] = d
    assert to_jsonable(d) == {"a": 1, "self": "<cycle>"}
    shared = [1]
    assert to_jsonable({"x": shared, "y": shared}) == {"x": [1], "y": [1]}  # not a cycle


def test_depth_cap_marker() -> None:
    deep: list = []
    node = deep
    for _ in range(200):
        node.append([])
        node = node[0]
    got = to_jsonable(deep, max_depth=10)
    marker = got
    for _ in range(10):
        marker = marker[0]
    assert marker["truncated"] is True and marker["reason"] == "depth"
    assert marker["original_bytes"] > 0 and len(marker["sha256"]) == 64
    assert marker["preview"].startswith("[[")
    strict_dumps(got)


def test_extremely_deep_value_does_not_raise() -> None:
    deep: list = []
    node = deep
    for _ in range(100_000):
        node.append([])
        node = node[0]
    got = to_jsonable(deep)
    strict_dumps(got)


def test_size_cap_marker() -> None:
    big = "é" * 700_000  # 1.4 MB of UTF-8
    got = to_jsonable({"blob": big})
    marker = got["blob"]
    assert marker["truncated"] is True and marker["reason"] == "size"
    assert marker["original_bytes"] == len(big.encode())
    assert marker["sha256"] == hashlib.sha256(big.encode()).hexdigest()
    assert marker["preview"] == "é" * 1000
    many = [f"item-{i}" for i in range(200_000)]
    whole = to_jsonable(many, max_bytes=100_000)
    assert whole["truncated"] is True and whole["original_bytes"] > 100_000


def test_recorded_file_is_strict_json(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r")
    loop: list = []
    loop.append(loop)
    payload = {
        "raw": b"\x00\x01",
        "when": dt.datetime(2026, 1, 1),
        "nan": math.nan,
        "set": {2, 1},
        "loop": loop,
        "obj": BadRepr(),
        "surrogate": "\ud800 lone",
        "big": 10**5000,
        (1, 2): "tuple key",
    }
    path = rec.record("odd", payload, {"blob": "x" * 2_000_000})
    doc = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constants)
    assert doc["input"]["raw"] == {"__bytes__": "AAE=", "len": 2}
    assert doc["input"]["nan"] == "NaN"
    assert doc["input"]["set"] == [1, 2]
    assert doc["input"]["loop"] == ["<cycle>"]
    assert doc["input"]["surrogate"] == "\ud800 lone"
    assert doc["input"]["(1, 2)"] == "tuple key"
    assert doc["output"]["blob"]["truncated"] is True
    assert path.stat().st_size < 100_000
    assert rec.dropped == 0


def _no_constants(name: str) -> None:
    raise AssertionError(f"non-standard JSON constant {name}")


@given(epoch=st.floats(min_value=0, max_value=253_402_300_799, allow_nan=False))
@settings(max_examples=500, deadline=None)
def test_iso_utc_is_what_datetime_writes(epoch: float) -> None:
    """The fixture timestamp is formatted by integer arithmetic (``datetime`` + ``strftime``
    are slow with cold caches, and every call in a slow agent is cold): it must be exactly
    ``datetime``'s UTC ISO form, microseconds rounded half to even, for any date since 1970."""
    from forensics_tui.capture.jsonio import iso_utc

    try:
        expected = dt.datetime.fromtimestamp(epoch, dt.UTC)
    except (OverflowError, ValueError, OSError):
        return  # outside datetime's years: no fixture is written with such a time
    text = iso_utc(epoch)
    assert dt.datetime.fromisoformat(text) == expected
    assert text == expected.isoformat(timespec="microseconds")


def test_iso_utc_refuses_years_datetime_cannot_hold() -> None:
    from forensics_tui.capture.jsonio import iso_utc

    with pytest.raises(ValueError):
        iso_utc(1e12)  # year 33658
    assert iso_utc(0.0) == "1970-01-01T00:00:00.000000+00:00"
    assert iso_utc(-0.5) == "1969-12-31T23:59:59.500000+00:00"
