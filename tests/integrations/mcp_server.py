"""A real MCP server (``mcp`` SDK 2.x, stdio) whose tools call the local fault server.

Started by the tests as a subprocess: ``python mcp_server.py`` with ``FAULT_URL`` set to the
fault server's base URL.  It prints one line to stderr at start so tests can check that the
proxy passes stderr through.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import httpx2
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("fault-demo")
BASE = os.environ.get("FAULT_URL", "http://127.0.0.1:9")


@server.tool()
def fetch_items(path: str) -> dict[str, Any]:
    """GET ``path`` from the upstream service and return its JSON body."""
    try:
        response = httpx2.get(BASE + path, timeout=0.5)
    except httpx2.TimeoutException as exc:
        raise ToolError(f"upstream timeout: {type(exc).__name__}") from exc
    if response.status_code >= 400:
        retry = response.headers.get("retry-after")
        suffix = f" (Retry-After: {retry})" if retry else ""
        raise ToolError(f"upstream HTTP {response.status_code}{suffix}")
    return response.json()


@server.tool()
def add(a: int, b: int) -> dict[str, int]:
    return {"sum": a + b}


@server.tool()
def slow(seconds: float) -> str:
    time.sleep(min(seconds, 10))
    return "finally"


if __name__ == "__main__":
    print("fault-demo MCP server starting", file=sys.stderr, flush=True)
    server.run()
