"""HTTP capture against a real local server: httpx, httpx2 and requests, sync and async."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import Recorder
from forensics_tui.integrations import http

from .conftest import read_fixtures, require_extra
from .faultserver import FaultServer

TIMEOUT = 0.5


@pytest.fixture(autouse=True)
def _always_uninstall() -> Any:
    yield
    http.uninstall()


def _one(root: Path, run_id: str) -> dict[str, Any]:
    found = read_fixtures(root, run_id)
    assert len(found) == 1, found
    return found[0]


def _client_get(client: str, url: str, **kw: Any) -> Any:
    if client == "requests":
        requests = require_extra("requests")
        return requests.get(url, timeout=TIMEOUT, **kw)
    mod = require_extra(client)
    with mod.Client(timeout=TIMEOUT) as c:
        return c.get(url, **kw)


def _timeout_error(client: str) -> type[BaseException]:
    if client == "requests":
        return require_extra("requests").exceptions.RequestException
    return require_extra(client).TimeoutException


@pytest.mark.parametrize("client", ["httpx", "httpx2", "requests"])
def test_ok_exchange_is_one_fixture_with_replay(
    client: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    rec = Recorder(tmp_path, "run1")
    with http.capture_http(rec):
        response = _client_get(client, fault_server.url("/ok?page=2"), headers={"X-Trace": "t1"})
    assert response.json() == {"items": [{"id": 1, "name": "alpha"}], "total": 1}
    fx = _one(tmp_path, "run1")
    assert fx["tool"] == "http GET 127.0.0.1/ok"
    assert fx["status"] == "ok"
    assert fx["input"]["method"] == "GET"
    assert fx["input"]["url"] == fault_server.url("/ok?page=2")
    assert fx["input"]["headers"]["X-Trace" if client == "requests" else "x-trace"] == "t1"
    assert fx["output"]["status_code"] == 200
    assert fx["meta"]["response"]["reason"] == "OK"
    assert fx["output"]["body"] == {"items": [{"id": 1, "name": "alpha"}], "total": 1}
    assert fx["replay"]["kind"] == "http"
    assert fx["replay"]["url"] == fault_server.url("/ok?page=2")
    assert fx["meta"]["integration"] == f"http:{client}"
    assert fx["duration_ms"] is not None


@pytest.mark.parametrize("client", ["httpx", "httpx2", "requests"])
def test_timeout_is_recorded_as_timeout_and_still_raised(
    client: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    rec = Recorder(tmp_path, "run1")
    with http.capture_http(rec), pytest.raises(_timeout_error(client)):
        _client_get(client, fault_server.url("/timeout"))
    fx = _one(tmp_path, "run1")
    assert fx["status"] == "timeout"
    assert "Timeout" in fx["error"]["type"]
    assert fx["output"] is None


@pytest.mark.parametrize("client", ["httpx", "httpx2", "requests"])
@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/unauthorized", "error", 401),
        ("/rate_limited", "error", 429),
        ("/token_expired", "ok", 200),
    ],
)
def test_status_codes(
    client: str, path: str, status: str, code: int, fault_server: FaultServer, tmp_path: Path
) -> None:
    rec = Recorder(tmp_path, "run1")
    with http.capture_http(rec):
        response = _client_get(client, fault_server.url(path))
    assert response.status_code == code
    fx = _one(tmp_path, "run1")
    assert fx["status"] == status
    assert fx["output"]["status_code"] == code
    if code == 429:
        assert "Retry-After: 30" in fx["error"]["message"]
        headers = fx["meta"]["response"]["headers"]
        assert headers["Retry-After" if client == "requests" else "retry-after"] == "30"
    if code == 200:
        assert fx["output"]["body"]["error"] == "token_expired"
        assert fx["error"] is None


@pytest.mark.parametrize("client", ["httpx", "httpx2", "requests"])
def test_connection_refused_is_error(client: str, tmp_path: Path) -> None:
    server = FaultServer()
    url = server.url("/ok")
    server._server.server_close()  # the port is now closed: nothing listens there
    rec = Recorder(tmp_path, "run1")
    with http.capture_http(rec), pytest.raises(Exception):  # noqa: B017
        _client_get(client, url)
    fx = _one(tmp_path, "run1")
    assert fx["status"] == "error"
    assert fx["error"]["type"]


@pytest.mark.parametrize("client", ["httpx", "httpx2"])
def test_async_clients(client: str, fault_server: FaultServer, tmp_path: Path) -> None:
    mod = require_extra(client)
    rec = Recorder(tmp_path, "run1")

    async def go() -> list[int]:
        async with mod.AsyncClient(timeout=TIMEOUT) as c:
            ok = await c.get(fault_server.url("/ok"))
            posted = await c.post(fault_server.url("/echo"), json={"q": "x"})
            with pytest.raises(mod.TimeoutException):
                await c.get(fault_server.url("/timeout"))
            return [ok.status_code, posted.status_code]

    with http.capture_http(rec):
        assert asyncio.run(go()) == [200, 200]
    found = read_fixtures(tmp_path, "run1")
    assert [f["status"] for f in found] == ["ok", "ok", "timeout"]
    assert "/timeout" in found[2]["error"]["message"]  # ReadTimeout's str() is empty here
    assert found[1]["input"]["body"] == {"q": "x"}
    assert found[1]["replay"]["json"] == {"q": "x"}
    assert found[1]["output"]["body"] == {"q": "x"}


@pytest.mark.parametrize("client", ["httpx", "httpx2", "requests"])
def test_event_stream_is_teed_as_read(
    client: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    rec = Recorder(tmp_path, "run1")
    with http.capture_http(rec):
        if client == "requests":
            response = require_extra("requests").get(fault_server.url("/sse"), stream=True)
            text = response.text
        else:
            mod = require_extra(client)
            with mod.Client() as c, c.stream("GET", fault_server.url("/sse")) as response:
                text = "".join(response.iter_text())
    assert text == "data: one\n\ndata: two\n\n"
    fx = _one(tmp_path, "run1")
    assert fx["meta"]["streamed"] is True
    assert fx["output"]["body"] == "data: one\n\ndata: two\n\n"  # what the caller read
    assert (fx["status"], fx["meta"].get("stream")) == ("ok", None)  # read to the end


@pytest.mark.parametrize("client", ["httpx", "httpx2"])
def test_gzip_body_is_decoded_and_raw_stream_intact(
    client: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    mod = require_extra(client)
    rec = Recorder(tmp_path, "run1")
    with http.capture_http(rec), mod.Client() as c:
        assert c.get(fault_server.url("/gzip")).json() == {"zipped": True}
        with c.stream("GET", fault_server.url("/gzip")) as response:
            raw = b"".join(response.iter_raw())
    assert raw[:2] == b"\x1f\x8b"  # the caller still gets the bytes the server sent
    found = read_fixtures(tmp_path, "run1")
    assert [f["output"]["body"] for f in found] == [{"zipped": True}, {"zipped": True}]


def test_authorization_header_is_redacted(fault_server: FaultServer, tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "run1")
    with http.capture_http(rec):
        _client_get("httpx", fault_server.url("/ok"), headers={"Authorization": "Bearer s3cret"})
    fx = _one(tmp_path, "run1")
    on_disk = "".join(p.read_text("utf-8") for p in (tmp_path / "run1").glob("*.json"))
    assert "s3cret" not in on_disk
    assert fx["redacted"]


def test_uninstall_restores_and_nothing_is_recorded(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    httpx = require_extra("httpx")
    original = httpx.HTTPTransport.handle_request
    rec = Recorder(tmp_path, "run1")
    http.install(rec)
    assert httpx.HTTPTransport.handle_request is not original
    http.uninstall()
    assert httpx.HTTPTransport.handle_request is original
    _client_get("httpx", fault_server.url("/ok"))
    assert not (tmp_path / "run1").exists() or read_fixtures(tmp_path, "run1") == []


def test_env_recorder_is_used_by_default(
    fault_server: FaultServer, fixture_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORENSICS_RUN_ID", "env-run")
    with http.capture_http():
        _client_get("httpx", fault_server.url("/ok"))
    assert _one(fixture_root, "env-run")["status"] == "ok"


def test_exchange_inside_a_tool_call_links_to_it(fault_server: FaultServer, tmp_path: Path) -> None:
    from forensics_tui.capture import checkpointed

    rec = Recorder(tmp_path, "run1")
    with http.capture_http(rec), checkpointed("fetch_items", {"page": 1}, recorder=rec):
        _client_get("httpx", fault_server.url("/ok"))
    found = read_fixtures(tmp_path, "run1")
    tool = next(f for f in found if f["tool"] == "fetch_items")
    exchange = next(f for f in found if f["tool"].startswith("http "))
    assert exchange["meta"]["parent_call"] == tool["call_id"]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (
            "http://api.example.com:8443/v1/users/12345?x=1",
            "http GET api.example.com/v1/users/{id}",
        ),
        (
            "https://h.io/o/3f2b8c1e-9a7d-4c1b-8e2f-0a1b2c3d4e5f/items",
            "http GET h.io/o/{id}/items",
        ),
        ("https://h.io/", "http GET h.io/"),
        ("https://h.io", "http GET h.io/"),
        ("https://h.io/search/v2", "http GET h.io/search/v2"),
    ],
)
def test_tool_name_is_stable(url: str, name: str) -> None:
    assert http.http_tool_name("get", url) == name
