"""Property tests: the capture layer never raises into the agent, whatever it is handed.

Payloads are arbitrary nested structures of bytes, NaN/inf, huge ints, lone surrogates, odd keys
(int, tuple, None, float) and objects whose ``__repr__``/``__str__``/``__eq__``/``__hash__`` raise.
Every call either writes a file inside the run directory that parses as JSON, or is counted as
dropped.  Hostile tool names never place a file outside the run directory.
"""

from __future__ import annotations

import json
import math
import tempfile
import warnings
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics_tui.capture import Recorder, Redactor, set_recorder, tool_checkpoint

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Boom(Exception):
    pass


class EvilRepr:
    def __repr__(self) -> str:
        raise Boom("repr")

    __str__ = __repr__


class EvilEq:
    def __eq__(self, other: object) -> bool:
        raise Boom("eq")

    def __hash__(self) -> int:
        raise Boom("hash")

    def __repr__(self) -> str:
        return "EvilEq()"


class EvilException(Exception):
    def __str__(self) -> str:
        raise Boom("str")


class EvilIter:
    def __iter__(self) -> Any:
        raise Boom("iter")

    def __len__(self) -> int:
        raise Boom("len")


class EvilGetattr:
    def __getattr__(self, name: str) -> Any:
        raise Boom(name)


ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=40)  # surrogates included
HOSTILE_TEXT = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        [
            "\x1b[2J",
            "\x1b]52;c;ZXZpbA==\x07",
            "\u202e",
            "\ud800",
            "\x00",
            "[bold red]x[/]",
            "../../etc/passwd",
            "/abs/path",
            "..",
            ".",
            ".hidden",
            "a/b\\c",
            "x" * 5000,
        ]
    ),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.floats(allow_nan=True, allow_infinity=True),
    HOSTILE_TEXT,
    st.binary(max_size=64),
    st.builds(EvilRepr),
    st.builds(EvilEq),
    st.builds(EvilIter),
    st.builds(EvilGetattr),
    st.builds(EvilException),
    st.just(math.nan),
)
KEYS = st.one_of(
    HOSTILE_TEXT,
    st.integers(),
    st.none(),
    st.tuples(st.integers(), ANY_TEXT),
    st.floats(allow_nan=False),
    st.builds(EvilRepr),  # hashable by identity, but unprintable
)
PAYLOADS = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.tuples(children, children),
        st.dictionaries(KEYS, children, max_size=5),
        st.frozensets(st.integers(), max_size=3),
    ),
    max_leaves=25,
)
TOOLS = st.one_of(HOSTILE_TEXT, st.integers(), st.none(), st.builds(EvilRepr))
STATUSES = st.one_of(st.sampled_from(["ok", "error", "timeout", "skipped"]), HOSTILE_TEXT)


def _fresh() -> Recorder:
    root = Path(tempfile.mkdtemp(prefix="ftui-prop-"))
    return Recorder(root, "prop-run", agent="\x1b[2J", task="[bold]t[/]", labels={1: EvilRepr()})


def _check_written(rec: Recorder, path: Path | None, dropped_before: int) -> None:
    if path is None:
        assert rec.dropped == dropped_before + 1
        return
    assert path.parent == rec.run_dir
    assert not path.name.startswith(".")
    assert path.resolve().is_relative_to(rec.run_dir.resolve())
    obj = json.loads(path.read_bytes())
    assert isinstance(obj, dict) and isinstance(obj["tool"], str)


@SETTINGS
@given(tool=TOOLS, payload=PAYLOADS, output=PAYLOADS, status=STATUSES, meta=PAYLOADS)
def test_record_never_raises(tool: Any, payload: Any, output: Any, status: Any, meta: Any) -> None:
    rec = _fresh()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = rec.dropped
        path = rec.record(
            tool, payload, output, status, error=EvilException(), replay=payload, meta=meta
        )
    _check_written(rec, path, before)


@SETTINGS
@given(tool=TOOLS, payload=PAYLOADS, output=PAYLOADS)
def test_tool_checkpoint_never_raises(tool: Any, payload: Any, output: Any) -> None:
    rec = _fresh()
    set_recorder(rec)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            before = rec.dropped
            path = tool_checkpoint(tool, payload, output, "ok", error=payload, meta=output)
        _check_written(rec, path, before)
    finally:
        set_recorder(None)


@SETTINGS
@given(payload=PAYLOADS, base=HOSTILE_TEXT)
def test_redaction_never_raises(payload: Any, base: str) -> None:
    value, paths = Redactor().redact({"Authorization": "Bearer abc", "x": payload}, base)
    json.dumps(value, default=str)  # whatever it returns is JSON-able
    assert all(isinstance(p, str) for p in paths)


@SETTINGS
@given(tool=st.one_of(HOSTILE_TEXT, st.integers()), payload=PAYLOADS)
def test_start_call_then_finish_never_raises(tool: Any, payload: Any) -> None:
    rec = _fresh()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        handle = rec.start_call(tool, payload, replay=payload, meta=payload)
        handle.finish(payload, "ok", error=None, replay=None, meta=payload)
    for path in rec.run_dir.glob("*.json"):
        assert isinstance(json.loads(path.read_bytes()), dict)


def test_start_call_with_unprintable_tool_does_not_raise() -> None:
    rec = _fresh()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        handle = rec.start_call(EvilRepr(), {"q": 1})
        handle.finish({"ok": True}, "ok")
