"""Property tests: any bytes under a fixture name load as a valid ``Call`` or as BROKEN with a
reason, never an exception, and never via the loader's last-resort ``unreadable:`` net (which
would mean a real bug was caught by accident)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics_tui.core.model import BROKEN, STATUSES, Call, Fixture
from forensics_tui.core.storage.loader import LoadProblem, load_fixture, read_call

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    ),
    lambda c: st.one_of(
        st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=4)
    ),
    max_leaves=12,
)
ODD = st.one_of(
    JSON,
    st.sampled_from(["ok", "pending", "error", "\x1b[2J", "", "\ud800"]),
    st.integers(min_value=-(2**70), max_value=2**70),
)
FIELDS = ("format", "run_id", "call_id", "seq", "tool", "status", "ts", "duration_ms", "error")


@st.composite
def fixture_bytes(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["raw", "json", "truncated", "surrogate"]))
    if kind == "raw":
        return draw(st.binary(max_size=300))
    obj: dict[str, Any] = {
        "format": 1,
        "run_id": "r",
        "call_id": "r-1",
        "seq": 1,
        "tool": "t",
        "status": "ok",
        "ts": "2026-04-01T00:00:00+00:00",
    }
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        obj[name] = draw(ODD)
    if draw(st.booleans()):
        obj.pop(draw(st.sampled_from(FIELDS)), None)
    obj["output"] = draw(JSON)
    obj["input"] = draw(JSON)
    data = json.dumps(obj).encode()
    if kind == "truncated":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "surrogate":
        return data.replace(b'"t"', b'"\\ud800\\u0000"', 1)
    return data


def _check_call(call: Call) -> None:
    assert isinstance(call, Call)
    if call.status == BROKEN:
        assert isinstance(call.problem, str) and call.problem
        # The loader's last-resort net ("unreadable: TypeError ...") must only catch what the
        # xfail below documents; anything else reaching it is a new bug.
        if call.problem.startswith("unreadable:"):
            raise AssertionError(call.problem)
    else:
        assert call.status in STATUSES
        assert isinstance(call.tool, str) and isinstance(call.seq, int)


@SETTINGS
@given(data=fixture_bytes(), legacy=st.booleans())
def test_any_bytes_read_call(data: bytes, legacy: bool) -> None:
    run = Path(tempfile.mkdtemp(prefix="ftui-fuzz-")) / "run"
    run.mkdir()
    path = run / ("t_000.json" if legacy else "000001_t.json")
    path.write_bytes(data)
    _check_call(read_call(path, run_id="run"))
    loaded = load_fixture(path, run_id="run")
    assert isinstance(loaded, Fixture | LoadProblem)
    if isinstance(loaded, LoadProblem):
        assert str(loaded)


@pytest.mark.parametrize("status", ["[]", "{}", '["ok"]'])
def test_unhashable_status_gets_a_clear_reason(tmp_path: Path, status: str) -> None:
    run = tmp_path / "run"
    run.mkdir()
    path = run / "000001_t.json"
    head = '{"format": 1, "run_id": "r", "tool": "t", "status": '
    path.write_text(head + status + "}")
    call = read_call(path, run_id="run")
    assert call.status == BROKEN
    assert call.problem is not None and "status" in call.problem, call.problem
