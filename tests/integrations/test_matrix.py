"""The end-to-end matrix: every integration x every upstream behaviour, recorded as it was.

Cells: ``ok``, ``timeout``, ``401``, ``200 + token_expired``, ``429``, schema ``drift``, and a
``stalled`` stream where the client streams.  Each cell's fixture must carry the right status
and the facts that tell it apart from every other cell (status code, error type, body), so the
verdict engine can classify it.  The README's integration table is this matrix; its "masked"
cells are asserted here too (the MCP protocol carries only a message, no exception type).
"""

import gc
import json
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.capture import Recorder
from forensics_tui.integrations import http

from .conftest import read_fixtures, require_extra
from .faultserver import FaultServer
from .http_clients import STREAM_CLIENTS, get_json, read_stream
from .matrix_runners import FRAMEWORKS

CELLS = {  # cell -> (fault server path, tool-level status)
    "ok": ("/ok", "ok"),
    "timeout": ("/timeout", "timeout"),
    "401": ("/unauthorized", "error"),
    "token_expired": ("/token_expired", "ok"),
    "429": ("/rate_limited", "error"),
    "drift": ("/shape_changed", "ok"),
}


@pytest.fixture(autouse=True)
def _always_uninstall() -> Any:
    yield
    http.uninstall()


def facts(fx: dict[str, Any], child: dict[str, Any] | None) -> tuple[Any, ...]:
    """What tells a cell apart: status, the HTTP status code, the body's keys."""
    code = None
    if child is not None and isinstance(child.get("output"), dict):
        code = child["output"].get("status_code")
    error = fx.get("error") or {}
    code = code or error.get("status_code")
    body = fx.get("output")
    if isinstance(body, dict) and "status_code" in body:
        code, body = code or body["status_code"], body.get("body")
    keys = tuple(sorted(body)) if isinstance(body, dict) else None
    return fx["status"], code, keys


def check_cell(cell: str, fx: dict[str, Any], child: dict[str, Any] | None) -> None:
    status = CELLS[cell][1]
    assert fx["status"] == status, (cell, fx["status"], fx["error"])
    text = json.dumps(fx.get("error")) + json.dumps(child or {})
    if cell in ("401", "429"):
        assert cell in text, (cell, fx["error"])
    if cell == "timeout":
        assert "Timeout" in fx["error"]["type"] or "timeout" in fx["error"]["message"].lower()
        assert fx["error"]["message"]


@pytest.mark.parametrize("client", [c for c in STREAM_CLIENTS])
def test_http_clients(client: str, fault_server: FaultServer, tmp_path: Path) -> None:
    if client != "urllib":
        require_extra(client.removesuffix("-async"))
    seen = {}
    for cell, (path, _) in CELLS.items():
        run_id = f"{client}-{cell}"
        with http.capture_http(Recorder(tmp_path, run_id)):
            try:
                get_json(client, fault_server.url(path))
            except Exception:
                assert cell == "timeout"
        gc.collect()
        (fx,) = read_fixtures(tmp_path, run_id)
        check_cell(cell, fx, fx)
        seen[cell] = facts(fx, fx)
    recorder = Recorder(tmp_path, f"{client}-stalled")
    with http.capture_http(recorder), pytest.raises(Exception):  # noqa: B017 - each its own
        read_stream(client, fault_server.url("/stalled"), lambda: None)
    (fx,) = read_fixtures(tmp_path, f"{client}-stalled")
    assert (fx["status"], fx["meta"]["stream"], fx["output"]["status_code"]) == (
        "timeout",
        "failed",
        200,
    )
    seen["stalled"] = (*facts(fx, fx), "incomplete")
    assert len(set(seen.values())) == len(seen), seen  # every cell distinguishable


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_frameworks(framework: str, fault_server: FaultServer, tmp_path: Path) -> None:
    module, runner = FRAMEWORKS[framework]
    require_extra(module)
    require_extra("httpx")
    seen = {}
    for cell, (path, _) in CELLS.items():
        run_id = f"{framework}-{cell}"
        # HTTP outside any tool scope (the OTel cells) lands in the cell's run too
        with http.capture_http(Recorder(tmp_path, run_id)):
            runner(fault_server.url(path), tmp_path, run_id)
        found = read_fixtures(tmp_path, run_id)
        assert [f["status"] for f in found if f["status"] == "pending"] == []
        tools = [f for f in found if not f["tool"].startswith("http ")]
        assert [t["tool"] for t in tools] == ["fetch"], found
        children = [f for f in found if f["tool"].startswith("http ")]
        child = children[0] if children else None
        assert child is not None
        if framework != "otel-import":  # a file of spans says nothing of live HTTP
            assert child["meta"]["parent_call"] == tools[0]["call_id"]
        check_cell(cell, tools[0], child)
        if cell in ("401", "429") and not framework.startswith("otel"):
            assert tools[0]["error"]["status_code"] == int(cell)  # kept from the HTTP child
        seen[cell] = facts(tools[0], child)
    assert len(set(seen.values())) == len(seen), seen


def test_mcp_proxy(fault_server: FaultServer, tmp_path: Path) -> None:
    require_extra("mcp")
    anyio = require_extra("anyio")
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters

    from .mcp_helpers import child_env, proxy_command

    command = proxy_command(tmp_path)

    async def session() -> None:
        env = child_env(fault_server.url(""), "mcp")
        params = StdioServerParameters(command=command[0], args=command[1:], env=env)
        async with Client(params, mode="legacy") as client:
            for path, _ in CELLS.values():
                await client.call_tool("fetch_items", {"path": path})

    anyio.run(session)
    found = {f["input"]["path"]: f for f in read_fixtures(tmp_path, "mcp")}
    seen = {}
    for cell, (path, _) in CELLS.items():
        check_cell(cell, found[path], None)
        seen[cell] = (*facts(found[path], None), (found[path]["error"] or {}).get("message"))
    assert len(set(seen.values())) == len(seen), seen
