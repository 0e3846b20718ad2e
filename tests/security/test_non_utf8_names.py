"""Run and file names that are not UTF-8 decode to lone surrogates (``\\udcff``); printing one
to a UTF-8 stream raises ``UnicodeEncodeError``, so a single badly named directory took down
``runs``, ``tail``, ``patterns``, ``check`` and ``postmortem``.

Bug: ``forensics_tui/capture/sanitize.py`` does not escape U+D800..U+DFFF.  Proposed fix: add
``\\ud800-\\udfff`` to both ``_UNSAFE`` and ``_UNSAFE_KEEP_NL`` (``_escape`` already renders them
as ``\\udcff``).  Fixed: the sanitiser escapes surrogates.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import cli
from forensics_tui.core.sanitize import safe_line, safe_text
from tests.security.hostile import assert_ascii_json, assert_terminal_safe, build_hostile_root

REPO = Path(__file__).resolve().parents[2]
RAW_RUN = os.fsdecode(b"20260405_000000_bad\xff\x9b")
SANITIZE_BUG = "capture/sanitize.py leaves lone surrogates (non-UTF-8 names) unescaped"


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_hostile_root(tmp_path_factory.mktemp("raw") / "root", raw_names=True).root


def test_safe_text_escapes_lone_surrogates() -> None:
    assert safe_text("a\udcff\ud800b") == "a\\udcff\\ud800b"
    assert safe_line("\udcff").encode("utf-8")


TEXT_COMMANDS = [
    ["runs"],
    ["tail", "--once"],
    ["patterns"],
    ["check", RAW_RUN],
    ["postmortem", RAW_RUN],
]


@pytest.mark.parametrize("args", TEXT_COMMANDS, ids=[a[0] for a in TEXT_COMMANDS])
def test_text_output_with_non_utf8_names(args: list[str], raw_root: Path) -> None:
    result = CliRunner().invoke(cli, [args[0], "--dir", str(raw_root), *args[1:]])
    assert not isinstance(result.exception, UnicodeError), repr(result.exception)
    assert_terminal_safe(result.output, args[0])
    result.output.encode("utf-8")


@pytest.mark.parametrize(
    "args", [["runs", "--json"], ["tail", "--once", "--json"], ["patterns", "--json"]]
)
def test_json_output_with_non_utf8_names(args: list[str], raw_root: Path) -> None:
    result = CliRunner().invoke(cli, [args[0], "--dir", str(raw_root), *args[1:]])
    assert result.exit_code == 0, result.output
    if args[0] == "tail":
        for line in result.stdout.splitlines():
            assert_ascii_json(line)
    else:
        assert_ascii_json(result.stdout)


def test_replay_with_non_utf8_names(raw_root: Path) -> None:
    result = CliRunner().invoke(cli, ["replay", "--dir", str(raw_root), RAW_RUN])
    assert result.exit_code == 0, result.output
    assert_terminal_safe(result.output)


def test_runs_subprocess_with_non_utf8_names(raw_root: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "forensics_tui.cli.main", "runs", "--dir", str(raw_root)],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert b"20260405_000000_bad\\udcff\\udc9b" in proc.stdout
