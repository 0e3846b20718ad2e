"""Smoke test in a real terminal: ``forensics-tui`` under tmux at 80x24, driven by send-keys."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus"

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Tmux:
    def __init__(self, command: str, cols: int = 80, rows: int = 24) -> None:
        self.name = f"ftui-{uuid.uuid4().hex[:8]}"
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                str(cols),
                "-y",
                str(rows),
                command,
            ],
            check=True,
        )

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)
            if key == "Escape":
                # a lone ESC followed at once by a key reads as Alt+key: keep them apart
                time.sleep(0.3)

    def screen(self) -> str:
        out = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        )
        return out.stdout

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not on screen:\n{screen}")

    def alive(self) -> bool:
        return subprocess.run(["tmux", "has-session", "-t", self.name]).returncode == 0

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def test_tmux_80x24_navigate_filter_help_quit(tmp_path: Path) -> None:
    root = tmp_path / "v1"
    shutil.copytree(CORPUS / "v1", root)
    env = f"PYTHONPATH={ROOT} XDG_CONFIG_HOME={tmp_path / 'cfg'} TERM=xterm-256color"
    command = f"cd {ROOT} && env {env} {sys.executable} -m forensics_tui --dir {root}"
    tmux = Tmux(command)
    try:
        screen = tmux.wait_for("20260308_090000")
        assert "crm_lookup" in screen
        assert "Runs" in screen and "Calls" in screen
        tmux.wait_for("#1")  # the detail of the first call: the app has settled on its run
        tmux.keys("G")
        tmux.wait_for("#5")  # the cursor really moved (post_reply is visible from the start)
        tmux.keys("Enter", "3")
        tmux.wait_for("503")
        tmux.keys("Escape", "a", "x")
        screen = tmux.wait_for("3/40 calls")
        assert screen.count("✗") >= 3
        tmux.keys("?")
        tmux.wait_for("next-failure")
        tmux.keys("Escape", "q")
        deadline = time.monotonic() + 10
        while tmux.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not tmux.alive(), "q did not quit the app"
    finally:
        tmux.kill()


def test_tmux_no_color(tmp_path: Path) -> None:
    root = tmp_path / "bad"
    shutil.copytree(CORPUS / "bad", root)
    env = f"PYTHONPATH={ROOT} XDG_CONFIG_HOME={tmp_path / 'cfg'} NO_COLOR=1 TERM=xterm"
    command = f"cd {ROOT} && env {env} {sys.executable} -m forensics_tui --dir {root}"
    tmux = Tmux(command)
    try:
        screen = tmux.wait_for("000002_trunc")
        assert "fetch\\u202e" in screen
        assert "\u202e" not in screen
        tmux.keys("j", "3")
        tmux.wait_for("truncated JSON")
    finally:
        tmux.kill()


def _sgr_before(line: str, glyph: str) -> str:
    """The SGR parameters in effect where ``glyph`` is drawn on a ``capture-pane -e`` line."""
    import re

    index = line.index(glyph)
    params: list[str] = []
    for match in re.finditer(r"\x1b\[([0-9;]*)m", line[:index]):
        if match.group(1) in ("", "0"):
            params = []
        else:
            params.extend(match.group(1).split(";"))
    return ";".join(params)


def test_tmux_no_color_failures_are_the_most_visible(tmp_path: Path) -> None:
    root = tmp_path / "v1"
    shutil.copytree(CORPUS / "v1", root)
    env = f"PYTHONPATH={ROOT} XDG_CONFIG_HOME={tmp_path / 'cfg'} NO_COLOR=1 TERM=xterm-256color"
    command = f"cd {ROOT} && env {env} {sys.executable} -m forensics_tui --dir {root}"
    tmux = Tmux(command, cols=100, rows=30)
    try:
        tmux.wait_for("post_reply")
        out = subprocess.run(
            ["tmux", "capture-pane", "-e", "-p", "-t", tmux.name], capture_output=True, text=True
        ).stdout
        failed = next(line for line in out.splitlines() if "post_reply" in line and "✗" in line)
        ok = next(line for line in out.splitlines() if "crm_lookup" in line and "✓" in line)
        calls_part = failed[failed.rindex("│", 0, failed.index("post_reply")) :]
        fail_sgr = _sgr_before(calls_part, "✗").split(";")
        ok_sgr = _sgr_before(ok[ok.rindex("│", 0, ok.index("crm_lookup")) :], "✓").split(";")
        assert "7" in fail_sgr and "1" in fail_sgr  # reversed and bold
        assert "2" not in fail_sgr  # never dim
        greys = [int(fail_sgr[i + 2]) for i, p in enumerate(fail_sgr[:-2]) if p == "38"]
        assert all(g >= 250 for g in greys), fail_sgr  # no dark grey: the brightest it has
        assert "7" not in ok_sgr
    finally:
        tmux.kill()


def test_tmux_payload_opens_in_the_pager_and_the_app_comes_back(tmp_path: Path) -> None:
    root = tmp_path / "v1"
    shutil.copytree(CORPUS / "v1", root)
    seen = tmp_path / "seen.json"
    pager = tmp_path / "pager.sh"
    pager.write_text(f'#!/bin/sh\ncp "$1" {seen}\n', encoding="utf-8")
    pager.chmod(0o700)
    env = f"PYTHONPATH={ROOT} XDG_CONFIG_HOME={tmp_path / 'cfg'} TERM=xterm-256color PAGER={pager}"
    command = f"cd {ROOT} && env {env} {sys.executable} -m forensics_tui --dir {root}"
    tmux = Tmux(command)
    try:
        tmux.wait_for("#1")
        tmux.keys("v")
        deadline = time.monotonic() + 15
        while not seen.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert '"customer": "C-1042"' in seen.read_text(encoding="utf-8")
        tmux.wait_for("crm_lookup")  # the app is drawn again after the pager exits
        tmux.keys("q")
        deadline = time.monotonic() + 10
        while tmux.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not tmux.alive()
    finally:
        tmux.kill()


def test_tmux_demo_live_row_turns_final_on_screen(tmp_path: Path) -> None:
    """The demo's live run: the pending ``send_notification`` row is repainted as failed in
    the terminal itself (a partial repaint once left it drawn ◌ while the run showed ✗1)."""
    env = f"PYTHONPATH={ROOT} XDG_CONFIG_HOME={tmp_path / 'cfg'} TERM=xterm-256color"
    command = (
        f"cd {tmp_path} && env {env} {sys.executable} -m forensics_tui demo "
        f"--dir {tmp_path / 'demo'} --think 0.3"
    )
    tmux = Tmux(command, cols=120, rows=36)
    try:
        screen = tmux.wait_for("◌ send_notification", timeout=40)
        screen = tmux.wait_for("✗ send_notification", timeout=20)
        time.sleep(1.0)  # nothing repaints it back
        screen = tmux.screen()
        assert "◌ send_notification" not in screen, screen
    finally:
        tmux.kill()
