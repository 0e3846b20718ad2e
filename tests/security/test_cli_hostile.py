"""Every CLI command over the hostile root: sane exit, no raw control/bidi character, markup
shown literally, JSON ASCII-escaped, Markdown that hostile text cannot break out of.

Each command runs twice: in-process through ``CliRunner`` and as a real subprocess writing to a
pipe (no pty), where the bytes themselves are checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import cli
from tests.security.hostile import (
    HostileRoot,
    assert_ascii_json,
    assert_terminal_safe,
    build_hostile_root,
)

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[HostileRoot], list[str]]
    codes: tuple[int, ...] = (0,)
    json: str | None = None  # "doc" (one document) or "lines" (JSON lines)
    literal: str | None = None  # markup that must appear as-is


CASES = [
    Case("runs", lambda h: ["runs"], literal="[bold red]x[/]"),
    Case("runs-json", lambda h: ["runs", "--json"], json="doc"),
    Case("tail", lambda h: ["tail", "--once"], literal="[@click=app.quit]q[/]"),
    Case("tail-json", lambda h: ["tail", "--once", "--json"], json="lines"),
    Case(
        "replay", lambda h: ["replay", h.newest_run], literal="[link=file:///etc/passwd]pw[/link]"
    ),
    Case("replay-legacy", lambda h: ["replay", next(h.root.glob("legacy*")).name]),
    Case("check-default", lambda h: ["check"], codes=(1,)),
    Case("check", lambda h: ["check", h.newest_run], codes=(1,), literal="[bold red]x[/]"),
    Case("check-json", lambda h: ["check", "--json", h.newest_run], codes=(1,), json="doc"),
    Case("patterns", lambda h: ["patterns"], literal="[@click=app.quit]q[/]"),
    Case("patterns-json", lambda h: ["patterns", "--json"], json="doc"),
    Case("postmortem-md", lambda h: ["postmortem", h.newest_run], literal="[@click=app.quit]q[/]"),
    Case("postmortem-default", lambda h: ["postmortem"]),
    Case("postmortem-json", lambda h: ["postmortem", h.newest_run, "--format", "json"], json="doc"),
    Case(
        "diff",
        lambda h: ["diff", "--run", h.newest_run, "--tool", h.hostile_tool],
        literal="[link=file:///etc/passwd]pw[/link]",
    ),
    Case(
        "diff-json",
        lambda h: ["diff", "--run", h.newest_run, "--tool", h.hostile_tool, "--json"],
        json="doc",
    ),
    Case(
        "reexec-dry-run",
        lambda h: ["reexec", "--allow-host", "127.0.0.1", "--dry-run", str(h.fixture_with_replay)],
        literal="[bold red]x[/]",
    ),
    Case(
        "reexec-dry-run-json",
        lambda h: [
            "reexec",
            "--allow-host",
            "127.0.0.1",
            "--dry-run",
            "--json",
            str(h.fixture_with_replay),
        ],
        json="doc",
    ),
    Case("reexec-refused", lambda h: ["reexec", "--dry-run", str(h.fixture_with_replay)], (1,)),
    Case("unknown-run", lambda h: ["postmortem", h.newest_run + "\x1b]0;x\x07"], codes=(2,)),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileRoot:
    return build_hostile_root(tmp_path_factory.mktemp("hostile") / "root", big=True)


def _argv(case: Case, h: HostileRoot) -> list[str]:
    args = case.args(h)
    return [args[0], "--dir", str(h.root), *args[1:]]


def _env(tmp: Path) -> dict[str, str]:
    return {
        "COLUMNS": "250",
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "FORENSICS_REEXEC_ALLOW_HOSTS": "",
    }


def _check_stdout(case: Case, stdout: str) -> None:
    assert_terminal_safe(stdout, case.name)
    if case.json == "doc":
        assert_ascii_json(stdout, case.name)
    elif case.json == "lines":
        lines = stdout.splitlines()
        assert lines
        for line in lines:
            assert_ascii_json(line, case.name)
    if case.literal is not None:
        assert case.literal in stdout, f"{case.name}: markup not shown literally"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli_runner(case: Case, hostile: HostileRoot, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, _argv(case, hostile), env=_env(tmp_path))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in case.codes, result.output
    _check_stdout(case, result.stdout)
    assert_terminal_safe(result.stderr, case.name + " (stderr)")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_subprocess_pipe(case: Case, hostile: HostileRoot, tmp_path: Path) -> None:
    env = {**os.environ, **_env(tmp_path), "PYTHONPATH": str(REPO)}
    env.pop("FORENSICS_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "forensics_tui.cli.main", *_argv(case, hostile)],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode in case.codes, proc.stderr.decode("utf-8", "replace")[-2000:]
    for name, data in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        assert b"\x1b" not in data and b"\x07" not in data and b"\r" not in data, name
        text = data.decode("utf-8")  # strict: no stray C1 byte, no encoded surrogate
        if name == "stdout":
            _check_stdout(case, text)
        else:
            assert_terminal_safe(text, f"{case.name} ({name})")


def test_postmortem_to_file_and_markdown_cannot_break_out(
    hostile: HostileRoot, tmp_path: Path
) -> None:
    out = tmp_path / "pm.md"
    argv = ["postmortem", "--dir", str(hostile.root), hostile.newest_run, "-o", str(out)]
    result = CliRunner().invoke(cli, argv, env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert_terminal_safe(result.output)
    text = out.read_text(encoding="utf-8")
    assert_terminal_safe(text, "pm.md")
    assert "injected heading" in text  # the hostile input is in the report...
    _assert_markdown_contained(text)  # ...but only inside code


def _assert_markdown_contained(text: str) -> None:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    allowed_headings = (
        "Post-mortem",
        "Tool-call chain",
        "First failure",
        "Input",
        "Output",
        "Diff",
        "Findings",
        "Onset",
        "Re-executions",
        "Recurring failure",
    )
    tokens = md.parse(text)
    for i, token in enumerate(tokens):
        assert token.type not in ("html_block", "html_inline"), token
        if token.type == "heading_open":
            heading = tokens[i + 1].content
            assert heading.startswith(allowed_headings), f"injected heading {heading!r}"
        for child in token.children or []:
            assert child.type not in ("html_inline",), child
            if child.type == "text":
                for marker in ("<script", "@everyone", "[bold", "[@click", "[link=", "evil."):
                    assert marker not in child.content, f"{marker!r} outside code: {child}"


def test_accept_on_hostile_run(tmp_path: Path) -> None:
    h = build_hostile_root(tmp_path / "root")
    argv = ["accept", "--dir", str(h.root), h.newest_run]
    result = CliRunner().invoke(cli, argv, env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert_terminal_safe(result.output, "accept")
    again = CliRunner().invoke(cli, ["check", "--dir", str(h.root), "--json", h.newest_run])
    assert_ascii_json(again.stdout, "check after accept")


def test_nothing_outside_the_root_is_read(hostile: HostileRoot, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["tail", "--once", "--json", "--dir", str(hostile.root)], env=_env(tmp_path)
    )
    calls = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {Path(c.get("path") or "").name: c for c in calls if c["status"] == "broken"}
    assert "symlink outside the root" in by_name["000010_passwd.json"]["error"]
    assert "not a regular file" in by_name["000006_fifo.json"]["error"]
    assert "not a regular file" in by_name["000009_x.json"]["error"]
    assert not any(c["run_id"] == "20260410_linked" and c["status"] != "broken" for c in calls)
