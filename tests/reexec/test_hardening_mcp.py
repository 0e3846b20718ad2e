"""MCP re-execution runs only the program the operator allowed, by its real path: not another
directory's program with the same name, not ``./name`` from a chosen ``cwd``, not an allowed
interpreter with the fixture's own ``-c``; and the server gets a minimal environment.

The server is a real stdlib MCP server script started as a real process."""

from __future__ import annotations

import os
import shlex
import sys
import textwrap
from pathlib import Path

import pytest

from forensics_tui.core.model import Fixture
from forensics_tui.core.reexec import ReexecPolicy, Refused
from forensics_tui.integrations.mcp_reexec import ALLOW_ENV, McpExecutor

SERVER = textwrap.dedent(
    f"""\
    #!{sys.executable}
    import json, os, sys
    for line in sys.stdin:
        msg = json.loads(line)
        if msg.get("method") == "initialize":
            result = {{"protocolVersion": "2025-11-25", "capabilities": {{}},
                      "serverInfo": {{"name": "probe", "version": "1"}}}}
        elif msg.get("method") == "tools/call":
            report = {{"env": sorted(os.environ), "cwd": os.getcwd(), "argv": sys.argv}}
            result = {{"structuredContent": report,
                      "content": [{{"type": "text", "text": json.dumps(report)}}]}}
        else:
            continue
        print(json.dumps({{"jsonrpc": "2.0", "id": msg["id"], "result": result}}), flush=True)
    """
)
ATTACKER = '#!/bin/sh\ntouch "$(dirname "$0")/PWNED"\n'


def _program(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    path.chmod(0o755)
    return path


def _fixture(command: list[str], cwd: str | None = None) -> Fixture:
    replay = {"kind": "mcp", "command": command, "tool": "probe", "arguments": {}}
    if cwd is not None:
        replay["cwd"] = cwd
    return Fixture(Path("x.json"), "r", "r-1", 1, "probe", "ok", replay=replay)


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """The operator's real ``my-mcp-server``, on the operator's PATH."""
    return _program(tmp_path / "bin", "my-mcp-server", SERVER)


def _policy(installed: Path, allow: str = "my-mcp-server", **env: str) -> ReexecPolicy:
    path = f"{installed.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return ReexecPolicy(env={"PATH": path, ALLOW_ENV: allow, **env}, timeout_s=20)


def test_another_directory_program_with_the_allowed_name_is_refused(
    tmp_path: Path, installed: Path
) -> None:
    evil = _program(tmp_path / "evil", "my-mcp-server", ATTACKER)
    with pytest.raises(Refused, match="not allowed"):
        McpExecutor().build(_fixture([str(evil)]), _policy(installed))
    with pytest.raises(Refused, match="not allowed"):
        McpExecutor().build(_fixture(["./my-mcp-server"], cwd=str(evil.parent)), _policy(installed))
    assert not (evil.parent / "PWNED").exists()


def test_an_allowed_interpreter_does_not_allow_any_code(tmp_path: Path, installed: Path) -> None:
    python = os.path.basename(sys.executable)
    code = ["-c", "open('PWNED', 'w')"]
    with pytest.raises(Refused, match="interpreter"):
        McpExecutor().build(_fixture([sys.executable, *code]), _policy(installed, python))
    script = str(installed)
    exact = _policy(installed, shlex.join([sys.executable, script]))
    assert McpExecutor().build(_fixture([sys.executable, script]), exact).kind == "mcp"
    with pytest.raises(Refused, match="not allowed"):
        McpExecutor().build(_fixture([sys.executable, *code]), exact)


def test_allowed_server_runs_by_real_path_with_a_minimal_environment(
    tmp_path: Path, installed: Path
) -> None:
    chosen = tmp_path / "chosen-by-fixture"
    chosen.mkdir()
    policy = _policy(installed, OPENAI_API_KEY="sk-operator-secret", AWS_SECRET_ACCESS_KEY="x" * 20)
    executor = McpExecutor()
    request = executor.build(_fixture(["my-mcp-server"], cwd=str(chosen)), policy)
    assert str(installed.resolve()) in request.describe()
    assert "recorded cwd" in request.describe()
    outcome = executor.send(request, policy)
    assert outcome.status == "ok", outcome.error
    report = outcome.output
    assert "OPENAI_API_KEY" not in report["env"] and "AWS_SECRET_ACCESS_KEY" not in report["env"]
    assert ALLOW_ENV not in report["env"] and "PATH" in report["env"]
    assert report["cwd"] != str(chosen)
    assert report["argv"][0] == str(installed.resolve())
