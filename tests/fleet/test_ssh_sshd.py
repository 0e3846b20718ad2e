"""The SSH source against a real OpenSSH server on 127.0.0.1.

``tests/fleet/test_ssh_and_spec.py`` covers the multiplexing with a stand-in for ssh; here the
whole path is real: ``ssh`` (BatchMode, a key made for the test) → ``sshd`` (Debian's
openssh-server, started on a free port with its own config, host key and authorized keys) → the
remote ``forensics-tui tail --json --with-body`` → the local mirror and every read command.
``.ci/run`` installs openssh-server; without it these tests skip, unless
``$FORENSICS_REQUIRE_EXTRAS`` is set (CI), where a missing sshd fails.
"""

from __future__ import annotations

import getpass
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from forensics_tui.capture import Recorder
from tests.fleet.conftest import REPO, env, wait_for

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
SSH = shutil.which("ssh")

if not (SSHD and SSH) and not os.environ.get("FORENSICS_REQUIRE_EXTRAS"):
    pytest.skip("OpenSSH (sshd and ssh) is not installed", allow_module_level=True)


@dataclass
class Sshd:
    port: int
    ssh_program: str  # the value for $FORENSICS_SSH


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    assert SSHD and SSH, "OpenSSH missing: apt-get install openssh-server"
    home = tmp_path / "sshd"
    home.mkdir(mode=0o700)
    _keygen(home / "host_key")
    _keygen(home / "client_key")
    (home / "authorized_keys").write_bytes((home / "client_key.pub").read_bytes())
    port = _free_port()
    config = home / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {home / 'host_key'}",
                f"PidFile {home / 'sshd.pid'}",
                f"AuthorizedKeysFile {home / 'authorized_keys'}",
                "StrictModes no",
                "UsePAM no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "PermitRootLogin prohibit-password",
                # the remote forensics-tui is this checkout, reached through the client's env
                "AcceptEnv PATH PYTHONPATH XDG_CACHE_HOME",
                "",
            ]
        )
    )
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation directory
    log = home / "sshd.log"
    proc = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),  # noqa: SIM115
    )

    def listening() -> bool:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    try:
        wait_for(listening, timeout=20, what="sshd listening")
        scripts = sysconfig.get_path("scripts")
        remote_path = f"{scripts}:{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin"
        program = shlex.join(
            [
                str(SSH),
                "-i",
                str(home / "client_key"),
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "ConnectTimeout=10",
                "-o",
                f"SetEnv=PATH={remote_path} PYTHONPATH={REPO}",
            ]
        )
        yield Sshd(port, program)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _cli(
    sshd: Sshd, tmp_path: Path, *args: str, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "forensics_tui.cli.main", *args],
        env={**env(), "FORENSICS_SSH": sshd.ssh_program, "XDG_CACHE_HOME": str(tmp_path / "c")},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_read_commands_work_over_real_ssh(sshd: Sshd, tmp_path: Path) -> None:
    user = getpass.getuser()
    rec = Recorder(tmp_path / "box", run_id="nightly", agent="box")
    rec.record("fetch_user", {"id": 7}, {"name": "Ada"})
    rec.record("send_notification", {"to": 7}, {"error": "token_expired"})
    source = f"ssh://{user}@127.0.0.1:{sshd.port}{tmp_path}/box"

    runs = _cli(sshd, tmp_path, "runs", "--json", "--source", source)
    assert runs.returncode == 0, runs.stderr
    (row,) = json.loads(runs.stdout)
    assert row["run_id"].endswith(":nightly") and row["calls"] == 2
    # the verdict over ssh is the verdict on the box itself (one model, any source)
    local = _cli(sshd, tmp_path, "check", "--json", "--dir", str(tmp_path / "box"))
    remote = _cli(sshd, tmp_path, "check", "--json", "--source", source)
    assert local.returncode == remote.returncode == 1, (local.stderr, remote.stderr)

    def kinds(out: str) -> set[str]:
        return {f["kind"] for run in json.loads(out)["runs"] for f in run["findings"]}

    assert kinds(remote.stdout) == kinds(local.stdout)
    assert "auth_expiry" in kinds(remote.stdout)


def test_tail_over_real_ssh_streams_new_calls(sshd: Sshd, tmp_path: Path) -> None:
    user = getpass.getuser()
    rec = Recorder(tmp_path / "box", run_id="live", agent="box")
    rec.record("first", {}, {"ok": True})
    source = f"ssh://{user}@127.0.0.1:{sshd.port}{tmp_path}/box"
    out = tmp_path / "tail.out"
    with open(out, "wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "forensics_tui.cli.main", "tail", "--json", "--source", source],
            env={
                **env(),
                "FORENSICS_SSH": sshd.ssh_program,
                "XDG_CACHE_HOME": str(tmp_path / "c"),
            },
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:

        def tools() -> list[str]:
            lines = [ln for ln in out.read_text(errors="replace").splitlines() if ln.strip()]
            return [json.loads(ln).get("tool", "") for ln in lines if ln.startswith("{")]

        wait_for(lambda: "first" in tools(), timeout=60, what="the existing call over ssh")
        started = time.monotonic()
        rec.record("second", {"n": 2}, {"ok": True})
        wait_for(lambda: "second" in tools(), timeout=30, what="the new call over ssh")
        assert time.monotonic() - started < 30
        assert proc.poll() is None, out.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_refused_key_is_a_clear_error_not_a_hang(sshd: Sshd, tmp_path: Path) -> None:
    other = tmp_path / "stranger_key"
    _keygen(other)
    parts = shlex.split(sshd.ssh_program)
    parts[parts.index("-i") + 1] = str(other)
    rec = Recorder(tmp_path / "box", run_id="r", agent="box")
    rec.record("t", {}, {})
    refused = Sshd(sshd.port, shlex.join(parts))
    source = f"ssh://{getpass.getuser()}@127.0.0.1:{sshd.port}{tmp_path}/box"
    result = _cli(refused, tmp_path, "runs", "--json", "--source", source, timeout=60)
    assert result.returncode != 0
    assert "ssh" in result.stderr + result.stdout
    assert "Permission denied" in result.stderr + result.stdout
