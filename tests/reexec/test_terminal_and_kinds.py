"""The interactive confirmation on a real pseudo-terminal, and plugging in a new replay kind."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core.reexec import (
    EXECUTORS,
    Outcome,
    ReexecPolicy,
    Request,
    check,
    reexecute,
    register_executor,
)

from .conftest import SECRET, LocalServer, http_replay, make_fixture

MAIN = Path(__file__).resolve().parents[2]


def _on_a_terminal(root: Path, path: Path, answer: str) -> tuple[int, str]:
    """Run the real CLI with a pty as stdin, type ``answer``, return (exit code, stderr)."""
    master, slave = pty.openpty()
    env = {
        **os.environ,
        "PYTHONPATH": str(MAIN),
        "FORENSICS_CONFIG": str(root / "none.toml"),
        "FORENSICS_SECRET_AUTHORIZATION": f"Bearer {SECRET}",
        "FORENSICS_REEXEC_ALLOW_HOSTS": "127.0.0.1",
    }
    try:
        os.write(master, answer.encode() + b"\n")
        proc = subprocess.run(
            [sys.executable, "-m", "forensics_tui", "reexec", str(path), "--dir", str(root)],
            stdin=slave,
            capture_output=True,
            env=env,
            timeout=60,
        )
    finally:
        os.close(slave)
        os.close(master)
    return proc.returncode, proc.stderr.decode()


def test_terminal_yes_sends(tmp_path: Path, server: LocalServer) -> None:
    path = make_fixture(tmp_path, replay=http_replay(server.url("/ok")))
    code, err = _on_a_terminal(tmp_path, path, "y")
    assert code == 0, err
    assert "Send this request?" in err
    assert len(server.requests) == 1


def test_terminal_default_is_no(tmp_path: Path, server: LocalServer) -> None:
    path = make_fixture(tmp_path, replay=http_replay(server.url("/ok")))
    code, err = _on_a_terminal(tmp_path, path, "")
    assert code == 1 and "nothing sent" in err
    assert server.requests == []


@pytest.mark.parametrize(
    ("answer", "sent"),
    [("y", False), ("PUT", False), ("post", True), (" Post ", True), ("POST", True)],
)
def test_non_idempotent_needs_the_method_typed(
    tmp_path: Path, server: LocalServer, answer: str, sent: bool
) -> None:
    path = make_fixture(tmp_path, replay=http_replay(server.url("/ok"), method="POST", json={}))
    code, err = _on_a_terminal(tmp_path, path, answer)
    assert "Type POST (any case) to send it" in err  # the same rule as the TUI's dialog
    assert (code == 0) is sent
    assert len(server.requests) == (1 if sent else 0)


class EchoExecutor:
    """A stand-in for a later kind (``mcp``): proves the registry is the only extension point."""

    kind = "echo-test"

    def build(self, fixture: Any, policy: ReexecPolicy) -> Request:
        return Request(kind=self.kind, method="CALL", target=fixture.replay["target"])

    def send(self, request: Request, policy: ReexecPolicy) -> Outcome:
        return Outcome("ok", output={"echoed": request.target}, duration_ms=1.0)


def test_a_new_kind_plugs_in(tmp_path: Path) -> None:
    path = make_fixture(tmp_path, replay={"kind": "echo-test", "target": "tool-x"})
    policy = ReexecPolicy(env={})
    from forensics_tui.core.storage.loader import load_fixture

    fixture = load_fixture(path)
    assert "unknown replay kind 'echo-test'" in (check(fixture, policy) or "")  # type: ignore[arg-type]
    register_executor(EchoExecutor())
    try:
        result = reexecute(path, root=tmp_path, policy=policy, confirm=lambda r: True)
    finally:
        del EXECUTORS["echo-test"]
    assert result.status == "ok"
    assert result.new_path is not None
    assert json.loads(result.new_path.read_text())["output"] == {"echoed": "tool-x"}
    assert result.request is not None and result.request.needs_typed_confirmation
