"""The HTTP capture's speed-ups keep what is recorded: JSON bodies parse exactly as the stdlib
parses them, and every body's owner is forgotten once its exchange is finished."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import Recorder
from forensics_tui.integrations import _http_tee, http
from forensics_tui.integrations._http_record import decode_body, http_tool_name

from .conftest import read_fixtures, require_extra
from .faultserver import FaultServer
from .http_clients import STREAM_CLIENTS, get_json

JSON = "application/json"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id": 123456789012345678901234567890, "n": 1}',  # past 64 bits: stays an int
        b'{"big": -98765432109876543210}',
        b'{"x": NaN, "y": Infinity}',  # the stdlib reads these; so must capture
        b"[1e400]",
        b'\xef\xbb\xbf{"bom": true}',
        b'{"a": 1, "a": 2, "s": "\\u00e9\\ud83d\\ude00"}',
        b'{"nested": [[[{"k": [1.5, -0.0, true, null]}]]]}',
    ],
)
def test_json_bodies_are_read_exactly_as_the_stdlib_reads_them(raw: bytes) -> None:
    value, cut = decode_body(raw, JSON, 1 << 20)
    expected = json.loads(raw)
    assert not cut
    assert repr(value) == repr(expected)
    assert [type(v) for v in _leaves(value)] == [type(v) for v in _leaves(expected)]


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_tool_names_are_the_same_when_asked_again() -> None:
    url = "http://api.example.com/v1/users/12345/orders?page=2"
    first = http_tool_name("get", url)
    assert first == "http GET api.example.com/v1/users/{id}/orders"
    assert http_tool_name("get", url) == first
    assert http_tool_name("POST", url) == "http POST api.example.com/v1/users/{id}/orders"


@pytest.mark.parametrize("client", STREAM_CLIENTS)
def test_finished_exchanges_leave_nothing_watched(
    client: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    before = len(_http_tee._watched)
    with http.capture_http(Recorder(tmp_path, "run1")):
        for _ in range(3):
            assert get_json(client, fault_server.url("/ok"))[0] == 200
    gc.collect()
    assert len(_http_tee._watched) == before
    found = read_fixtures(tmp_path, "run1")
    assert [f["status"] for f in found] == ["ok"] * 3


def test_a_body_open_at_exit_is_finished_as_abandoned(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    httpx = require_extra("httpx")
    with http.capture_http(Recorder(tmp_path, "run1")):
        client = httpx.Client(timeout=5)
        request = client.build_request("GET", fault_server.url("/gated"))
        response = client.send(request, stream=True)
        _http_tee._at_exit()  # what the interpreter runs at exit
        fx = read_fixtures(tmp_path, "run1")
        assert [(f["status"], f["meta"].get("stream")) for f in fx] == [("ok", "abandoned")]
    fault_server.release_gate()
    response.close()
    client.close()
