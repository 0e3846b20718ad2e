"""Streamed bodies through every recorded client: teed as read, finished as they really end.

Against a real chunked server: ``gated`` sends one line and waits for the test to release the
rest, which the test can only do once the first line has reached it (so a hook that buffers
the body fails the test instead of slowing it down); ``stalled`` stops sending after one line.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import Recorder
from forensics_tui.integrations import http

from .conftest import read_fixtures, wait_for
from .faultserver import FaultServer
from .http_clients import STREAM_CLIENTS, get_json, read_stream


@pytest.fixture(autouse=True)
def _always_uninstall() -> Any:
    yield
    http.uninstall()


def _one(root: Path) -> dict[str, Any]:
    found = read_fixtures(root, "run1")
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("client", STREAM_CLIENTS)
def test_first_line_reaches_the_caller_before_the_rest_is_sent(
    client: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    with http.capture_http(Recorder(tmp_path, "run1")):
        lines = read_stream(
            client, fault_server.url("/gated"), fault_server.release_gate, timeout=20
        )
    assert fault_server.gate_opened_by_client == [True]  # not buffered by the hook
    assert b"".join(line if isinstance(line, bytes) else line.encode() for line in lines)
    fx = _one(tmp_path)
    assert fx["status"] == "ok"
    assert fx["output"]["body"] == '{"n": 1}\n{"n": 2}\n{"n": 3}\n'
    assert "stream" not in fx["meta"] and "incomplete" not in fx["output"]


@pytest.mark.parametrize("client", STREAM_CLIENTS)
def test_stalled_stream_is_a_timeout_not_ok(
    client: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    with http.capture_http(Recorder(tmp_path, "run1")), pytest.raises(Exception) as caught:
        read_stream(client, fault_server.url("/stalled"), lambda: None)
    fx = _one(tmp_path)
    assert fx["status"] == "timeout", (type(caught.value), fx["error"])
    assert fx["output"]["status_code"] == 200
    assert fx["output"]["incomplete"] is True
    assert fx["output"]["body"] == '{"n": 1}\n'  # what arrived before it stalled
    assert fx["meta"]["stream"] == "failed"
    assert fx["error"]["message"]  # never empty (httpx's async ReadTimeout has no str())


@pytest.mark.parametrize("client", STREAM_CLIENTS)
def test_stream_closed_early_is_finished_not_pending(
    client: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    with http.capture_http(Recorder(tmp_path, "run1")):
        read_stream(client, fault_server.url("/gated"), lambda: None, stop=True, timeout=20)
    fault_server.release_gate()
    gc.collect()
    fx = _one(tmp_path)
    assert fx["status"] == "ok"
    assert fx["meta"]["stream"] in ("closed_early", "abandoned")
    assert fx["output"]["incomplete"] is True
    assert fx["output"]["body"].startswith('{"n": 1}')


def test_abandoned_stream_is_finished_when_collected(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    import httpx

    with http.capture_http(Recorder(tmp_path, "run1")):
        client = httpx.Client(timeout=5)
        response = client.send(client.build_request("GET", fault_server.url("/gated")), stream=True)
        # still running: written as pending once ``pending_after`` has passed
        assert wait_for(lambda: read_fixtures(tmp_path, "run1"))
        assert _one(tmp_path)["status"] == "pending"
        del response
        gc.collect()
    fx = _one(tmp_path)
    assert (fx["status"], fx["meta"]["stream"]) == ("ok", "abandoned")
    fault_server.release_gate()
    client.close()


@pytest.mark.parametrize("client", STREAM_CLIENTS)
@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("/ok", "ok", 200), ("/unauthorized", "error", 401), ("/rate_limited", "error", 429)],
)
def test_every_client_records_status_and_body(
    client: str, path: str, status: str, code: int, fault_server: FaultServer, tmp_path: Path
) -> None:
    with http.capture_http(Recorder(tmp_path, "run1")):
        got_code, body = get_json(client, fault_server.url(path))
    gc.collect()  # urllib's HTTPError response is released with the error
    fx = _one(tmp_path)
    assert (got_code, fx["status"], fx["output"]["status_code"]) == (code, status, code)
    assert fx["output"]["body"] == body
    assert fx["meta"]["integration"] == f"http:{client.removesuffix('-async')}"


@pytest.mark.parametrize("client", STREAM_CLIENTS)
def test_every_client_redacts_the_authorization_header(
    client: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    import contextlib

    import requests  # noqa: F401 - only to be sure the extra is there

    url = fault_server.url("/ok")
    with http.capture_http(Recorder(tmp_path, "run1")), contextlib.suppress(Exception):
        _get_with_secret(client, url)
    text = "".join(p.read_text("utf-8") for p in (tmp_path / "run1").glob("0*.json"))
    assert "s3cret-value" not in text
    assert _one(tmp_path)["redacted"]


def _get_with_secret(client: str, url: str) -> None:
    import asyncio

    headers = {"Authorization": "Bearer s3cret-value"}
    if client in ("httpx", "httpx2", "httpx-async"):
        import httpx

        httpx.get(url, headers=headers)
    elif client == "requests":
        import requests

        requests.get(url, headers=headers)
    elif client == "urllib":
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(url, headers=headers)).read()
    elif client == "urllib3":
        import urllib3

        urllib3.PoolManager().request("GET", url, headers=headers)
    else:
        import aiohttp

        async def go() -> None:
            async with aiohttp.ClientSession() as s, s.get(url, headers=headers) as r:
                await r.read()

        asyncio.run(go())


@pytest.mark.parametrize("client", ["urllib", "aiohttp", "httpx"])
def test_head_request_is_finished_without_reading(
    client: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    import asyncio
    import urllib.request

    url = fault_server.url("/ok")
    with http.capture_http(Recorder(tmp_path, "run1")):
        if client == "urllib":
            response = urllib.request.urlopen(urllib.request.Request(url, method="HEAD"))
            assert response.status == 200
            assert _one(tmp_path)["status"] == "ok"  # before any read, close or collection
            response.close()
        elif client == "httpx":
            import httpx

            assert httpx.head(url).status_code == 200
        else:
            import aiohttp

            async def go() -> None:
                async with aiohttp.ClientSession() as session, session.head(url) as r:
                    assert r.status == 200
                    assert _one(tmp_path)["status"] == "ok"

            asyncio.run(go())
    fx = _one(tmp_path)
    assert (fx["status"], fx["output"]["status_code"], fx["output"]["body"]) == ("ok", 200, "")


@pytest.mark.parametrize("client", ["httpx", "httpx-async", "requests", "aiohttp"])
def test_stalled_event_stream_is_a_timeout(
    client: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    with http.capture_http(Recorder(tmp_path, "run1")), pytest.raises(Exception):  # noqa: B017
        read_stream(client, fault_server.url("/stalled_sse"), lambda: None)
    fx = _one(tmp_path)
    assert (fx["status"], fx["meta"]["streamed"], fx["meta"]["stream"]) == (
        "timeout",
        True,
        "failed",
    )
    assert fx["output"]["body"] == '{"n": 1}\n'
