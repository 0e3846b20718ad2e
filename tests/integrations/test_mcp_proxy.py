"""The MCP proxy with the real ``mcp`` SDK: byte-exact relay, fixtures per call, re-execution."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core.model import Fixture

from .conftest import read_fixtures, require_extra
from .faultserver import FaultServer
from .mcp_helpers import RawPeer, child_env, legacy_script, proxy_command, server_command

mcp = require_extra("mcp")
anyio = require_extra("anyio")
require_extra("httpx2")

from mcp.client import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

from forensics_tui.integrations.mcp_reexec import (  # noqa: E402
    ALLOW_ENV,
    McpExecutor,
    reexecute_mcp,
)


def run_session(root: Path, fault: FaultServer, mode: str, calls: list[tuple[str, dict]]) -> list:
    """Connect the SDK client through the proxy, make ``calls``; returns the SDK results."""
    command = proxy_command(root)
    params = StdioServerParameters(
        command=command[0], args=command[1:], env=child_env(fault.url(""), "mcp-run")
    )

    async def go() -> list[Any]:
        results = []
        async with Client(params, mode=mode) as client:
            for tool, args in calls:
                results.append(await client.call_tool(tool, args))
        return results

    return anyio.run(go)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_sdk_client_through_proxy_records_each_call(
    mode: str, tmp_path: Path, fault_server: FaultServer
) -> None:
    calls = [
        ("add", {"a": 1, "b": 2}),
        ("fetch_items", {"path": "/ok"}),
        ("fetch_items", {"path": "/unauthorized"}),
        ("fetch_items", {"path": "/token_expired"}),
    ]
    results = run_session(tmp_path, fault_server, mode, calls)
    assert [r.is_error for r in results] == [False, False, True, False]
    found = read_fixtures(tmp_path, "mcp-run")
    assert [(f["tool"], f["status"]) for f in found] == [
        ("add", "ok"),
        ("fetch_items", "ok"),
        ("fetch_items", "error"),
        ("fetch_items", "ok"),
    ]
    add, ok, unauthorized, expired = found
    assert add["input"] == {"a": 1, "b": 2}
    assert add["output"] == {"sum": 3}
    assert ok["output"] == {"items": [{"id": 1, "name": "alpha"}], "total": 1}
    assert unauthorized["error"]["type"] == "MCPToolError"
    assert "HTTP 401" in unauthorized["error"]["message"]
    assert expired["output"] == {"error": "token_expired", "items": []}
    assert add["replay"] == {
        "kind": "mcp",
        "command": server_command(),
        "tool": "add",
        "arguments": {"a": 1, "b": 2},
        "protocol_version": "2025-11-25" if mode == "legacy" else "2026-07-28",
        "cwd": add["replay"]["cwd"],
    }
    assert add["meta"]["integration"] == "mcp-proxy"
    manifest = json.loads((tmp_path / "mcp-run" / "run.json").read_text())
    assert manifest["status"] == "ok"


def test_frames_are_relayed_byte_for_byte_and_ids_kept(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    env = child_env(fault_server.url(""), "raw-run")
    transcripts = []
    for command in (server_command(), proxy_command(tmp_path)):
        peer = RawPeer(command, env)
        for message in legacy_script():
            peer.send(message)
            if "id" in message:
                peer.recv()
        code, rest, err = peer.finish()
        transcripts.append((peer.received, rest, code, err))
    (direct, direct_rest, direct_code, _), (proxied, proxied_rest, proxied_code, err) = transcripts
    assert proxied == direct  # identical bytes, nothing added on stdout
    assert proxied_rest == direct_rest == b""
    assert proxied_code == direct_code == 0
    assert b"fault-demo MCP server starting" in err  # the server's stderr passes through
    ids = [json.loads(line)["id"] for line in proxied]
    assert ids == ["init-1", 7, "7", 8]
    found = read_fixtures(tmp_path, "raw-run")
    assert [(f["tool"], f["status"], f["meta"]["mcp_id"]) for f in found] == [
        ("add", "ok", 7),
        ("nope", "error", "7"),
    ]


def test_odd_frames_pass_untouched(tmp_path: Path) -> None:
    """Non-JSON lines, unusual spacing and a final line without newline are relayed as is."""
    echo = [sys.executable, "-c", "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())"]
    peer = RawPeer(proxy_command(tmp_path, *echo), child_env("http://127.0.0.1:9", "echo-run"))
    frames = b'not json\n{ "jsonrpc" : "2.0",  "id":1 }\n\xff\xfe binary\n{"id": "\\u00e9"}'
    peer.send_raw(frames)
    code, out, _ = peer.finish()  # closes stdin: the echo ends, then the proxy
    assert (code, out) == (0, frames)


def test_cancelled_call_is_a_timeout_and_exit_code_is_the_servers(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    peer = RawPeer(proxy_command(tmp_path), child_env(fault_server.url(""), "cancel-run"))
    for message in legacy_script()[:2]:
        peer.send(message)
        if "id" in message:
            peer.recv()
    slow = {"name": "slow", "arguments": {"seconds": 2}}
    peer.send({"jsonrpc": "2.0", "id": 41, "method": "tools/call", "params": slow})
    cancel = {"requestId": 41, "reason": "user gave up"}
    peer.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": cancel})
    code, _, _ = peer.finish()
    assert code == 0
    (fx,) = read_fixtures(tmp_path, "cancel-run")
    assert (fx["tool"], fx["status"]) == ("slow", "timeout")
    assert fx["error"]["message"] == "user gave up"


def test_proxy_exits_with_the_server_exit_code(tmp_path: Path) -> None:
    crash = [sys.executable, "-c", "import sys; sys.stdin.readline(); sys.exit(3)"]
    peer = RawPeer(proxy_command(tmp_path, *crash), child_env("http://127.0.0.1:9", "crash-run"))
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x"}}
    peer.send(request)
    code, out, _ = peer.finish()
    assert (code, out) == (3, b"")
    (fx,) = read_fixtures(tmp_path, "crash-run")
    assert fx["status"] == "error"
    assert fx["error"]["type"] == "NoResponse"


# A server that answers one call, then lingers after its input closes (slow to shut down),
# or is killed while the session is still open.
_LINGER = (
    "import json, sys, time\n"
    "req = json.loads(sys.stdin.readline())\n"
    "sys.stdout.write(json.dumps({'jsonrpc': '2.0', 'id': req['id'],"
    " 'result': {'content': [{'type': 'text', 'text': 'done'}]}}) + '\\n')\n"
    "sys.stdout.flush()\n"
    "sys.stdin.read()\n"
    "time.sleep(60)\n"
)


def _one_call(tmp_path: Path, run_id: str) -> RawPeer:
    peer = RawPeer(
        proxy_command(tmp_path, sys.executable, "-c", _LINGER),
        child_env("http://127.0.0.1:9", run_id),
    )
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x"}}
    peer.send(request)
    assert b'"done"' in peer.recv()
    return peer


def _run_status(root: Path, run_id: str) -> str:
    return json.loads((root / run_id / "run.json").read_text("utf-8"))["status"]


def test_server_terminated_after_the_client_closed_is_a_clean_end(tmp_path: Path) -> None:
    """The MCP stdio shutdown: stdin closed, then SIGTERM to a server slow to leave."""
    import signal
    import time

    peer = _one_call(tmp_path, "shutdown-run")
    assert peer.proc.stdin is not None
    peer.proc.stdin.close()
    time.sleep(0.5)  # the proxy relays the EOF; the server lingers
    peer.proc.send_signal(signal.SIGTERM)
    peer.proc.wait(timeout=20)
    assert _run_status(tmp_path, "shutdown-run") == "ok"
    (fx,) = read_fixtures(tmp_path, "shutdown-run")
    assert fx["status"] == "ok"


def test_server_terminated_mid_session_is_a_failed_run(tmp_path: Path) -> None:
    import signal

    peer = _one_call(tmp_path, "killed-run")
    peer.proc.send_signal(signal.SIGTERM)  # the client still holds the session open
    peer.proc.wait(timeout=20)
    assert peer.proc.stdin is not None
    peer.proc.stdin.close()
    assert _run_status(tmp_path, "killed-run") == "failed"


def test_missing_server_program_is_one_line_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from forensics_tui.cli.main import cli

    result = CliRunner().invoke(
        cli, ["mcp-proxy", "--dir", str(tmp_path), "--", "/nonexistent/mcp-server"]
    )
    assert result.exit_code == 1
    assert "cannot start the MCP server" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_reexecute_recorded_call(
    mode: str, tmp_path: Path, fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_session(tmp_path, fault_server, mode, [("fetch_items", {"path": "/ok"})])
    (original,) = read_fixtures(tmp_path, "mcp-run")
    monkeypatch.setenv("FAULT_URL", fault_server.url(""))
    outcome = reexecute_mcp(original["replay"], timeout=20)
    assert (outcome.status, outcome.output) == ("ok", original["output"])
    fault_server.set_mode("/ok", "rate_limited")
    outcome = reexecute_mcp(original["replay"], timeout=20)
    assert outcome.status == "error"
    assert "Retry-After: 30" in outcome.error["message"]


def test_reexecute_timeout_and_executor_allowlist(tmp_path: Path) -> None:
    spec = {
        "kind": "mcp",
        "command": server_command(),
        "tool": "slow",
        "arguments": {"seconds": 5},
    }
    outcome = reexecute_mcp(spec, timeout=1.5)
    assert outcome.status == "timeout"

    from forensics_tui.core.reexec import ReexecPolicy, Refused

    fixture = Fixture(Path("x.json"), "r", "r-1", 1, "slow", "ok", replay=spec)
    with pytest.raises(Refused, match="not allowed"):
        McpExecutor().build(fixture, ReexecPolicy(env={}))
    # an interpreter is allowed with its exact arguments (alone it would run ``python -c``)
    with pytest.raises(Refused, match="interpreter"):
        McpExecutor().build(fixture, ReexecPolicy(env={ALLOW_ENV: sys.executable}))
    allowed = ReexecPolicy(env={ALLOW_ENV: shlex.join(server_command())})
    request = McpExecutor().build(fixture, allowed)
    assert request.kind == "mcp"
    assert "slow via" in request.describe()
    # the same command allowed by the config file ([reexec] mcp_commands)
    by_config = ReexecPolicy(env={}, mcp_commands=(shlex.join(server_command()),))
    assert McpExecutor().build(fixture, by_config).kind == "mcp"


def test_odd_replies_recorded_as_what_they_are_and_relayed(tmp_path: Path) -> None:
    server = [sys.executable, str(Path(__file__).with_name("mcp_scripted_server.py"))]
    peer = RawPeer(proxy_command(tmp_path, *server), child_env("http://127.0.0.1:9", "odd-run"))
    names = ["masked", "structured", "empty", "prose", "weird_meta", "after"]
    replies = []
    for number, name in enumerate(names, 1):
        peer.send(
            {"jsonrpc": "2.0", "id": number, "method": "tools/call", "params": {"name": name}}
        )
        replies.append(json.loads(peer.recv()))
    code, _, _ = peer.finish()
    assert code == 0
    assert replies[4]["result"]["_meta"] == "x"  # the non-conforming reply, forwarded as is
    assert replies[5]["result"]["content"][0]["text"] == '{"ok": true}'  # and the proxy kept going
    found = {f["tool"]: f for f in read_fixtures(tmp_path, "odd-run")}
    assert (found["masked"]["status"], found["masked"]["error"]["masked_by"]) == ("error", "mcp")
    structured = found["structured"]["error"]
    assert (structured["type"], structured["message"]) == ("AuthError", "token expired")
    assert found["empty"]["status"] == "ok" and found["empty"]["meta"]["empty_result"] is True
    assert found["prose"]["status"] == "error"
    assert found["prose"]["error"]["message"] == "Error: upstream returned HTTP 401"
    assert (found["weird_meta"]["status"], found["weird_meta"]["output"]) == ("ok", "fine")
    assert (found["after"]["status"], found["after"]["output"]) == ("ok", {"ok": True})
