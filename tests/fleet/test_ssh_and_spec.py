"""``--source`` parsing, the wire format's checks, and the SSH source.

No sshd runs here, so the SSH source is tested through ``$FORENSICS_SSH`` with a local stand-in
for ssh that drops ssh's options and runs the remote command with ``sh -c``: everything after
the ssh program (the remote ``forensics-tui tail --json --with-body``, its output, the
multiplexing, the mirror) is real.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from forensics_tui.capture import Recorder
from forensics_tui.core.sources import SourceSpecError, open_source, parse_source
from forensics_tui.core.sources.ssh import ssh_argv
from forensics_tui.core.sources.wire import (
    WireError,
    decode_token,
    encode_token,
    parse_headers,
    subject_for,
)
from tests.fleet.conftest import env

FAKE_SSH = """#!/bin/sh
while [ "$1" != "--" ]; do shift; done
shift
exec sh -c "$1"
"""


@pytest.mark.parametrize("text", ["run-1", "a.b c", "ünï/cøde", "~7E", "*", ">", "..", ""])
def test_tokens_round_trip_and_stay_one_subject_level(text: str) -> None:
    token = encode_token(text)
    assert all(c.isalnum() or c in "_-~" for c in token)
    assert decode_token(token) == (text or "\x00")


@pytest.mark.parametrize(
    ("subject", "headers", "reason"),
    [
        (
            "fx.a.b",
            {"Fx-Kind": "call", "Fx-Name": "~2E~2E~2Fx~2Ejson", "Nats-Msg-Id": "a.c.final"},
            "dot",
        ),
        ("fx.a.b", {"Fx-Kind": "call", "Fx-Name": "x~2Etxt", "Nats-Msg-Id": "a.c.final"}, ".json"),
        ("fx.a.b", {"Fx-Kind": "call", "Fx-Name": "x~2Ejson", "Nats-Msg-Id": "a.c.done"}, "state"),
        ("fx.a.b", {"Fx-Kind": "call", "Fx-Name": "x~2Ejson", "Nats-Msg-Id": "z.c.final"}, "host"),
        ("fx.a.b", {"Fx-Kind": "call", "Fx-Name": "x~2Ejson"}, "Nats-Msg-Id"),
        ("fx.a.b", {"Fx-Kind": "run", "Fx-Name": "x~2Ejson", "Nats-Msg-Id": "a.c.final"}, "kind"),
        ("fx.a~3Ab.c", {"Fx-Kind": "call"}, "':'"),
        ("fx.a", {}, "heartbeat"),
        ("other.a.b", {}, "subject"),
        ("fx.a.b~0A", {"Fx-Kind": "call"}, "control"),
    ],
)
def test_bad_messages_are_refused_with_a_reason(subject, headers, reason) -> None:
    with pytest.raises(WireError, match=reason):
        parse_headers(subject, headers)


def test_good_headers_parse() -> None:
    env_ = parse_headers(
        subject_for("web 1", "r.1"),
        {
            "Fx-Kind": "call",
            "Fx-Name": encode_token("000001_t.json"),
            "Nats-Msg-Id": f"web~201.{encode_token('r.1-000001')}.pending",
        },
    )
    assert (env_.host, env_.run, env_.name, env_.call_id) == (
        "web 1",
        "r.1",
        "000001_t.json",
        "r.1-000001",
    )


def test_parse_source() -> None:
    assert parse_source("/tmp/x").kind == "local"
    nats = parse_source("nats://bus.example:4333/FLEET")
    assert (nats.host, nats.port, nats.stream, nats.label) == (
        "bus.example",
        4333,
        "FLEET",
        "nats://bus.example:4333/FLEET",
    )
    assert parse_source("nats://h").port == 4222
    ssh = parse_source("ssh://ops@box-1/var/fx")
    assert (ssh.user, ssh.host, str(ssh.path)) == ("ops", "box-1", "/var/fx")
    argv = ssh_argv(ssh)
    assert argv[-3:] == ["box-1", "--", "forensics-tui tail --json --with-body --dir /var/fx"]
    assert "BatchMode=yes" in argv
    for bad, words in [
        ("nats://u:pw@h:1", "--creds"),
        ("ssh://-oProxyCommand=x", "bad host"),
        ("http://x", "unknown source scheme"),
        ("nats://h/ba d", "stream"),
    ]:
        with pytest.raises(SourceSpecError, match=words):
            parse_source(bad)
    with pytest.raises(SourceSpecError, match="only ssh"):
        open_source([parse_source("nats://a"), parse_source("nats://b")])


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "fake-ssh"
    script.write_text(FAKE_SSH)
    script.chmod(0o755)
    monkeypatch.setenv("FORENSICS_SSH", str(script))
    # the "remote" forensics-tui is this Python's console script
    scripts = sysconfig.get_path("scripts")
    monkeypatch.setenv("PATH", f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}")
    return script


def test_ssh_sources_multiplex_into_one_view(fake_ssh: Path, tmp_path: Path) -> None:
    for host in ("h1", "h2"):
        rec = Recorder(tmp_path / host, run_id="nightly", agent=host)
        rec.record("fetch", {"host": host}, {"ok": host == "h1"})
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "forensics_tui.cli.main",
            "runs",
            "--json",
            "--source",
            f"ssh://h1{tmp_path}/h1",
            "--source",
            f"ssh://ops@h2{tmp_path}/h2",
        ],
        env={**env(), "FORENSICS_SSH": str(fake_ssh), "XDG_CACHE_HOME": str(tmp_path / "c")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert sorted(r["run_id"] for r in json.loads(out.stdout)) == ["h1:nightly", "h2:nightly"]


def test_ssh_source_streams_live_and_reports_failures(fake_ssh: Path, tmp_path: Path) -> None:
    rec = Recorder(tmp_path / "h1", run_id="live", agent="a")
    rec.record("first", {}, {})
    spec = parse_source(f"ssh://h1{tmp_path}/h1")
    source = open_source(
        [spec, parse_source("ssh://h9/nonexistent/root")], mirror_root=tmp_path / "mirror"
    )

    async def go() -> list[str]:
        await source.start()
        await source.catch_up()
        handle = rec.start_call("second", {"n": 2})
        names: list[str] = []
        async for batch in source.changes():
            names += [p.name for _, p in batch]
            if (
                any("second" in n for n in names)
                and handle.finish({"ok": True})
                and len(names) >= 2
            ):
                break
        await source.close()
        return names

    names = asyncio.run(asyncio.wait_for(go(), 30))
    assert names[0] == "000002_second.json"
    assert (tmp_path / "mirror" / "h1:live" / "000001_first.json").is_file()
    final = json.loads((tmp_path / "mirror" / "h1:live" / "000002_second.json").read_text())
    assert final["status"] == "ok"


def test_explicit_dir_wins_over_the_source_environment(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from forensics_tui.cli.main import cli

    rec = Recorder(tmp_path / "local", run_id="mine")
    rec.record("t", {}, {})
    runner = CliRunner()
    environ = {"FORENSICS_SOURCE": "nats://127.0.0.1:1"}  # nothing listens there
    out = runner.invoke(cli, ["runs", "--json", "--dir", str(tmp_path / "local")], env=environ)
    assert out.exit_code == 0 and json.loads(out.output)[0]["run_id"] == "mine"
    out = runner.invoke(cli, ["--dir", str(tmp_path / "local"), "runs", "--json"], env=environ)
    assert out.exit_code == 0
    out = runner.invoke(cli, ["runs", "--json"], env=environ)
    assert out.exit_code == 1 and "cannot reach NATS" in out.output
