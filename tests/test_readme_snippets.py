"""Every ``python`` block of README.md runs as written, and its ``--json`` claims hold.

Each block is run on its own by a fresh interpreter in a temporary directory, with
``FORENSICS_FIXTURE_DIR`` pointing at a copy of the v1 corpus, so a snippet that uses a name it
never defines, or an API that does not exist, fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics_tui.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```", README, flags=re.S | re.M)


def _name(block: str) -> str:
    first = next((line for line in block.splitlines() if line.startswith(("from", "import"))), "")
    return re.sub(r"\W+", "_", first)[:60]


def test_the_readme_has_python_snippets() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("block", BLOCKS, ids=[_name(b) for b in BLOCKS])
def test_snippet_runs_as_written(block: str, tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures"
    shutil.copytree(ROOT / "tests" / "data" / "corpus" / "v1", fixtures)
    script = tmp_path / "snippet.py"
    script.write_text(block, encoding="utf-8")
    env = {
        **os.environ,
        "FORENSICS_FIXTURE_DIR": str(fixtures),
        "PYTHONPATH": str(ROOT),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "OPENAI_API_KEY": "",  # nothing here may reach a real model
    }
    env.pop("FORENSICS_RUN_ID", None)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{block}\n--- stderr ---\n{done.stderr[-3000:]}"


def test_commands_said_to_print_json_do() -> None:
    line = next(line for line in README.splitlines() if "print JSON" in line)
    claimed = re.findall(r"`(\w+)`", line)
    assert claimed
    runner = CliRunner()
    for command in claimed:
        text = runner.invoke(cli, [command, "--help"]).output
        if command == "replay":
            assert "--json" not in text  # the README says it prints a readable chain
        else:
            assert "--json" in text or "json" in text.split("--format")[-1], command
