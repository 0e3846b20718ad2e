"""Options every command shares: ``--dir`` given to the group reaches every subcommand (and wins
over ``$FORENSICS_FIXTURE_DIR``), and ``-h`` works on each of them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import COMMANDS, cli

MISSING_ROOT = "no fixture root at {root} (set --dir or $FORENSICS_FIXTURE_DIR)"

# A stand-in MCP server: answers every request with an empty result.
ECHO_SERVER = (
    "import json, sys\n"
    "for line in sys.stdin:\n"
    "    m = json.loads(line)\n"
    "    print(json.dumps({'jsonrpc': '2.0', 'id': m['id'], 'result': {'content': []}}),"
    " flush=True)\n"
)
TOOLS_CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "add", "arguments": {"a": 1, "b": 2}},
}


def _otlp_export(tmp_path: Path) -> list[str]:
    span = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "aaaaaaaaaaaaaaaa",
        "name": "execute_tool lookup",
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000250000000",
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}},
            {"key": "gen_ai.tool.name", "value": {"stringValue": "lookup"}},
        ],
    }
    export = tmp_path / "traces.json"
    export.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}))
    return [str(export)]


def _has_runs(root: Path) -> bool:
    return root.is_dir() and any(p.is_dir() for p in root.iterdir())


# name -> (arguments after the name, does the command need the root to exist already)
CASES: dict[str, tuple[Callable[[Path], list[str]], bool]] = {
    "accept": (lambda tmp: ["r1"], True),
    "check": (lambda tmp: [], True),
    "compare": (lambda tmp: ["r1"], True),
    "history": (lambda tmp: ["x"], True),
    "export-test": (lambda tmp: ["some-call-id"], True),
    "export-dataset": (lambda tmp: [], True),
    "watch": (lambda tmp: ["--alert", "http://127.0.0.1:9/hook", "--once"], True),
    "diff": (lambda tmp: ["--tool", "x"], True),
    "patterns": (lambda tmp: [], True),
    "postmortem": (lambda tmp: [], True),
    "reexec": (lambda tmp: ["some-call-id", "--dry-run"], True),
    "replay": (lambda tmp: ["r1"], True),
    "runs": (lambda tmp: [], True),
    "tail": (lambda tmp: ["--once"], True),
    "demo": (lambda tmp: ["--no-tui", "--think", "0"], False),
    "import-otlp": (_otlp_export, False),
    "mcp-proxy": (lambda tmp: ["--", sys.executable, "-c", ECHO_SERVER], False),
}


def test_every_command_is_covered() -> None:
    # ship and pull need a NATS server: tests/fleet covers their --dir
    assert set(CASES) | {"init-ci", "ship", "pull"} == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_group_dir_reaches_the_command(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (
        "FORENSICS_REEXEC_ALLOW_HOSTS",
        "FORENSICS_SECRET_AUTHORIZATION",
        "FORENSICS_RUN_ID",
    ):
        monkeypatch.delenv(var, raising=False)  # the demo sets the first two for its process
    elsewhere = tmp_path / "from-env"
    elsewhere.mkdir()
    root = tmp_path / "from-group"
    make_args, needs_root = CASES[name]
    stdin = json.dumps(TOOLS_CALL) + "\n" if name == "mcp-proxy" else None
    result = CliRunner().invoke(
        cli,
        ["--dir", str(root), name, *make_args(tmp_path)],
        env={"FORENSICS_FIXTURE_DIR": str(elsewhere)},
        input=stdin,
    )
    assert "Traceback" not in result.output
    if needs_root:  # the root named on the group is the one looked for
        assert result.exit_code == 2, result.output
        assert result.output.strip().splitlines() == [
            f"forensics-tui: {MISSING_ROOT.format(root=root)}"
        ]
    else:  # the root named on the group is the one written to
        assert result.exit_code == 0, result.output
        assert _has_runs(root)
    assert not _has_runs(elsewhere)


def test_group_dir_reaches_init_ci(tmp_path: Path) -> None:
    spec = ["--install-spec", "forensics-tui==0.1.0"]  # this checkout is outside tmp_path
    args = ["--dir", "recorded/fixtures", "init-ci", "--path", str(tmp_path), *spec]
    result = CliRunner().invoke(cli, args, env={"FORENSICS_FIXTURE_DIR": "/elsewhere"})
    assert result.exit_code == 0, result.output
    workflow = (tmp_path / ".github/workflows/forensics.yml").read_text()
    assert "FORENSICS_FIXTURE_DIR: recorded/fixtures" in workflow
    own = CliRunner().invoke(
        cli,
        ["--dir", "ignored", "init-ci", "--dir", "mine", "--path", str(tmp_path), "--force", *spec],
    )
    assert own.exit_code == 0, own.output
    assert (
        "FORENSICS_FIXTURE_DIR: mine" in (tmp_path / ".github/workflows/forensics.yml").read_text()
    )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_short_help_on_every_command(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "-h"], prog_name="forensics-tui")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: forensics-tui {name} ")
    assert "--dir" in result.output
