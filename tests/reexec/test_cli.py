"""``forensics-tui reexec`` through CliRunner: what is shown, what is sent, exit codes, JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from forensics_tui.cli.main import cli
from forensics_tui.core.reexec import AUDIT_FILE

from .conftest import SECRET, LocalServer, all_bytes_under, http_replay, make_fixture

CALL_ID = "20260303_090000-000001"


def _invoke(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    base = {
        "FORENSICS_CONFIG": str(root.parent / "no-config.toml"),
        "FORENSICS_SECRET_AUTHORIZATION": f"Bearer {SECRET}",
        "FORENSICS_REEXEC_ALLOW_HOSTS": "",
        "FORENSICS_FIXTURE_DIR": "",
    }
    return CliRunner().invoke(
        cli, ["reexec", *args, "--dir", str(root)], env={**base, **(env or {})}
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "fixtures"


def _original(root: Path, url: str, **kw: Any) -> Path:
    return make_fixture(
        root, replay=http_replay(url, **kw), redacted=["replay.headers.Authorization"]
    )


def test_dry_run_shows_the_request_and_sends_nothing(root: Path, server: LocalServer) -> None:
    path = _original(root, server.url("/ok"), method="POST", json={"a": 1})
    result = _invoke(root, str(path), "--dry-run", "--allow-host", "127.0.0.1")
    assert result.exit_code == 0, result.output
    assert f"POST {server.url('/ok')}" in result.stdout
    assert "<secret $FORENSICS_SECRET_AUTHORIZATION>" in result.stdout
    assert "curl " in result.stdout and '"${FORENSICS_SECRET_AUTHORIZATION}"' in result.stdout
    assert "NOT idempotent" in result.stdout
    assert "nothing sent" in result.stderr
    assert SECRET not in result.output
    assert server.requests == []


def test_yes_sends_records_and_reports(root: Path, server: LocalServer) -> None:
    path = _original(root, server.url("/401"))
    before = path.read_bytes(), path.stat().st_mtime_ns
    result = _invoke(root, str(path), "--yes", "--allow-host", f"127.0.0.1:{server.port}")
    assert result.exit_code == 1, result.output  # sent and recorded, but the call failed
    assert len(server.requests) == 1
    assert "sent: ✗ error (HTTPStatusError: 401 Unauthorized)" in result.stdout
    assert "new call " in result.stdout and "vs original:" in result.stdout
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert SECRET.encode() not in all_bytes_under(root)
    assert (root / AUDIT_FILE).exists()


def test_without_a_terminal_nothing_is_sent(root: Path, server: LocalServer) -> None:
    path = _original(root, server.url("/ok"))
    result = _invoke(root, str(path), "--allow-host", "127.0.0.1")
    assert result.exit_code == 1
    assert f"GET {server.url('/ok')}" in result.stdout  # the request is still shown
    assert "not a terminal" in result.stderr and "--yes" in result.stderr
    assert server.requests == []
    assert not (root / AUDIT_FILE).exists()


def test_json_shape(root: Path, server: LocalServer) -> None:
    path = _original(root, server.url("/ok"))
    result = _invoke(root, str(path), "--yes", "--json", "--allow-host", "127.0.0.1")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"sent", "request", "original_call_id", "new_call_id", "status", "diff"} <= set(data)
    assert data["sent"] is True and data["status"] == "ok"
    assert data["original_call_id"] == CALL_ID
    assert data["new_call_id"].endswith("-000001") and data["new_call_id"] != CALL_ID
    assert data["request"]["method"] == "GET"
    assert data["request"]["secrets"][0]["env"] == "FORENSICS_SECRET_AUTHORIZATION"
    assert isinstance(data["diff"]["verdict"], str)
    assert SECRET not in result.stdout


def test_json_dry_run(root: Path, server: LocalServer) -> None:
    path = _original(root, server.url("/ok"))
    result = _invoke(root, str(path), "--dry-run", "--json", "--allow-host", "127.0.0.1")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["sent"] is False and data["status"] == "dry_run" and data["new_call_id"] is None
    assert server.requests == []


@pytest.mark.parametrize(
    ("url", "args", "env", "reason"),
    [
        ("/ok", [], {}, "not on the allowlist"),
        ("/ok", ["--allow-host", "127.0.0.1"], {"FORENSICS_SECRET_AUTHORIZATION": ""}, "not set"),
        ("http://169.254.169.254/latest/", ["--allow-host", "*"], {}, "metadata"),
        ("ftp://127.0.0.1/x", ["--allow-host", "127.0.0.1"], {}, "scheme"),
    ],
)
def test_refusals_exit_1_with_the_reason(
    root: Path, server: LocalServer, url: str, args: list[str], env: dict[str, str], reason: str
) -> None:
    path = _original(root, server.url(url) if url.startswith("/") else url)
    result = _invoke(root, str(path), "--yes", *args, env=env)
    assert result.exit_code == 1
    assert reason in result.stderr
    assert "Traceback" not in result.output
    assert server.requests == []
    as_json = _invoke(root, str(path), "--yes", "--json", *args, env=env)
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["status"] == "refused"


def test_allow_hosts_from_the_environment(root: Path, server: LocalServer) -> None:
    path = _original(root, server.url("/ok"))
    env = {"FORENSICS_REEXEC_ALLOW_HOSTS": f"example.org,127.0.0.1:{server.port}"}
    result = _invoke(root, str(path), "--yes", env=env)
    assert result.exit_code == 0, result.output
    assert len(server.requests) == 1


def test_secret_mapping_from_the_config_file(root: Path, server: LocalServer) -> None:
    path = _original(root, server.url("/ok"))
    config = root.parent / "config.toml"
    config.write_text(
        '[reexec]\nallow_hosts = ["127.0.0.1"]\n'
        '[reexec.secrets]\n"replay.headers.Authorization" = "NOTIFY_TOKEN"\n'
    )
    env = {"FORENSICS_CONFIG": str(config), "NOTIFY_TOKEN": "Bearer mapped-1"}
    result = _invoke(root, str(path), "--yes", env=env)
    assert result.exit_code == 0, result.output
    assert server.requests[0].headers["Authorization"] == "Bearer mapped-1"


def test_timeout_option(root: Path, server: LocalServer) -> None:
    path = _original(root, server.url("/slow"))
    result = _invoke(
        root, str(path), "--yes", "--json", "--timeout", "0.3", "--allow-host", "127.0.0.1"
    )
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["status"] == "timeout"


def test_usage_errors(root: Path, server: LocalServer) -> None:
    path = _original(root, server.url("/ok"))
    assert _invoke(root, str(path), "--dry-run", "--yes").exit_code == 2
    missing = _invoke(root, str(root / "nope.json"), "--dry-run")
    assert missing.exit_code == 1 and "no fixture file or call id" in missing.stderr
    assert "Traceback" not in missing.output


def test_mcp_kind_is_known_to_the_cli_and_refused_by_default(root: Path) -> None:
    replay = {"kind": "mcp", "command": ["some-mcp-server"], "tool": "t", "arguments": {}}
    path = make_fixture(root, replay=replay)
    result = _invoke(root, str(path), "--dry-run", env={"FORENSICS_REEXEC_MCP_COMMANDS": ""})
    assert result.exit_code == 1
    assert "unknown replay kind" not in result.stderr
    assert "not allowed" in result.stderr
