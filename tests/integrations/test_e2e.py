"""The bar for capture: a real agent against a flaky upstream, captured by integrations alone.

Nine runs of the same pydantic-ai task (scripted model, httpx2 tools) hit the fault server
while ``/api/items`` misbehaves differently each run.  Only ``ForensicsCapability`` and
``integrations.http`` record anything.  Then ``check``, ``postmortem`` and ``patterns`` must
report what happened.  The same scenario then runs through the MCP proxy with the real SDK.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from forensics_tui.capture import Recorder
from forensics_tui.cli.main import cli

from .conftest import read_fixtures, require_extra
from .faultserver import FaultServer
from .scenario import RUNS, TASK, build_agent

pytestmark = pytest.mark.slow


def _cli(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _check(root: Path, run_id: str) -> tuple[int, list[dict[str, Any]]]:
    result = _cli("check", "--dir", str(root), "--json", run_id)
    data = json.loads(result.output)
    return result.exit_code, [f for run in data["runs"] for f in run["findings"]]


def _kinds(findings: list[dict[str, Any]], tool: str) -> set[str]:
    return {f["kind"] for f in findings if f.get("tool") == tool}


@pytest.fixture(scope="module")
def agent_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_extra("pydantic_ai")
    require_extra("httpx2")
    from forensics_tui.integrations import http
    from forensics_tui.integrations.pydantic_ai import ForensicsCapability

    root = tmp_path_factory.mktemp("e2e") / "fixtures"
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


def test_fixtures_capture_each_fault(agent_root: Path) -> None:
    def first(run_id: str, tool: str) -> dict[str, Any]:
        return next(f for f in read_fixtures(agent_root, run_id) if f["tool"] == tool)

    items = "http GET 127.0.0.1/api/items"
    assert first("run-01", "list_items")["status"] == "ok"
    assert first("run-02", "list_items")["output"] == {"error": "token_expired", "items": []}
    assert first("run-03", "list_items")["status"] == "timeout"
    assert first("run-03", items)["error"]["type"] == "httpx2.ReadTimeout"
    assert first("run-04", items)["output"]["status_code"] == 401
    limited = first("run-05", items)
    assert limited["meta"]["response"]["headers"]["retry-after"] == "30"
    assert "HTTP 429" in first("run-05", "list_items")["error"]["message"]
    assert "records" in first("run-06", "list_items")["output"]
    for run_id, _ in RUNS:
        found = read_fixtures(agent_root, run_id)
        tools = {f["call_id"]: f for f in found}
        for exchange in (f for f in found if f["tool"].startswith("http ")):
            parent = tools[exchange["meta"]["parent_call"]]
            assert not parent["tool"].startswith("http ")  # every exchange sits in a tool call


def test_check_reports_each_silent_failure(agent_root: Path) -> None:
    assert _check(agent_root, "run-01")[0] == 0
    code, findings = _check(agent_root, "run-02")
    assert code == 1 and "auth_expiry" in _kinds(findings, "list_items")
    code, findings = _check(agent_root, "run-03")
    assert code == 1 and "timeout" in _kinds(findings, "list_items")
    assert "partial_step" in _kinds(findings, "send_report")  # skipped, yet "All done."
    code, findings = _check(agent_root, "run-04")
    assert code == 1 and "error" in _kinds(findings, "http GET 127.0.0.1/api/items")
    code, findings = _check(agent_root, "run-05")
    assert code == 1 and "rate_limited" in _kinds(findings, "http GET 127.0.0.1/api/items")
    code, findings = _check(agent_root, "run-06")
    assert code == 1 and "schema_drift" in _kinds(findings, "list_items")
    assert _check(agent_root, "run-09")[0] == 0


def test_postmortem_names_the_first_failure(agent_root: Path) -> None:
    result = _cli("postmortem", "--dir", str(agent_root), "--format", "json", "run-03")
    report = json.loads(result.output)
    text = json.dumps(report)
    assert "list_items" in text and "timeout" in text
    markdown = _cli("postmortem", "--dir", str(agent_root), "run-03").output
    (first,) = [line for line in markdown.splitlines() if line.startswith("## First failure")]
    assert "`list_items`" in first  # tools run concurrently: its number may vary
    assert '"limit": 10' in markdown  # the exact input that triggered it


def test_patterns_promote_the_recurring_timeout(agent_root: Path) -> None:
    result = _cli("patterns", "--dir", str(agent_root), "--json")
    patterns = json.loads(result.output)
    (timeouts,) = [p for p in patterns if (p["tool"], p["kind"]) == ("list_items", "timeout")]
    assert timeouts["promoted"] is True
    assert timeouts["runs"] == ["run-03", "run-07", "run-08"]
    assert timeouts["fixed_since"] == "run-09"


def test_same_scenario_through_the_mcp_proxy(tmp_path: Path) -> None:
    require_extra("mcp")
    anyio = require_extra("anyio")
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters

    from .mcp_helpers import child_env, proxy_command

    root = tmp_path / "fixtures"
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

    assert _check(root, "run-01")[0] == 0
    code, findings = _check(root, "run-02")
    assert code == 1 and "auth_expiry" in _kinds(findings, "fetch_items")
    code, findings = _check(root, "run-03")
    assert code == 1 and "error" in _kinds(findings, "fetch_items")
    assert "partial_step" in _kinds(findings, "add")
    code, findings = _check(root, "run-05")
    assert code == 1 and "rate_limited" in _kinds(findings, "fetch_items")
    code, findings = _check(root, "run-06")
    assert code == 1 and "schema_drift" in _kinds(findings, "fetch_items")
    patterns = json.loads(_cli("patterns", "--dir", str(root), "--json").output)
    (recurring,) = [
        p for p in patterns if p["tool"] == "fetch_items" and "upstream timeout" in p["message"]
    ]
    assert (recurring["promoted"], recurring["runs"]) == (True, ["run-03", "run-07", "run-08"])
    assert recurring["fixed_since"] == "run-09"
