"""``record`` writes plain payloads from bytes (``Recorder._record_plain``): the file must be
the one the dict path writes, byte for byte, whatever the payload, status, meta and backend."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import Recorder, serialize
from forensics_tui.capture.calls import current_call

TIMES = re.compile(rb'"(ts|ended_at)":"[^"]*"')

CASES: list[tuple[Any, ...]] = [
    # tool, input, output, status, kwargs
    ("crm_lookup", {"customer": "C-1", "n": 2}, {"rows": [{"id": 1, "x": 1.5}]}, "ok", {}),
    ("t", None, None, "ok", {}),
    ("t", "a bare string", 42, "error", {"error": ValueError("boom")}),
    ("t", [1, 2.25, None, True], {"é": "ünïcode ☃", "q": 'a "quoted" \\ line\n'}, "ok", {}),
    ("t", {}, [], "success", {"meta": {"attempt": 2}}),  # mapped status, agent's word kept
    ("t", {"a": 1}, None, "timeout", {"duration_ms": 12.5, "replay": {"url": "http://x/y"}}),
    ("tool with spaces/and:odd chars", {"a": 1}, None, "weird-status", {"meta": "plain"}),
    ("t", {"big": 10**30, "neg": -0.0, "e": 1e-7}, None, "ok", {"duration_ms": 0}),
]


def _written(rec: Recorder, case: tuple[Any, ...]) -> bytes:
    tool, inp, out, status, kwargs = case
    path = rec.record(tool, inp, out, status, **kwargs)
    assert path is not None
    return TIMES.sub(b'"\\1":"T"', path.read_bytes())


@pytest.mark.parametrize("backend", ["json", "orjson"])
def test_bytes_path_writes_what_the_dict_path_writes(
    tmp_path: Path, backend: str, monkeypatch
) -> None:
    if serialize.set_json_backend(backend) != backend:
        pytest.skip("orjson is not installed")
    try:
        fast = Recorder(tmp_path / "fast", "r", agent="agent-1")
        slow = Recorder(tmp_path / "slow", "r", agent="agent-1")
        monkeypatch.setattr(slow, "_record_plain", lambda *a, **k: None)  # the dict path
        token = current_call.set("r-000099")  # a parent call: meta.parent_call
        try:
            for case in CASES:
                a, b = _written(fast, case), _written(slow, case)
                assert a == b, case
                json.loads(a)  # and it is JSON
        finally:
            current_call.reset(token)
        for case in CASES[:2]:  # no parent
            assert _written(fast, case) == _written(slow, case)
    finally:
        serialize.set_json_backend("auto")


def test_bytes_path_leaves_caps_and_redaction_to_the_dict_path(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r", max_bytes=2000)
    big = rec.record("t", {"parts": ["y" * 400] * 6}, None)  # plain, but over the cap
    assert json.loads(big.read_text())["input"]["truncated"] is True
    secret = rec.record("t", {"api_key": "sk-abcdefghijklmnopqrstuvwx"}, None)
    assert json.loads(secret.read_text())["input"] == {"api_key": "[REDACTED]"}
    with pytest.warns(RuntimeWarning, match="could not write"):
        nan = rec.record("t", {"a": 1}, None, duration_ms=float("nan"))
    assert nan is None and rec.dropped == 1  # as before: a NaN duration cannot be written


def _deep(levels: int, leaf: Any) -> Any:
    value = leaf
    for i in range(levels):
        value = {f"k{i}": value}
    return value


def test_payloads_the_fast_check_must_refuse_take_the_walker(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "r", max_depth=8, max_bytes=4000)

    def written(value: Any) -> Any:
        path = rec.record("t", value, None)
        assert path is not None
        return json.loads(path.read_text())["input"]

    deep_secret = written(_deep(6, {"client_secret": "hunter2-hunter2"}))
    leaf = deep_secret
    for i in reversed(range(6)):
        leaf = leaf[f"k{i}"]
    assert leaf == {"client_secret": "[REDACTED]"}
    assert written({"note": "x" * 1500})["note"] == "x" * 1500  # long, but under the cap
    assert written({"note": "x" * 5000})["note"]["truncated"] is True
    assert written({"v": float("nan"), "w": [float("inf")]}) == {"v": "NaN", "w": ["Infinity"]}
    assert written({1: "a", None: "b", 2.5: "c", False: "d"}) == {
        "1": "a",
        "null": "b",
        "2.5": "c",
        "false": "d",
    }
    too_deep = written(_deep(9, "leaf"))
    assert too_deep["k8"]["k7"]["k6"]["k5"]["k4"]["k3"]["k2"]["k1"]["truncated"] is True
    assert written(_deep(7, "leaf"))["k6"]["k5"]["k4"]["k3"]["k2"]["k1"]["k0"] == "leaf"
    named = [
        {"header": "Authorization", "value": "tok"},  # a value too short to look secret
        {"name": "api_key", "val": "tok"},
        {"name": "x", "key": "api_key", "value": "tok"},
    ]
    assert written(named) == [
        {**d, "value" if "value" in d else "val": "[REDACTED]"} for d in named
    ]
    assert written([["Authorization", "tok"]]) == [["Authorization", "[REDACTED]"]]
    assert rec.dropped == 0
