"""Terminal safety at the byte level: the real app in a pseudo-terminal over the hostile corpus.

Every byte the app writes is captured while we walk every call and every detail tab; none of the
fixture's own control sequences may appear (Textual's own escape codes of course do).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus" / "bad"

# Sequences that only the hostile fixture could produce (000001_fetch.json and friends).
FORBIDDEN: dict[str, bytes] = {
    "OSC 52 clipboard write": b"\x1b]52;c;aGk=",
    "OSC 0 title change": b"\x1b]0;owned",
    "OSC 8 hyperlink": b"\x1b]8;;http://evil",
    "clear screen from payload": b"\x1b[2J\x1b[Hcleared",
    "raw carriage return from payload": b"fine\rEVIL",
    "bidi override U+202E": "\u202e".encode(),
    "C1 CSI (UTF-8)": "\u009b".encode(),
    "C1 CSI (8-bit)": b"\x9b31mred",
}


class PtyApp:
    """The forensics-tui process on a pty of a given size, with every output byte recorded."""

    def __init__(self, root: Path, cols: int = 120, rows: int = 36) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "PYTHONPATH": str(ROOT),
            "XDG_CONFIG_HOME": str(root.parent / "config"),
        }
        env.pop("NO_COLOR", None)
        env.pop("FORENSICS_FIXTURE_DIR", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "forensics_tui", "--dir", str(root)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.output.extend(chunk)

    def size(self) -> int:
        with self._lock:
            return len(self.output)

    def wait_for(self, needle: bytes, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if needle in self.output:
                    return
            if self.proc.poll() is not None:
                raise AssertionError(f"app exited early with {self.proc.returncode}")
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} never appeared")

    def settle(self, quiet: float = 0.15, timeout: float = 10.0) -> None:
        """Wait until the app has stopped writing for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        last, since = self.size(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.03)
            now = self.size()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, key.encode())
            self.settle()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.write(self.master, b"q")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=10)
        os.close(self.master)


@pytest.fixture
def hostile_root(tmp_path: Path) -> Path:
    target = tmp_path / "bad"
    shutil.copytree(CORPUS, target)
    return target


def test_no_fixture_control_sequence_reaches_the_terminal(hostile_root: Path) -> None:
    app = PtyApp(hostile_root)
    try:
        app.wait_for(b"000002_truncated")
        app.settle(0.5)
        rows = 8
        app.press("g")
        for _ in range(rows):
            app.press("\r")  # Enter: into the detail pane
            for tab in "12345":
                app.press(tab)
            app.press("t", "t")  # tree view and back
            app.press("\x1b")  # Esc: back to the calls
            app.settle(0.2)
            app.press("j")
        app.press("a", "/", "[/] [@click=app.quit]", "\r", "c")
        app.press("?")
        app.press("\x1b")
        assert app.proc.poll() is None, "the app exited: markup in a fixture ran an action"
    finally:
        app.close()
    data = bytes(app.output)
    assert b"exe.txt" in data  # the hostile tool name was on screen, escaped
    assert b"\\u202e" in data
    assert b"]52;c;aGk=" in data  # the clipboard payload was drawn, as escaped text
    for label, needle in FORBIDDEN.items():
        assert needle not in data, f"{label} leaked to the terminal"
