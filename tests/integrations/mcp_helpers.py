"""Starting the recording MCP proxy in front of the test MCP server, raw or with the SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).with_name("mcp_server.py")


def server_command() -> list[str]:
    return [sys.executable, str(SERVER)]


def proxy_command(root: Path, *server: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "forensics_tui",
        "mcp-proxy",
        "--dir",
        str(root),
        "--",
        *(server or server_command()),
    ]


def child_env(fault_url: str, run_id: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env["FAULT_URL"] = fault_url
    env.pop("FORENSICS_RUN_ID", None)
    if run_id:
        env["FORENSICS_RUN_ID"] = run_id
    return env


class RawPeer:
    """Talk newline-delimited JSON-RPC to a process, one frame at a time, keeping the bytes."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        self.received: list[bytes] = []

    def send_raw(self, frame: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(frame)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(json.dumps(message).encode() + b"\n")

    def recv(self) -> bytes:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        self.received.append(line)
        return line

    def finish(self, timeout: float = 20) -> tuple[int, bytes, bytes]:
        """Close stdin, wait; returns (exit code, the rest of stdout, all stderr)."""
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err


def legacy_script() -> list[dict[str, Any]]:
    """A handshake-era session with int and string ids, each request answered in turn."""
    init = {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw-test", "version": "1"},
    }
    return [
        {"jsonrpc": "2.0", "id": "init-1", "method": "initialize", "params": init},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {"name": "add", "arguments": {"a": 2, "b": 3}},
        },
        {
            "jsonrpc": "2.0",
            "id": "7",
            "method": "tools/call",
            "params": {"name": "nope", "arguments": {}},
        },
        {"jsonrpc": "2.0", "id": 8, "method": "tools/list"},
    ]
