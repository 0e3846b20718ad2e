"""Building the end-to-end fixture roots: the scenario captured by integrations alone.

Two roots hold the same nine runs (``scenario.RUNS``) against the fault server: one recorded
by ``ForensicsCapability`` and ``integrations.http`` around a pydantic-ai agent, one by the
recording MCP proxy in front of a real MCP server.  Building a root takes seconds, so
``conftest`` builds each once per session and every e2e module (CLI and TUI) reads the same one.
"""

from __future__ import annotations

from pathlib import Path

from .conftest import require_extra
from .faultserver import FaultServer
from .scenario import RUNS, TASK, build_agent

__all__ = ["build_agent_root", "build_mcp_root"]


def build_agent_root(root: Path) -> Path:
    """Run the pydantic-ai agent once per scenario run, recording into ``root``."""
    require_extra("pydantic_ai")
    require_extra("httpx2")
    from forensics_tui.capture import Recorder
    from forensics_tui.integrations import http
    from forensics_tui.integrations.pydantic_ai import ForensicsCapability

    with FaultServer() as server, http.capture_http():
        server.set_mode("/api/profile", "ok")
        server.set_mode("/api/report", "echo")
        for run_id, mode in RUNS:
            server.set_mode("/api/items", mode)
            recorder = Recorder(root, run_id, agent="items-agent", task=TASK)
            agent = build_agent(server.url(""), ForensicsCapability(recorder=recorder))
            assert agent.run_sync("sync the items").output == "All done."  # always "success"
            recorder.end("ok")  # the pipeline exits 0
    return root


def build_mcp_root(root: Path) -> Path:
    """Drive the same task through the recording MCP proxy (real SDK client), into ``root``."""
    require_extra("mcp")
    anyio = require_extra("anyio")
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters

    from .mcp_helpers import child_env, proxy_command

    command = proxy_command(root)

    async def one_run(env: dict[str, str]) -> None:
        params = StdioServerParameters(command=command[0], args=command[1:], env=env)
        async with Client(params, mode="legacy") as client:
            items = await client.call_tool("fetch_items", {"path": "/api/items"})
            await client.call_tool("fetch_items", {"path": "/api/profile"})
            if not items.is_error and "items" in (items.structured_content or {}):
                await client.call_tool("add", {"a": 1, "b": 1})  # the "report" step

    with FaultServer() as server:
        server.set_mode("/api/profile", "ok")
        for run_id, mode in RUNS:
            server.set_mode("/api/items", mode)
            anyio.run(one_run, child_env(server.url(""), run_id))
    return root
