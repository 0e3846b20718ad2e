"""The bar for capture: a real agent against a flaky upstream, captured by integrations alone.

Nine runs of the same pydantic-ai task (scripted model, httpx2 tools) hit the fault server
while ``/api/items`` misbehaves differently each run.  Only ``ForensicsCapability`` and
``integrations.http`` record anything.  Then ``check``, ``postmortem`` and ``patterns`` must
report what happened.  The same scenario then runs through the MCP proxy with the real SDK.
Both roots are built once per session (``conftest``, ``e2e_roots``); ``test_e2e_tui`` opens the
TUI over the same roots.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import cli

from .conftest import read_fixtures
from .scenario import RUNS

pytestmark = pytest.mark.slow


def _cli(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _check(root: Path, run_id: str) -> tuple[int, list[dict[str, Any]]]:
    result = _cli("check", "--dir", str(root), "--json", run_id)
    data = json.loads(result.output)
    return result.exit_code, [f for run in data["runs"] for f in run["findings"]]


def _kinds(findings: list[dict[str, Any]], tool: str) -> set[str]:
    return {f["kind"] for f in findings if f.get("tool") == tool}


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
    # The tool call and its own HTTP exchange fail for one reason: one cause, on the tool, with
    # the exchange's specific kind (the 401 is auth, the 429 rate_limited).
    items = "http GET 127.0.0.1/api/items"
    code, findings = _check(agent_root, "run-04")
    assert code == 1 and _kinds(findings, "list_items") == {"auth"}
    assert _kinds(findings, items) == set()
    code, findings = _check(agent_root, "run-05")
    assert code == 1 and _kinds(findings, "list_items") == {"rate_limited"}
    assert _kinds(findings, items) == set()
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


def test_same_scenario_through_the_mcp_proxy(mcp_root: Path) -> None:
    root = mcp_root
    assert _check(root, "run-01")[0] == 0
    code, findings = _check(root, "run-02")
    assert code == 1 and "auth_expiry" in _kinds(findings, "fetch_items")
    code, findings = _check(root, "run-03")
    # The server said "upstream timeout" through a masking MCP error: classified as a timeout.
    assert code == 1 and "timeout" in _kinds(findings, "fetch_items")
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
